import fc from "fast-check";
import { io as ioClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REQUEST_EVENTS, type Board, type Card } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe("ACCESS-1 sessions", () => {
  it("refuses a missing or forged token with connect_error UNAUTHORIZED", async () => {
    const { token } = await cluster.signIn("mallory");
    const forged = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const auth of [{}, { token: "nope" }, { token: forged }, { token: 42 }]) {
      const socket = ioClient(cluster.url, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
      const err = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
      expect(err.message).toBe("UNAUTHORIZED");
      socket.disconnect();
    }
  });

  it("POST /api/session validates its body; /api/health answers", async () => {
    for (const body of ["", "{", JSON.stringify({}), JSON.stringify({ name: "" }), JSON.stringify({ name: "x".repeat(65) }), JSON.stringify({ name: 3 })]) {
      const res = await fetch(`${cluster.url}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    }
    const health = (await (await fetch(`${cluster.url}/api/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, nodeId: "test-node-1", shards: ["a", "b"], twoPhaseCommit: cluster.dbs.twoPhaseCommit, locks: "postgres" });
  });
});

describe("ACCESS-2 private boards", () => {
  it("are closed to non-members until they accept an invite, and answer exactly as if they did not exist", async () => {
    const alice = await cluster.signIn("alice");
    const bob = await cluster.signIn("bob");
    const a = await cluster.connect(alice.token);
    const b = await cluster.connect(bob.token);
    const { board } = await ok<{ board: Board }>(a, "board:create", { name: "secret", policy: "occ", visibility: "private", shard: "a" });
    const { board: open } = await ok<{ board: Board }>(a, "board:create", { name: "lobby", policy: "occ", shard: "b" });
    const { board: bobs } = await ok<{ board: Board }>(b, "board:create", { name: "bob's", policy: "occ", shard: "a" });
    const { card } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "plans" } });
    const { card: bobCard } = await ok<{ card: Card }>(b, "card:create", { mutationId: mid(), boardId: bobs.id, fields: { title: "mine" } });
    const { lock } = await ok<{ lock: { token: number } }>(a, "lock:acquire", { cardId: card.id });

    const list = await ok<{ boards: Board[] }>(b, "board:list", {});
    expect(list.boards.map((x) => x.id)).not.toContain(board.id);
    // Each request twice: with the private board's real ids, and with ids that do not exist.
    const cases = (boardId: string, cardId: string) =>
      [
        ["board:join", { boardId }],
        ["board:join", { boardId, since: 0 }],
        ["board:invite", { boardId }],
        ["card:create", { mutationId: mid(), boardId, fields: {} }],
        ["card:update", { mutationId: mid(), cardId, baseVersion: 1, patch: { title: "pwned" } }],
        ["card:delete", { mutationId: mid(), cardId, baseVersion: 1 }],
        ["card:move", { mutationId: mid(), cardId, toBoardId: open.id, baseVersion: 1 }],
        ["card:move", { mutationId: mid(), cardId: bobCard.id, toBoardId: boardId, baseVersion: 1 }],
        ["card:history", { cardId }],
        ["lock:acquire", { cardId }],
        ["lock:renew", { cardId, token: lock.token }],
        ["lock:release", { cardId, token: lock.token }],
      ] as const;
    const real = cases(board.id, card.id);
    const missing = cases("b_00000000-0000-4000-8000-000000000000", "c_00000000-0000-4000-8000-000000000000");
    for (const [i, [event, payload]] of real.entries()) {
      const r = await request(b, event, payload);
      const m = await request(b, event, missing[i]![1]);
      expect(r.ok, event).toBe(false);
      expect(m.ok, event).toBe(false);
      if (!r.ok && !m.ok) {
        expect(r.error.code, event).toBe("NOT_FOUND");
        expect(r.error, event).toEqual(m.error);
      }
    }
    // Nothing happened: the card is unchanged, unmoved and still locked by its owner; bob's card stayed home.
    const seen = await ok<{ cards: Card[] }>(a, "board:join", { boardId: board.id });
    expect(seen.cards.map((c) => [c.id, c.title, c.version])).toEqual([[card.id, "plans", 1]]);
    expect((await ok<{ cards: Card[] }>(b, "board:join", { boardId: bobs.id })).cards.map((c) => c.id)).toEqual([bobCard.id]);

    // Owners and members see what they always saw; a member who is not the owner may not invite.
    const { code } = await ok<{ code: string }>(a, "board:invite", { boardId: board.id });
    await ok(b, "board:accept", { code });
    const joined = await ok<{ cards: Card[] }>(b, "board:join", { boardId: board.id });
    expect(joined.cards.map((c) => c.title)).toEqual(["plans"]);
    await ok(b, "card:history", { cardId: card.id });
    const inv = await request(b, "board:invite", { boardId: board.id });
    expect(!inv.ok && inv.error.code).toBe("FORBIDDEN");
    const locked = await request(b, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "x" } });
    expect(!locked.ok && locked.error.code).toBe("LOCKED");
  });
});

describe("INPUT-1 bad input of any shape", () => {
  it("answers BAD_REQUEST (or TOO_LARGE), changes nothing, and keeps serving", async () => {
    const { token } = await cluster.signIn("fuzzer");
    const s = await cluster.connect(token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "fuzz", policy: "occ" });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "keep" } });
    const before = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: board.id });

    const hostile = fc.oneof(
      fc.anything(),
      fc.record({ mutationId: fc.string(), cardId: fc.constant(card.id), baseVersion: fc.anything(), patch: fc.anything() }),
      fc.record({ mutationId: fc.constant(mid()), cardId: fc.constant(card.id), baseVersion: fc.constant(1), patch: fc.dictionary(fc.string(), fc.anything()) }),
      fc.record({ boardId: fc.constant(board.id), since: fc.oneof(fc.double(), fc.string(), fc.constant(-1)) }),
      fc.record({ mutationId: fc.constant(mid()), boardId: fc.constant(board.id), fields: fc.record({ title: fc.string({ minLength: 201, maxLength: 300 }) }) }),
    );
    let writesAccepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...REQUEST_EVENTS), hostile, async (event, payload) => {
        const r = await request(s, event, payload);
        if (r.ok) {
          // An arbitrary value can happen to be valid (e.g. board:list {}); count accepted writes.
          if (event.startsWith("card:") && event !== "card:history") writesAccepted++;
          return;
        }
        expect(["BAD_REQUEST", "TOO_LARGE", "NOT_FOUND", "FORBIDDEN", "CONFLICT"]).toContain(r.error.code);
        expect(typeof r.error.message).toBe("string");
      }),
      { numRuns: 300 },
    );
    // Non-object payloads, missing acks, unknown events: no crash.
    (s as unknown as { emit: (...a: unknown[]) => void }).emit("card:update", "garbage");
    (s as unknown as { emit: (...a: unknown[]) => void }).emit("no:such:event", { x: 1 }, () => {});
    const r = await request(s, "card:update", null);
    expect(!r.ok && r.error.code).toBe("BAD_REQUEST");
    const long = await request(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { body: "x".repeat(20_001) } });
    expect(!long.ok && long.error.code).toBe("BAD_REQUEST");
    const huge = await request(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { body: "x".repeat(100_000) } });
    expect(!huge.ok && huge.error.code).toBe("TOO_LARGE");

    const after = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: board.id });
    // Nothing but writes that happened to be valid changed the board.
    expect(after.seq - before.seq).toBe(writesAccepted);
    if (writesAccepted === 0) expect(after.cards).toEqual(before.cards);
    // The node keeps serving other users.
    const other = await cluster.connect((await cluster.signIn("other")).token);
    await ok(other, "board:list", {});
  });
});

describe("INPUT-2 flooding", () => {
  // The limiter's clock is frozen, so no token comes back while the burst is served: exactly the
  // burst (2 000) is answered and the rest is RATE_LIMITED however fast or slow the machine is.
  let t = 1_000_000;
  let frozen: TestCluster;
  beforeAll(async () => {
    frozen = await startCluster({ now: () => t });
  });
  afterAll(async () => {
    await frozen?.close();
  });

  it("a socket that floods gets RATE_LIMITED for the excess and keeps being served afterwards", async () => {
    const s = await frozen.connect((await frozen.signIn("flooder")).token);
    const replies = await Promise.all(Array.from({ length: 3000 }, () => request(s, "card:history", { cardId: "c_none" })));
    const codes = replies.map((r) => (r.ok ? "ok" : r.error.code));
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(1000);
    expect(codes.filter((c) => c === "NOT_FOUND")).toHaveLength(2000);
    // Still refused while no time passes; served again once a second has passed (1 000 tokens).
    expect((await request(s, "board:list", {})).ok).toBe(false);
    t += 1000;
    const again = await Promise.all(Array.from({ length: 1001 }, () => request(s, "board:list", {})));
    expect(again.filter((r) => r.ok)).toHaveLength(1000);
    // Another socket of the same person has its own budget.
    const other = await frozen.connect((await frozen.signIn("flooder")).token);
    expect((await request(other, "board:list", {})).ok).toBe(true);
  });

  it("presence:set goes through the same limiter: a burst past 2 000 gets RATE_LIMITED", async () => {
    const s = await frozen.connect((await frozen.signIn("presence-flooder")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "presence flood", policy: "occ" });
    await ok(s, "board:join", { boardId: board.id });
    // Two requests of the burst are spent; the presence burst gets the remaining 1 998.
    const replies = await Promise.all(Array.from({ length: 3000 }, () => request(s, "presence:set", { boardId: board.id, cardId: null })));
    const codes = replies.map((r) => (r.ok ? "ok" : r.error.code));
    expect(codes.filter((c) => c === "ok")).toHaveLength(1998);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(1002);
    // And the presence burst counts against every other request of the socket.
    expect((await request(s, "board:list", {})).ok).toBe(false);
    t += 1000;
    expect((await request(s, "presence:set", { boardId: board.id, cardId: null })).ok).toBe(true);
  });
});
