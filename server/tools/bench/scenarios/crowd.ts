/**
 * `crowd` (issue 15): 2 000 distinct people join one board, then a writer sends 20 updates/s.
 * Every client runs in the load generator's process (load/crowd.ts); the node runs here. Reports
 * how long joining took, the presence bytes each socket heard per join after its own (SPEC
 * PRES-1: constant, not growing with the board), write → every socket delivery p50/p99, and how
 * many sockets stayed connected.
 */
import { seedBoards } from "../seed";
import { LIMITS } from "../../../../lib/protocol";
import type { Row, Scenario } from "../types";

export const crowdScenario: Scenario = {
  name: "crowd",
  optIn: true,
  description: "2 000 distinct people join one board, then 20 updates/s: join time, presence bytes per join, delivery p99, all connected",
  async run(ctx) {
    const people = Number(process.env.BENCH_CROWD_PEOPLE ?? (ctx.quick ? 150 : 2_000));
    const seconds = ctx.quick ? 2 : Math.max(5, ctx.seconds * 3);
    const rate = 20;
    const tool = await ctx.concord();
    const load = await ctx.load();
    try {
      const [board] = await seedBoards(tool, 1, 100);
      const tokens: string[] = [];
      for (let i = 0; i < people; i += 100) {
        const made = await Promise.all(Array.from({ length: Math.min(100, people - i) }, (_, k) => tool.node.sessions.create(`Person ${i + k + 1}`)));
        tokens.push(...made.map((m) => m.token));
      }
      ctx.progress(`[crowd] ${people} people signed in; connecting and joining one board`);
      const r = await load.run("crowd", {
        url: tool.urls[0]!, tokens, writerToken: tool.token, boardId: board!.boardId, cardIds: board!.cardIds, joinWave: 100, rate, seconds,
      });
      const drops = Object.entries(r.disconnects).map(([k, n]) => `${k} ${n}`).join(", ");
      ctx.progress(
        `[crowd] connect ${(r.connectMs / 1000).toFixed(1)} s, join ${(r.joinMs / 1000).toFixed(1)} s; presence ${r.presenceMessages} messages, ` +
          `≤ ${r.presenceMaxMessageBytes} B each, per join p50 ${r.presenceBytesPerJoin.p50.toFixed(0)} B (first socket ${r.presenceBytesPerJoin.first.toFixed(0)} B); ` +
          `last joiner's list ${r.lastJoinerListed} of ${r.lastJoinerTotal}; ${r.writes} writes → ${r.deliverMs.n} deliveries, p50 ${r.deliverMs.p50.toFixed(0)} ms, ` +
          `p99 ${r.deliverMs.p99.toFixed(0)} ms, ${r.missing} missing; connected at end ${r.connectedAtEnd}/${people}${drops ? ` (disconnects: ${drops})` : ""}`,
      );
      const c = `${people} people, 1 board, ${rate} updates/s`;
      const row = (metric: string, unit: string, value: number, extra: Partial<Row> = {}): Row => ({ scenario: "crowd", case: c, metric, unit, value, ...extra });
      return [
        row("join all", "ms", r.joinMs, { target: "< 20 000 ms", met: r.joinMs < 20_000, note: `${people} joins, ${100} at a time, after connecting in ${Math.round(r.connectMs)} ms` }),
        row("presence bytes per join (p50 socket)", "B", r.presenceBytesPerJoin.p50, {
          target: "O(1): < 200 B", met: r.presenceBytesPerJoin.max < 200,
          note: `delta bytes per announced arrival or departure; max over sockets ${Math.round(r.presenceBytesPerJoin.max)} B; first socket ${Math.round(r.presenceBytesPerJoin.first)} B; a joiner's list at most ${r.presenceBytesPerJoin.list} B (once, capped at ${LIMITS.presenceListed} people); largest message ${r.presenceMaxMessageBytes} B`,
        }),
        row("write → every socket p50", "ms", r.deliverMs.p50),
        row("write → every socket p99", "ms", r.deliverMs.p99, { note: `${r.deliverMs.n} deliveries, ${r.missing} missing, max ${Math.round(r.deliverMs.max)} ms` }),
        row("connected at end", "", r.connectedAtEnd, { target: `= ${people}`, met: r.connectedAtEnd === people, ...(drops ? { note: drops } : {}) }),
      ];
    } finally {
      await load.close();
      await tool.close();
    }
  },
};
