/**
 * Throughput and latency benchmark (prints figures; not a test). Starts one real node over a
 * real Postgres (BENCH_DATABASE_URL, else an embedded one in a temp folder), then:
 *  1. W writers each send versioned updates to their own card on one board, S subscribers
 *     joined to the board receiving every change;
 *  2. reports writes/s, ack latency p50/p95/p99, broadcasts delivered/s, and RSS.
 * Usage: npm run bench -- [--writers 20] [--subscribers 50] [--seconds 10] [--batch]
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import type { Socket } from "socket.io-client";
import type { Board, Card } from "../../lib/protocol";
import { startToolNode } from "./tool-node";

const { values: args } = parseArgs({
  options: {
    writers: { type: "string", default: "20" },
    subscribers: { type: "string", default: "50" },
    seconds: { type: "string", default: "10" },
    batch: { type: "boolean", default: false },
  },
});
const W = Number(args.writers);
const S = Number(args.subscribers);
const SECONDS = Number(args.seconds);

function emit<T>(s: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    s.emit(event, payload, (r: { ok: boolean; error?: { code: string } } & T) => (r.ok ? resolve(r) : reject(new Error(r.error?.code)))),
  );
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

async function main() {
  const tool = await startToolNode("bench");
  const connect = () => tool.connect({ batch: args.batch });

  const owner = await connect();
  const { board } = await emit<{ board: Board }>(owner, "board:create", { name: "bench", policy: "occ", shard: "a" });
  const subs = await Promise.all(Array.from({ length: S }, connect));
  let delivered = 0;
  for (const s of subs) {
    await emit(s, "board:join", { boardId: board.id });
    s.on("change", () => delivered++);
    s.on("changes", (cs: unknown[]) => (delivered += cs.length));
  }
  const writers = await Promise.all(Array.from({ length: W }, connect));
  const latencies: number[] = [];
  let writes = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    writers.map(async (w, i) => {
      const { card } = await emit<{ card: Card }>(w, "card:create", { mutationId: `m_${randomBytes(8).toString("hex")}`, boardId: board.id, fields: { title: `w${i}` } });
      let version = card.version;
      while (Date.now() < deadline) {
        const t = performance.now();
        const r = await emit<{ card: Card }>(w, "card:update", {
          mutationId: `m_${randomBytes(8).toString("hex")}`, cardId: card.id, baseVersion: version, patch: { estimate: version },
        });
        latencies.push(performance.now() - t);
        version = r.card.version;
        writes++;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const rss = process.memoryUsage().rss / 1024 / 1024;
  console.log(`writers=${W} subscribers=${S} seconds=${elapsed.toFixed(1)} batch=${args.batch}`);
  console.log(`writes/s            ${(writes / elapsed).toFixed(0)}`);
  console.log(`ack latency ms      p50 ${pct(latencies, 50).toFixed(1)}  p95 ${pct(latencies, 95).toFixed(1)}  p99 ${pct(latencies, 99).toFixed(1)}`);
  console.log(`broadcasts/s        ${(delivered / elapsed).toFixed(0)} (to ${S} subscribers)`);
  console.log(`process RSS MiB     ${rss.toFixed(0)} (server and clients in one process)`);

  for (const s of [owner, ...subs, ...writers]) s.disconnect();
  await tool.close();
  process.exit(0);
}

void main();
