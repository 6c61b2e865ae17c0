/**
 * The feed (SPEC FEED-2, FEED-5, FEED-6): a client 10 000 changes behind catching up, and the
 * first join of a 5 000-card board, each answered in full (every page) by one client of the load
 * generator. Two catch-ups: 10 000 creates (the answer is the log itself) and 10 changes to each
 * of 1 000 cards (the server may answer the smaller snapshot instead, FEED-6).
 */
import { median } from "../stats";
import { seedBoards, seedUpdates } from "../seed";
import type { JoinResult } from "../load/workloads";
import type { Row, Scenario } from "../types";

export const feedScenario: Scenario = {
  name: "feed",
  description: "catch-up of 10 000 changes; join of a 5 000-card board",
  async run(ctx) {
    const changes = ctx.quick ? 200 : 10_000;
    const joinCards = ctx.quick ? 100 : 5000;
    const concord = await ctx.concord();
    const load = await ctx.load();
    try {
      ctx.progress(`[feed] seeding: ${changes} creates; ${changes / 10} cards × 10 changes; a ${joinCards}-card board`);
      const [creates] = await seedBoards(concord, 1, changes);
      const [rewritten] = await seedBoards(concord, 1, changes / 10);
      await seedUpdates(concord, rewritten!, 9);
      const [big] = await seedBoards(concord, 1, joinCards);
      const endpoint = { url: concord.urls[0]!, token: concord.token };
      const cases = [
        { label: `catch-up of ${changes} changes (creates)`, metric: "time to caught up", boardId: creates!.boardId, since: 0, limit: 1000 },
        { label: `catch-up of ${changes} changes (${changes / 10} cards × 10)`, metric: "time to caught up", boardId: rewritten!.boardId, since: 0, limit: 1000 },
        { label: `join of a ${joinCards}-card board`, metric: "time to all cards", boardId: big!.boardId, since: undefined, limit: 500 },
      ];
      const times: number[][] = cases.map(() => []);
      for (let r = 0; r < ctx.repeat; r++) {
        for (const [i, c] of cases.entries()) {
          const x: JoinResult = await load.run("joinBoard", { ...endpoint, boardId: c.boardId, since: c.since });
          times[i]!.push(x.ms);
          ctx.progress(
            `[feed] ${c.label} (${r + 1}/${ctx.repeat}): ${x.ms.toFixed(0)} ms, ${x.pages} pages, ${x.changes} changes, ${x.cards} cards, ${(x.bytes / 1024).toFixed(0)} KiB`,
          );
        }
      }
      return cases.map((c, i): Row => {
        const value = median(times[i]!);
        return {
          scenario: "feed", case: c.label, metric: c.metric, unit: "ms", value, samples: times[i],
          target: `< ${c.limit.toLocaleString("en-US")} ms`, met: value < c.limit,
        };
      });
    } finally {
      await load.close();
      await concord.close();
    }
  },
};
