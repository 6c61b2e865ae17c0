import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change, Lock } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

/** With REDIS_URL: leases in Redis (fencing still enforced by the shard) and the Redis adapter. */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, redis: true });
});
afterAll(async () => {
  await cluster?.close();
});

describe("REPL-1 / LOCK-3 over Redis", () => {
  it("reports Redis in health, carries broadcasts across nodes, and fences stale tokens", async () => {
    const health = (await (await fetch(`${cluster.urls[1]}/api/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ locks: "redis", adapter: "redis", nodeId: "test-node-2" });
    const a = await cluster.connect((await cluster.signIn("alice")).token, { node: 0 });
    const b = await cluster.connect((await cluster.signIn("bob")).token, { node: 1 });
    const { board } = await ok<{ board: Board }>(a, "board:create", { name: "redis", policy: "occ" });
    await ok(b, "board:join", { boardId: board.id });
    const seen: Change[] = [];
    b.on("change", (c) => seen.push(c));
    const { card } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "r" } });
    await expect.poll(() => seen.map((c) => c.seq)).toEqual([1]);

    const { lock } = await ok<{ lock: Lock }>(a, "lock:acquire", { cardId: card.id, ttlMs: 1000 });
    const locked = await request(b, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "b" } });
    expect(!locked.ok && locked.error.code).toBe("LOCKED");
    await expect.poll(async () => (await request(b, "lock:acquire", { cardId: card.id })).ok, { timeout: 5000, interval: 200 }).toBe(true);
    const stale = await request(a, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "late" }, lockToken: lock.token });
    expect(!stale.ok && stale.error.code).toBe("STALE_LOCK");
  });
});
