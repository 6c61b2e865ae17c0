import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

/**
 * SPEC HIST-2: a card's history follows it across moves (across shards too): it does not start
 * again on the new board; entries on boards the requester may not see are left out (ACCESS-2).
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe("HIST-2 history across moves", () => {
  it("after a cross-shard move the history holds the old board's entries, the move on both boards, and the new ones, in time order; another person sees only what their boards allow", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const owner = await cluster.connect((await cluster.signIn("owner")).token);
    const other = await cluster.connect((await cluster.signIn("other")).token);
    const { board: from } = await ok<{ board: Board }>(owner, "board:create", { name: "private from", policy: "occ", shard: "a", visibility: "private" });
    const { board: to } = await ok<{ board: Board }>(owner, "board:create", { name: "open to", policy: "occ", shard: "b", visibility: "open" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "travels" } });
    await ok(owner, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "travels far" } });
    const move = mid();
    await ok(owner, "card:move", { mutationId: move, cardId: card.id, toBoardId: to.id, baseVersion: 2 });
    await ok(owner, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 3, patch: { body: "arrived" } });

    const { entries } = await ok<{ entries: Change[] }>(owner, "card:history", { cardId: card.id });
    expect(entries.map((e) => [e.boardId === from.id ? "from" : "to", e.type, e.card?.version ?? null])).toEqual([
      ["from", "card.upsert", 1],
      ["from", "card.upsert", 2],
      ["from", "card.delete", null],
      ["to", "card.upsert", 3],
      ["to", "card.upsert", 4],
    ]);
    expect(entries.filter((e) => e.mutationId === move).map((e) => e.boardId)).toEqual([from.id, to.id]);

    // The other person may see the open board only: the private board's entries are not theirs to read.
    const seen = await ok<{ entries: Change[] }>(other, "card:history", { cardId: card.id });
    expect(seen.entries.map((e) => e.boardId)).toEqual([to.id, to.id]);
    const none = await request(other, "card:history", { cardId: `c_${"0".repeat(8)}-0000-0000-0000-000000000000` });
    expect(none.ok === false && none.error.code).toBe("NOT_FOUND");
  });
});
