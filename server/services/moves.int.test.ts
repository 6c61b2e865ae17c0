import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";
import { SimulatedCrash, type TxStep } from "./moves";

/**
 * SPEC TX-2..TX-4, DESIGN invariant 6: whatever step the coordinator dies at, after recovery the
 * card is on exactly one shard (the target iff the log had decided to commit) and no prepared
 * transaction stays in doubt.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

async function where(cardId: string) {
  const found: string[] = [];
  let prepared = 0;
  for (const shard of cluster.dbs.shards.values()) {
    const rows = await shard.sql`SELECT board_id FROM cards WHERE id = ${cardId}`;
    found.push(...rows.map((r) => `${shard.name}:${r.board_id as string}`));
    const p = await shard.sql`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()`;
    prepared += p[0]!.n as number;
  }
  return { found, prepared };
}

const steps: [TxStep, "source" | "target"][] = [
  ["logged", "source"],
  ["source-prepared", "source"],
  ["target-prepared", "source"],
  ["decided", "target"],
  ["source-committed", "target"],
];

describe("TX-4 recovery after a coordinator crash", () => {
  for (const [step, endsOn] of steps) {
    it(`crash after ${step}: the card ends on the ${endsOn} shard, nothing in doubt`, async (ctx) => {
      if (!cluster.dbs.twoPhaseCommit) ctx.skip(); // needs max_prepared_transactions > 0 (.ci/run sets it)
      const s = await cluster.connect((await cluster.signIn("mover")).token);
      const { board: from } = await ok<{ board: Board }>(s, "board:create", { name: "from", policy: "occ", shard: "a" });
      const { board: to } = await ok<{ board: Board }>(s, "board:create", { name: "to", policy: "occ", shard: "b" });
      const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: step } });
      const moves = cluster.nodes[0]!.services.moves;
      moves.faults = (at) => {
        if (at === step) throw new SimulatedCrash(at);
      };
      try {
        const r = await request(s, "card:move", { mutationId: mid(), cardId: card.id, toBoardId: to.id, baseVersion: 1 });
        expect(r.ok).toBe(false); // the "process" died before it could answer
      } finally {
        moves.faults = null;
      }
      const result = await moves.recover(0);
      expect(result.committed + result.aborted).toBeGreaterThanOrEqual(step === "logged" ? 0 : 1);
      const after = await where(card.id);
      expect(after.prepared).toBe(0);
      expect(after.found).toEqual([endsOn === "source" ? `a:${from.id}` : `b:${to.id}`]);
      // Both boards stay writable and consistent: their logs continue without gaps.
      const src = await ok<{ seq: number; changes: { seq: number }[] }>(s, "board:join", { boardId: from.id, since: 0 });
      expect(src.changes.map((c) => c.seq)).toEqual(Array.from({ length: src.seq }, (_, i) => i + 1));
      await ok(s, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "still writable" } });
    });
  }
});
