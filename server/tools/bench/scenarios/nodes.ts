/**
 * Two Concord nodes over the same databases, broadcasts crossing through the Postgres adapter
 * (SPEC REPL-1): a writer on node 1, a client on node 2 and one on node 1; paced writes.
 * The baseline is the client on the writer's own node, in the same run.
 */
import { median } from "../stats";
import { seedBoards } from "../seed";
import type { Row, Scenario } from "../types";
import type { FanoutRound } from "../load/workloads";

export const nodesScenario: Scenario = {
  name: "nodes",
  description: "two nodes: write on one → client on the other node latency (vs a client on the same node)",
  async run(ctx) {
    const writes = ctx.quick ? 20 : 200;
    const concord = await ctx.concord({ nodes: 2 });
    const load = await ctx.load();
    try {
      const [seeded] = await seedBoards(concord, 1, 1);
      const e = (node: number) => ({ url: concord.urls[node]!, token: concord.token });
      const { rounds: runs } = await load.run("fanout", {
        writer: e(0),
        groups: [{ label: "other", endpoint: e(1), count: 1 }, { label: "same", endpoint: e(0), count: 1 }],
        boardId: seeded!.boardId, mode: "update", cardId: seeded!.cardIds[0]!, rounds: ctx.repeat, writes, gapMs: 10,
      });
      for (const [r, x] of runs.entries()) {
        ctx.progress(
          `[nodes] (${r + 1}/${ctx.repeat}) other node p50 ${x.deliverMs.other!.p50.toFixed(1)} / p99 ${x.deliverMs.other!.p99.toFixed(1)} ms; ` +
            `same node p50 ${x.deliverMs.same!.p50.toFixed(1)} ms; ack p50 ${x.ackMs.p50.toFixed(1)} ms${x.missing ? `; ${x.missing} missing` : ""}`,
        );
      }
      const m = (f: (x: FanoutRound) => number) => median(runs.map(f));
      const rows: Row[] = [
        {
          scenario: "nodes", case: "2 nodes, Postgres adapter", metric: "write → client on other node p50", unit: "ms",
          value: m((x) => x.deliverMs.other!.p50), baseline: { name: "same node", value: m((x) => x.deliverMs.same!.p50) },
          samples: runs.map((x) => x.deliverMs.other!.p50),
        },
        {
          scenario: "nodes", case: "2 nodes, Postgres adapter", metric: "write → client on other node p99", unit: "ms",
          value: m((x) => x.deliverMs.other!.p99), baseline: { name: "same node", value: m((x) => x.deliverMs.same!.p99) },
          samples: runs.map((x) => x.deliverMs.other!.p99),
        },
      ];
      return rows;
    } finally {
      await load.close();
      await concord.close();
    }
  },
};
