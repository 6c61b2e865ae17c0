import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Lock } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/** Two nodes: each node keeps its own card directory, so one can hold a stale idea of a card's board. */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
});
afterAll(async () => {
  await cluster?.close();
});

const refused = (code: string | false) => code === "FORBIDDEN" || code === "NOT_FOUND";

/** The owner on node 1, an outsider on node 2; a private board and an open one on the same shard. */
async function setup() {
  const owner = await cluster.connect((await cluster.signIn("owner")).token, { node: 0 });
  const outsider = await cluster.connect((await cluster.signIn("outsider")).token, { node: 1 });
  const { board: secret } = await ok<{ board: Board }>(owner, "board:create", { name: "secret", policy: "occ", visibility: "private", shard: "a" });
  const { board: lobby } = await ok<{ board: Board }>(owner, "board:create", { name: "lobby", policy: "occ", shard: "a" });
  return { owner, outsider, secret, lobby };
}

async function ownerEditsFreely(owner: TestSocket, cardId: string, baseVersion: number) {
  const r = await request(owner, "card:update", { mutationId: mid(), cardId, baseVersion, patch: { title: `owner ${baseVersion}` } });
  expect(r.ok ? "ok" : r.error.code).toBe("ok");
}

describe("LOCK-7 locks are authorized against the card's current board, on every node", () => {
  it("an outsider cannot lock, renew or release a private board's card", async () => {
    const { owner, outsider, secret } = await setup();
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: secret.id, fields: { title: "plans" } });
    const r = await request<{ lock: Lock }>(outsider, "lock:acquire", { cardId: card.id, ttlMs: 600_000 });
    expect(refused(!r.ok && r.error.code)).toBe(true);
    await ownerEditsFreely(owner, card.id, 1);
    const { lock } = await ok<{ lock: Lock }>(owner, "lock:acquire", { cardId: card.id });
    for (const [event, payload] of [["lock:renew", { cardId: card.id, token: lock.token }], ["lock:release", { cardId: card.id, token: lock.token }]] as const) {
      const x = await request(outsider, event, payload);
      expect(refused(!x.ok && x.error.code)).toBe(true);
    }
    expect((await cluster.nodes[0]!.services.locks.live(card.id))?.token).toBe(lock.token);
  });

  it("after a card moved from an open board into a private one, a node with a stale directory refuses the outsider", async () => {
    const { owner, outsider, secret, lobby } = await setup();
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: lobby.id, fields: { title: "draft" } });
    // The outsider works with the card while it is on the open board: node 2 now knows it as the lobby's.
    const first = await ok<{ lock: Lock }>(outsider, "lock:acquire", { cardId: card.id });
    await ok(outsider, "lock:release", { cardId: card.id, token: first.lock.token });
    await ok(outsider, "card:history", { cardId: card.id });
    // The owner moves it into the private board through node 1.
    await ok(owner, "card:move", { mutationId: mid(), cardId: card.id, toBoardId: secret.id, baseVersion: 1 });
    const r = await request<{ lock: Lock }>(outsider, "lock:acquire", { cardId: card.id, ttlMs: 600_000 });
    expect(r.ok ? `granted token ${r.lock.token}` : r.error.code).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
    expect(await cluster.nodes[1]!.services.locks.live(card.id)).toBeNull();
    await ownerEditsFreely(owner, card.id, 2);
  });

  it("a grant whose card left the board it was authorized against raises no fence and leaves no lease", async () => {
    const { owner, secret, lobby } = await setup();
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: secret.id, fields: { title: "x" } });
    const s = cluster.nodes[1]!.services;
    const user = { id: "u_someone", name: "someone" };
    // As if authorized against the lobby a moment before the card moved out of it.
    await expect(s.locks.acquire(user, { id: card.id, boardId: lobby.id, shard: "a" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await s.locks.live(card.id)).toBeNull();
    const [row] = await s.boards.shard("a").sql`SELECT fence FROM cards WHERE id = ${card.id}`;
    expect(Number(row!.fence)).toBe(0);
    await ownerEditsFreely(owner, card.id, 1);
  });
});

describe("LOCK-6 a lease is exclusive across nodes", () => {
  it("of two people acquiring one card at once through different nodes, exactly one is granted (20 rounds)", async () => {
    const { owner, lobby } = await setup();
    const a = await cluster.connect((await cluster.signIn("ann")).token, { node: 0 });
    const b = await cluster.connect((await cluster.signIn("ben")).token, { node: 1 });
    const granted: number[] = [];
    for (let round = 0; round < 20; round++) {
      const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: lobby.id, fields: { title: `r${round}` } });
      const rs = await Promise.all([a, b].map((s) => request<{ lock: Lock }>(s, "lock:acquire", { cardId: card.id })));
      granted.push(rs.filter((r) => r.ok).length);
      for (const r of rs) if (!r.ok) expect(r.error.code).toBe("LOCKED");
    }
    expect(granted).toEqual(Array(20).fill(1));
  });
});

describe("LOCK-7 only the holder renews or releases, with its token", () => {
  it("another member's renew or release is refused with LOCKED and changes nothing; a stale token is STALE_LOCK", async () => {
    const { owner, lobby } = await setup();
    const other = await cluster.connect((await cluster.signIn("other")).token, { node: 1 });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: lobby.id, fields: { title: "x" } });
    await ok(other, "board:join", { boardId: lobby.id });
    const heard: (Lock | null)[] = [];
    other.on("lock", (p) => heard.push(p.lock));
    const { lock } = await ok<{ lock: Lock }>(owner, "lock:acquire", { cardId: card.id });
    await expect.poll(() => heard.length).toBe(1);
    // The token is public (lock broadcasts carry it): it alone must not let anyone else act.
    for (const event of ["lock:renew", "lock:release"] as const) {
      const r = await request(other, event, { cardId: card.id, token: lock.token });
      expect(r.ok ? "ok" : r.error.code).toBe("LOCKED");
      expect(!r.ok && (r.error.details as { lock: Lock }).lock.holder.name).toBe("owner");
    }
    const stale = await request(owner, "lock:release", { cardId: card.id, token: lock.token - 1 });
    expect(stale.ok ? "ok" : stale.error.code).toBe("STALE_LOCK");
    expect((await cluster.nodes[0]!.services.locks.live(card.id))?.token).toBe(lock.token);
    expect(heard).toHaveLength(1); // no lock broadcast for a refused renew or release
    await ok(owner, "lock:release", { cardId: card.id, token: lock.token });
    expect(await cluster.nodes[0]!.services.locks.live(card.id)).toBeNull();
    await expect.poll(() => heard.at(-1)).toBeNull();
  });
});

describe("LOCK-8 a board:join answer carries the board's live leases", () => {
  it("a second socket joining (snapshot and catch-up) sees the live lease; released or moved-away leases are not listed", async () => {
    const { owner, lobby } = await setup();
    const { board: elsewhere } = await ok<{ board: Board }>(owner, "board:create", { name: "elsewhere", policy: "occ", shard: "a" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: lobby.id, fields: { title: "locked" } });
    const { card: free } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: lobby.id, fields: { title: "free" } });
    const { card: leaving } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: lobby.id, fields: { title: "leaving" } });
    const { lock } = await ok<{ lock: Lock }>(owner, "lock:acquire", { cardId: card.id });
    const released = await ok<{ lock: Lock }>(owner, "lock:acquire", { cardId: free.id });
    await ok(owner, "lock:release", { cardId: free.id, token: released.lock.token });
    const moved = await ok<{ lock: Lock }>(owner, "lock:acquire", { cardId: leaving.id });
    await ok(owner, "card:move", { mutationId: mid(), cardId: leaving.id, toBoardId: elsewhere.id, baseVersion: 1, lockToken: moved.lock.token });

    const viewer = await cluster.connect((await cluster.signIn("viewer")).token, { node: 1 });
    const snapshot = await ok<{ cards: Card[]; leases?: Lock[] }>(viewer, "board:join", { boardId: lobby.id });
    expect(snapshot.cards.map((c) => c.id).sort()).toEqual([card.id, free.id].sort());
    const brief = (l: Lock) => ({ cardId: l.cardId, holder: l.holder, token: l.token });
    expect(snapshot.leases?.map(brief)).toEqual([brief(lock)]);
    const catchUp = await ok<{ changes: unknown[]; leases?: Lock[] }>(viewer, "board:join", { boardId: lobby.id, since: 1 });
    expect(catchUp.changes.length).toBeGreaterThan(0);
    expect(catchUp.leases?.map(brief)).toEqual([brief(lock)]);
    // The moved card's lease is listed on the board the card is on now.
    const there = await ok<{ leases?: Lock[] }>(viewer, "board:join", { boardId: elsewhere.id });
    expect(there.leases?.map((l) => l.cardId)).toEqual([leaving.id]);
  });
});
