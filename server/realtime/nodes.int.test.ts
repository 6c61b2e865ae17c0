import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change } from "../../lib/protocol";
import { mid, ok, sqlFor, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
});
afterAll(async () => {
  await cluster?.close();
});

describe("REPL-1 several nodes over one database", () => {
  it("a change committed on node 1 reaches sockets on node 2 (Postgres adapter), in seq order", async () => {
    const alice = await cluster.signIn("alice");
    const bob = await cluster.signIn("bob");
    const a = await cluster.connect(alice.token, { node: 0 });
    const b = await cluster.connect(bob.token, { node: 1 });
    const batched = await cluster.connect(bob.token, { node: 1, batch: true });
    const { board } = await ok<{ board: Board }>(a, "board:create", { name: "replicated", policy: "occ" });
    await ok(b, "board:join", { boardId: board.id });
    await ok(batched, "board:join", { boardId: board.id });
    const seen: number[] = [];
    const seenBatched: number[] = [];
    b.on("change", (c: Change) => seen.push(c.seq));
    batched.on("changes", (cs: Change[]) => seenBatched.push(...cs.map((c) => c.seq)));
    batched.on("change", () => seenBatched.push(-1)); // must not arrive: batch clients get `changes`
    for (let i = 0; i < 10; i++) {
      await ok(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `c${i}` } });
    }
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await expect.poll(() => seenBatched, { timeout: 10_000 }).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("a replay sent to another node (after the first node's socket died) applies nothing again", async () => {
    const alice = await cluster.signIn("alice");
    const a1 = await cluster.connect(alice.token, { node: 0 });
    const { board } = await ok<{ board: Board }>(a1, "board:create", { name: "failover", policy: "occ" });
    const { card } = await ok<{ card: Card }>(a1, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "x" } });
    const m = mid();
    const first = await ok<{ card: Card; seq: number }>(a1, "card:update", { mutationId: m, cardId: card.id, baseVersion: 1, patch: { title: "y" } });
    a1.disconnect();
    const a2 = await cluster.connect(alice.token, { node: 1 });
    const replay = await ok<{ card: Card; seq: number }>(a2, "card:update", { mutationId: m, cardId: card.id, baseVersion: 1, patch: { title: "y" } });
    expect(replay).toEqual(first);
    const caught = await ok<{ changes: Change[]; seq: number }>(a2, "board:join", { boardId: board.id, since: 1 });
    expect(caught.changes.map((c) => c.seq)).toEqual([2]);
    expect(caught.seq).toBe(2);
  });

  // SPEC PERF-3, with an injected fault: the adapter's relay is held up (a change over 8 kB
  // travels as an attachment row, and that table is locked), yet the writer's own node delivers
  // at once; the other node gets the change once the relay goes through.
  it("PERF-3 a node's own sockets get a change without waiting for the adapter; other nodes get it relayed", async () => {
    const alice = await cluster.signIn("alice");
    const a = await cluster.connect(alice.token, { node: 0 });
    const near = await cluster.connect(alice.token, { node: 0 });
    const far = await cluster.connect(alice.token, { node: 1 });
    const { board } = await ok<{ board: Board }>(a, "board:create", { name: "relay", policy: "occ" });
    await ok(near, "board:join", { boardId: board.id });
    await ok(far, "board:join", { boardId: board.id });
    const got: { who: string; at: number }[] = [];
    near.on("change", () => got.push({ who: "near", at: Date.now() }));
    far.on("change", () => got.push({ who: "far", at: Date.now() }));
    const catalog = sqlFor(cluster.catalogUrl);
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    try {
      const locked = new Promise<void>((ready) => {
        void catalog.begin(async (tx) => {
          await tx`LOCK TABLE socket_io_attachments IN ACCESS EXCLUSIVE MODE`;
          ready();
          await released;
        });
      });
      await locked;
      const t0 = Date.now();
      await ok(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "big", body: "x".repeat(12_000) } });
      await expect.poll(() => got.some((g) => g.who === "near"), { timeout: 5_000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(got.some((g) => g.who === "far")).toBe(false); // still held by the lock
      expect(got.find((g) => g.who === "near")!.at - t0).toBeLessThan(2_000);
      release();
      await expect.poll(() => got.some((g) => g.who === "far"), { timeout: 10_000 }).toBe(true);
    } finally {
      release();
      await catalog.end();
    }
  });
});
