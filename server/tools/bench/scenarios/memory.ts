/**
 * Server memory per idle client: the servers run in this process, so its RSS and heap after a
 * full GC are read before and after the load generator connects N clients joined to one board.
 * Concord against the naive server (bare Socket.IO with a room join).
 */
import { median } from "../stats";
import { seedBoards } from "../seed";
import type { BenchContext, Row, Scenario } from "../types";
import type { LoadGenerator } from "../load/generator";
import type { Endpoint } from "../load/workloads";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function perClient(ctx: BenchContext, load: LoadGenerator, endpoint: Endpoint, boardId: string, clients: number) {
  const read = async () => {
    await sleep(300);
    ctx.gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
  };
  const before = await read();
  await load.run("idle", { ...endpoint, clients, boardId });
  const after = await read();
  await load.run("release", undefined);
  return { rssKiB: (after.rss - before.rss) / clients / 1024, heapKiB: (after.heap - before.heap) / clients / 1024 };
}

export const memoryScenario: Scenario = {
  name: "memory",
  description: "server memory per idle client at 2 000 clients (Concord vs bare Socket.IO)",
  async run(ctx) {
    const clients = ctx.quick ? 50 : 2000;
    const naive = await ctx.naive();
    const concord = await ctx.concord();
    const load = await ctx.load();
    try {
      const [seeded] = await seedBoards(concord, 1, 1);
      const c: { rssKiB: number; heapKiB: number }[] = [];
      const b: { rssKiB: number; heapKiB: number }[] = [];
      // One round: 2 000 handshakes per server are the slow part, and the figure hardly moves.
      for (let r = 0; r < 1; r++) {
        b.push(await perClient(ctx, load, { url: naive.url }, "b_idle", clients));
        c.push(await perClient(ctx, load, { url: concord.urls[0]!, token: concord.token }, seeded!.boardId, clients));
        ctx.progress(
          `[memory] ${clients} idle clients (${r + 1}/1): Concord ${c.at(-1)!.rssKiB.toFixed(1)} KiB RSS / ${c.at(-1)!.heapKiB.toFixed(1)} KiB heap per client; ` +
            `bare Socket.IO ${b.at(-1)!.rssKiB.toFixed(1)} / ${b.at(-1)!.heapKiB.toFixed(1)}`,
        );
      }
      const rss = median(c.map((x) => x.rssKiB));
      const rows: Row[] = [
        {
          scenario: "memory", case: `${clients} idle clients`, metric: "server RSS per client", unit: "KiB", value: rss,
          baseline: { name: "bare Socket.IO", value: median(b.map((x) => x.rssKiB)) }, samples: c.map((x) => x.rssKiB),
          target: "≤ 50 KiB", met: rss <= 50,
        },
        {
          scenario: "memory", case: `${clients} idle clients`, metric: "server heap per client", unit: "KiB", value: median(c.map((x) => x.heapKiB)),
          baseline: { name: "bare Socket.IO", value: median(b.map((x) => x.heapKiB)) }, samples: c.map((x) => x.heapKiB),
        },
      ];
      return rows;
    } finally {
      await load.close();
      await concord.close();
      await naive.close();
    }
  },
};
