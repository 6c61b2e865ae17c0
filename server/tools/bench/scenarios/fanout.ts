/**
 * Fan-out: one writer, N subscribers joined to the board, paced writes; every subscriber's
 * receipt is timed. Concord's `card:update` (commit, then broadcast) against a bare Socket.IO
 * broadcast of the same payload (the naive server's `bench:broadcast`, no database): the
 * difference is what Concord adds on the way out.
 */
import { median } from "../stats";
import { seedBoards } from "../seed";
import type { Scenario } from "../types";
import type { FanoutRound } from "../load/workloads";

export const fanoutScenario: Scenario = {
  name: "fanout",
  description: "fan-out latency p99 at 500 subscribers: Concord vs a bare Socket.IO broadcast of the same payload",
  async run(ctx) {
    const subscribers = ctx.quick ? 20 : 500;
    const writes = ctx.quick ? 10 : 50;
    const naive = await ctx.naive();
    const concord = await ctx.concord();
    const load = await ctx.load();
    try {
      const [seeded] = await seedBoards(concord, 1, 1);
      await concord.settled(); // as a node runs after its first seconds (PERF-3)
      const endpointC = { url: concord.urls[0]!, token: concord.token };
      const c = await load.run("fanout", {
        writer: endpointC, groups: [{ label: "subs", endpoint: endpointC, count: subscribers }],
        boardId: seeded!.boardId, mode: "update", cardId: seeded!.cardIds[0]!, rounds: ctx.repeat, writes, gapMs: 20,
      });
      const b = await load.run("fanout", {
        writer: { url: naive.url }, groups: [{ label: "subs", endpoint: { url: naive.url }, count: subscribers }],
        boardId: "b_bare", mode: "broadcast", payload: c.sample, rounds: ctx.repeat, writes, gapMs: 20,
      });
      const runs = { concord: c.rounds, bare: b.rounds };
      const d = (x: FanoutRound) => `p50 ${x.deliverMs.subs!.p50.toFixed(1)} / p99 ${x.deliverMs.subs!.p99.toFixed(1)} ms${x.missing ? `, ${x.missing} missing` : ""}`;
      for (let r = 0; r < ctx.repeat; r++) {
        ctx.progress(`[fanout] ${subscribers} subscribers (${r + 1}/${ctx.repeat}): Concord ${d(runs.concord[r]!)}; bare Socket.IO ${d(runs.bare[r]!)}`);
      }
      const m = (k: "bare" | "concord", f: (x: FanoutRound) => number) => median(runs[k].map(f));
      const p99 = (x: FanoutRound) => x.deliverMs.subs!.p99;
      const p50 = (x: FanoutRound) => x.deliverMs.subs!.p50;
      const label = `${subscribers} subscribers, ${writes} writes`;
      return [
        {
          scenario: "fanout", case: label, metric: "write → subscriber p99", unit: "ms", value: m("concord", p99),
          baseline: { name: "bare Socket.IO", value: m("bare", p99) }, samples: runs.concord.map(p99),
          target: "≤ 1.5× bare", met: m("concord", p99) <= 1.5 * m("bare", p99),
        },
        {
          scenario: "fanout", case: label, metric: "write → subscriber p50", unit: "ms", value: m("concord", p50),
          baseline: { name: "bare Socket.IO", value: m("bare", p50) }, samples: runs.concord.map(p50),
        },
      ];
    } finally {
      await load.close();
      await concord.close();
      await naive.close();
    }
  },
};
