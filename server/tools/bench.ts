/**
 * Throughput and latency benchmark (prints figures; not a test). Starts one real node over a
 * real Postgres (BENCH_DATABASE_URL, else an embedded one in a temp folder), then:
 *  1. W writers each send versioned updates to their own card on one board, S subscribers
 *     joined to the board receiving every change;
 *  2. reports writes/s, ack latency p50/p95/p99, broadcasts delivered/s, and RSS.
 * Usage: npm run bench -- [--writers 20] [--subscribers 50] [--seconds 10] [--batch]
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { io as ioClient, type Socket } from "socket.io-client";
import type { Board, Card } from "../../lib/protocol";
import { ensureDatabase, openDatabases } from "../db/databases";
import { startEmbeddedPostgres } from "../db/embedded";
import { createNode } from "../node";
import { Sessions } from "../services/sessions";

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
  let tmp: string | null = null;
  let stopPg: (() => Promise<void>) | null = null;
  let adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), "concord-bench-"));
    await chmod(tmp, 0o755);
    const pg = await startEmbeddedPostgres(path.join(tmp, "pg"), () => {});
    stopPg = pg.stop;
    adminUrl = pg.url("postgres");
  }
  const name = `concord_bench_${randomBytes(4).toString("hex")}`;
  const url = (db: string) => Object.assign(new URL(adminUrl!), { pathname: `/${db}` }).toString();
  for (const db of [name, `${name}_a`, `${name}_b`]) await ensureDatabase(adminUrl, db);
  const dbs = await openDatabases(url(name), { a: url(`${name}_a`), b: url(`${name}_b`) });
  const sessions = new Sessions(randomBytes(16).toString("hex"));
  const node = await createNode({ nodeId: "bench", dbs, sessions, log: pino({ level: "silent" }), adapter: "memory" });
  const port = await node.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  const { token } = await node.sessions.create("bench");
  const connect = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = ioClient(base, { auth: { token, batch: args.batch }, transports: ["websocket"], forceNew: true });
      s.once("connect", () => resolve(s));
      s.once("connect_error", reject);
    });

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
  await node.close();
  await dbs.close();
  const admin = (await import("postgres")).default(adminUrl, { max: 1, onnotice: () => {} });
  for (const db of [name, `${name}_a`, `${name}_b`]) await admin.unsafe(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  await admin.end();
  await stopPg?.();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  process.exit(0);
}

void main();
