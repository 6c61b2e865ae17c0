/**
 * Committed writes/s, ack latency and write → other client latency: the naive server against
 * Concord under the same closed-loop load (load/workloads.ts `writes`), each client joined to the
 * board it writes, so every write fans out to the board's other clients. Runs alternate naive /
 * Concord / Concord batch / the ceiling (ceiling-server.ts: Concord's frames and fan-out with no
 * database, the most any server could reach on the machine) within each repeat; rows are
 * medians, ratios from the same run.
 */
import { randomUUID } from "node:crypto";
import { median } from "../stats";
import { seedBoards } from "../seed";
import type { BenchContext, Row, Scenario } from "../types";
import type { WritesResult } from "../load/workloads";
import type { CpuReading } from "../load/cpu";
import { startCeilingServer, type CeilingServer } from "../ceiling-server";

interface Case {
  label: string;
  clients: number;
  boards: number;
  cards: number;
  /** Also Concord with `batch` clients (SPEC PERF-2). */
  batch: boolean;
  /** Also the ceiling (ceiling-server.ts): Concord's frames and fan-out, nothing stored. */
  ceiling?: boolean;
}

type Variant = "naive" | "concord" | "concord batch" | "ceiling";
const caseLabel: Record<Variant, string> = { naive: "", concord: "", "concord batch": ", batch", ceiling: ", ceiling (no database)" };

const cpuTotal = (c: CpuReading) => c.server + c.load + c.db;
const cpuText = (c: CpuReading) => `${cpuTotal(c).toFixed(3)} ms (servers ${c.server.toFixed(3)}, load ${c.load.toFixed(3)}, Postgres ${c.db.toFixed(3)})`;

async function runCase(ctx: BenchContext, c: Case): Promise<Row[]> {
  const naive = await ctx.naive();
  const concord = await ctx.concord();
  const load = await ctx.load();
  let ceiling: CeilingServer | null = null;
  try {
    const cardsPerBoard = Math.ceil(c.cards / c.boards);
    const naiveBoards = await Promise.all(
      Array.from({ length: c.boards }, async () => {
        const boardId = `b_${randomUUID()}`; // Concord's id shape: the same bytes per frame
        return { boardId, cardIds: await naive.seed(boardId, cardsPerBoard) };
      }),
    );
    const concordBoards = await seedBoards(concord, c.boards, cardsPerBoard);
    // Measured as a node runs after its first seconds (a lone node stops relaying, PERF-3).
    await concord.settled();
    let ceilingBoards: { boardId: string; cardIds: string[] }[] = [];
    if (c.ceiling) {
      const server = (ceiling = await startCeilingServer());
      ceilingBoards = naiveBoards.map((b) => ({ boardId: b.boardId, cardIds: server.seed(b.boardId, cardsPerBoard) }));
    }
    const variants: Variant[] = ["naive", "concord", ...(c.batch ? ["concord batch" as const] : []), ...(c.ceiling ? ["ceiling" as const] : [])];
    const results: Record<Variant, WritesResult[]> = { naive: [], concord: [], "concord batch": [], ceiling: [] };
    const versions: { naive?: Record<string, number>; concord?: Record<string, number>; ceiling?: Record<string, number> } = {};
    const store = (v: Variant) => (v === "concord batch" ? "concord" : v);
    for (let r = 0; r < ctx.repeat; r++) {
      for (const v of variants) {
        const res = await load.run("writes", {
          ...(v === "naive"
            ? { url: naive.url, boards: naiveBoards }
            : v === "ceiling"
              ? { url: ceiling!.url, boards: ceilingBoards }
              : { url: concord.urls[0]!, token: concord.token, batch: v === "concord batch", boards: concordBoards }),
          clients: c.clients,
          seconds: ctx.seconds,
          warmupSeconds: ctx.quick ? 0.3 : 0.5,
          versions: versions[store(v)],
        });
        versions[store(v)] = res.versions;
        results[v].push(res);
        const errs = Object.entries(res.errors).map(([k, n]) => `${k} ${n}`).join(", ");
        const cpu = res.cpuMs ? `, CPU per write ${cpuText(res.cpuMs)}` : "";
        ctx.progress(
          `[writes] ${c.label}, ${v} (${r + 1}/${ctx.repeat}): ${res.writesPerSecond.toFixed(0)} writes/s, ack p50 ${res.ackMs.p50.toFixed(1)} ms, ` +
            `→ other p50 ${res.deliverMs.p50.toFixed(1)} ms, ${res.conflicts} conflicts${cpu}${errs ? `, errors: ${errs}` : ""}`,
        );
      }
    }
    const med = (v: Variant, f: (x: WritesResult) => number) => median(results[v].map(f));
    const samples = (v: Variant, f: (x: WritesResult) => number) => results[v].map(f);
    const rows: Row[] = [];
    const metrics: { metric: string; unit: string; f: (x: WritesResult) => number }[] = [
      { metric: "committed writes/s", unit: "/s", f: (x) => x.writesPerSecond },
      { metric: "ack p50", unit: "ms", f: (x) => x.ackMs.p50 },
      { metric: "ack p99", unit: "ms", f: (x) => x.ackMs.p99 },
      { metric: "write → other client p50", unit: "ms", f: (x) => x.deliverMs.p50 },
    ];
    // CPU a committed write cost, all sides together (Linux: /proc), with each side's median in the note.
    const cpuKnown = variants.every((v) => results[v].every((x) => x.cpuMs));
    if (cpuKnown) metrics.push({ metric: "CPU per committed write", unit: "ms", f: (x) => cpuTotal(x.cpuMs!) });
    for (const v of variants.filter((x) => x !== "naive")) {
      for (const m of metrics) {
        const value = med(v, m.f);
        const base = med("naive", m.f);
        const row: Row = {
          scenario: "writes", case: `${c.label}${caseLabel[v]}`, metric: m.metric, unit: m.unit, value,
          baseline: { name: "naive", value: base }, samples: samples(v, m.f),
        };
        if (v === "concord" && c.clients >= 50 && c.boards === 1 && m.metric === "committed writes/s") {
          // The ratio of medians; each repeat's own ratio is in the progress lines.
          row.target = "≥ 1.5× naive";
          row.met = value >= 1.5 * base;
        }
        if (v === "concord" && c.clients === 2 && m.metric === "ack p50") {
          row.target = "≤ 1.5× naive";
          row.met = value <= 1.5 * base;
        }
        if (v === "concord" && c.clients === 2 && m.metric === "write → other client p50") {
          const ack = med("concord", (x) => x.ackMs.p50);
          row.target = "≤ ack p50 + 1 ms";
          row.met = value <= ack + 1;
        }
        if (v === "ceiling" && m.metric === "committed writes/s") {
          row.note = "what any server could reach here with Concord's frames and fan-out before storing anything (ceiling-server.ts)";
        }
        if (m.metric === "CPU per committed write") {
          const side = (w: Variant) => cpuText({ server: med(w, (x) => x.cpuMs!.server), load: med(w, (x) => x.cpuMs!.load), db: med(w, (x) => x.cpuMs!.db) });
          row.note = `${v}: ${side(v)}; naive: ${side("naive")}`;
        }
        rows.push(row);
      }
    }
    return rows;
  } finally {
    await load.close();
    await ceiling?.close();
    await concord.close();
    await naive.close();
  }
}

export const writesScenario: Scenario = {
  name: "writes",
  description: "naive server vs Concord: 50 clients over 1 000 cards of one board, over 20 boards, and 2 clients",
  async run(ctx) {
    const cases: Case[] = ctx.quick
      ? [{ label: "4 clients, 1 board", clients: 4, boards: 1, cards: 20, batch: false, ceiling: true }]
      : [
          { label: "50 clients, 1 board", clients: 50, boards: 1, cards: 1000, batch: true, ceiling: true },
          { label: "50 clients, 20 boards", clients: 50, boards: 20, cards: 1000, batch: false },
          { label: "2 clients, 1 board", clients: 2, boards: 1, cards: 1000, batch: false },
          // A lone writer: a write's own cost, without the other client's batch ahead of it.
          { label: "1 client, 1 board", clients: 1, boards: 1, cards: 1000, batch: false },
        ];
    const rows: Row[] = [];
    for (const c of cases.filter((x) => !ctx.only || x.label.includes(ctx.only))) rows.push(...(await runCase(ctx, c)));
    return rows;
  },
};
