import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change } from "../../lib/protocol";
import { mid, ok, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ changeLogKeep: 100 });
});
afterAll(async () => {
  await cluster?.close();
});

describe("FEED-3 trimming the change log", () => {
  it("keeps the newest CHANGE_LOG_KEEP changes; an older cursor gets a full snapshot with reset", async () => {
    const s = await cluster.connect((await cluster.signIn("trim")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "trim", policy: "occ", shard: "a" });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "c" } });
    for (let v = 1; v < 150; v++) {
      await ok(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: v, patch: { estimate: v } });
    }
    const removed = await cluster.nodes[0]!.services.feed.trim([cluster.dbs.shards.get("a")!]);
    expect(removed).toBe(50);
    // A cursor inside the kept window still gets exactly the missed changes.
    const recent = await ok<{ changes: Change[]; seq: number }>(s, "board:join", { boardId: board.id, since: 120 });
    expect(recent.changes.map((c) => c.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 121 + i));
    // A cursor below the floor cannot be served partially: full snapshot, reset: true.
    const old = await ok<{ cards: Card[]; reset?: boolean; seq: number }>(s, "board:join", { boardId: board.id, since: 10 });
    expect(old.reset).toBe(true);
    expect(old.seq).toBe(150);
    expect(old.cards.map((c) => c.estimate)).toEqual([149]);
    // Trimming again removes nothing more.
    expect(await cluster.nodes[0]!.services.feed.trim([cluster.dbs.shards.get("a")!])).toBe(0);
  });
});
