import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { encodeHlc } from "../../lib/sync/hlc";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

const hlc = (wall: number, logical: number, replica: string) => encodeHlc({ wall, logical, replica });

describe("LWW-1 per-field last-writer-wins on HLC", () => {
  it("two writes sent in reverse HLC order: the newer wins, the older is named in ignored", async () => {
    const alice = await cluster.connect((await cluster.signIn("alice")).token, { replicaId: "tab-a" });
    const bob = await cluster.connect((await cluster.signIn("bob")).token, { replicaId: "tab-b" });
    const { board } = await ok<{ board: Board }>(alice, "board:create", { name: "lww", policy: "lww" });
    await ok(bob, "board:join", { boardId: board.id });
    const t0 = Date.now() - 10_000;
    const { card } = await ok<{ card: Card }>(alice, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "start" }, hlc: hlc(t0, 0, "tab-a") });
    const newer = hlc(t0 + 2000, 0, "tab-b");
    const older = hlc(t0 + 1000, 0, "tab-a");
    const first = await ok<{ card: Card; ignored?: string[] }>(bob, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "bob (newer)" }, hlc: newer });
    expect(first.ignored).toBeUndefined();
    const second = await ok<{ card: Card; ignored?: string[] }>(alice, "card:update", {
      mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "alice (older)", body: "alice body" }, hlc: older,
    });
    expect(second.ignored).toEqual(["title"]);
    expect(second.card.title).toBe("bob (newer)");
    expect(second.card.body).toBe("alice body"); // per field: body had an older stamp, so it applies
    expect(second.card.hlc?.title).toBe(newer);
    const view = await ok<{ cards: Card[] }>(alice, "board:join", { boardId: board.id });
    expect(view.cards[0]!.title).toBe("bob (newer)");
  });

  it("LWW-3 a card created without an hlc loses its initial values to any stamped edit", async () => {
    const s = await cluster.connect((await cluster.signIn("plain")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "lww3", policy: "lww" });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "initial" } });
    const newer = "001764189000002:00000:tab-x";
    const older = "001764189000001:00000:tab-y";
    const a = await ok<{ card: Card; ignored?: string[] }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "newer" }, hlc: newer });
    expect(a.card.title).toBe("newer");
    const b = await ok<{ card: Card; ignored?: string[] }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "older" }, hlc: older });
    expect(b.ignored).toEqual(["title"]);
    expect(b.card.title).toBe("newer");
  });

  it("refuses timestamps too far in the future", async () => {
    const s = await cluster.connect((await cluster.signIn("eve")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "lww2", policy: "lww" });
    const r = await request(s, "card:create", { mutationId: mid(), boardId: board.id, fields: {}, hlc: hlc(Date.now() + 3_600_000, 0, "x") });
    expect(!r.ok && r.error.code).toBe("BAD_REQUEST");
  });
});

describe("MVR-1 multi-value registers", () => {
  it("two writes with the same context both survive as siblings; a covering write resolves them", async () => {
    const alice = await cluster.connect((await cluster.signIn("alice")).token, { replicaId: "tab-a" });
    const bob = await cluster.connect((await cluster.signIn("bob")).token, { replicaId: "tab-b" });
    const { board } = await ok<{ board: Board }>(alice, "board:create", { name: "mvr", policy: "mvr" });
    await ok(bob, "board:join", { boardId: board.id });
    const { card } = await ok<{ card: Card }>(alice, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "start" } });
    const context = card.clock!;
    expect(Object.keys(context)).toEqual(["tab-a"]);
    const a = await ok<{ card: Card }>(alice, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "from alice" }, context });
    expect(a.card.siblings).toBeUndefined();
    const b = await ok<{ card: Card }>(bob, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "from bob" }, context });
    const values = b.card.siblings?.title?.map((s) => s.value).sort();
    expect(values).toEqual(["from alice", "from bob"]);
    expect(b.card.siblings?.title?.map((s) => s.byName).sort()).toEqual(["alice", "bob"]);
    // The same replica writing twice from a stale context does not erase the other's value.
    const b2 = await ok<{ card: Card }>(bob, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { body: "x" }, context });
    expect(b2.card.siblings?.title).toHaveLength(2);
    // Resolve: context = the card's clock (covers both siblings).
    const r = await ok<{ card: Card }>(alice, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: b2.card.version, patch: { title: "merged" }, context: b2.card.clock });
    expect(r.card.title).toBe("merged");
    expect(r.card.siblings).toBeUndefined();
  });

  it("two writes from one plain socket with the same context both survive (dotted version vectors)", async () => {
    const s = await cluster.connect((await cluster.signIn("solo")).token); // no replicaId: one per connection
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "mvr-solo", policy: "mvr" });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "start" } });
    await ok(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "one" }, context: card.clock });
    const two = await ok<{ card: Card }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "two" }, context: card.clock });
    expect(two.card.siblings?.title?.map((x) => x.value).sort()).toEqual(["one", "two"]);
    const done = await ok<{ card: Card }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 3, patch: { title: "merged" }, context: two.card.clock });
    expect(done.card.title).toBe("merged");
    expect(done.card.siblings).toBeUndefined();
  });

  it("a context that claims the future is clamped, so it cannot swallow later writes", async () => {
    const alice = await cluster.connect((await cluster.signIn("alice")).token, { replicaId: "tab-a2" });
    const bob = await cluster.connect((await cluster.signIn("bob")).token, { replicaId: "tab-b2" });
    const { board } = await ok<{ board: Board }>(alice, "board:create", { name: "mvr2", policy: "mvr" });
    const { card } = await ok<{ card: Card }>(alice, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "start" } });
    // Bob claims to have seen 999 writes of Alice's tab that do not exist yet.
    const b = await ok<{ card: Card }>(bob, "card:update", {
      mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "bob" }, context: { "tab-a2": 999 },
    });
    expect(b.card.clock).toEqual({ "tab-a2": 1, "tab-b2": 1 });
    // Alice writes without having seen Bob's value: both must survive.
    const a = await ok<{ card: Card }>(alice, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "alice" }, context: card.clock });
    expect(a.card.siblings?.title?.map((s) => s.value).sort()).toEqual(["alice", "bob"]);
  });
});
