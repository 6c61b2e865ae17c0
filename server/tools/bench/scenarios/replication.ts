/**
 * What a standby costs (issue 17): the `writes` scenario's load (50 clients over 1 000 cards of
 * one board, closed loop) against Concord whose shard `a` runs on (a) one server, (b) a primary
 * with a synchronous standby, (c) a primary with an asynchronous standby (SPEC STANDBY-1/2). Each
 * case gets Postgres servers of its own, started with the same flags (db/pg-server.ts); the
 * catalog and shard `b` stay on the bench's server. Runs alternate the cases within each repeat;
 * rows are medians with ratios to (a). With a standby, the primary's pg_stat_replication is read
 * every 200 ms during the load: the largest replay lag seen (for async, the writes a failover
 * could lose).
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { freePort } from "../../../db/embedded";
import { shardDatabase, startEmbeddedStandbys } from "../../../db/embedded-standbys";
import { initCluster, startServer } from "../../../db/pg-server";
import { STANDBY_NAME } from "../../../db/standby-pair";
import type { ReplicationOptions } from "../../../db/replication";
import { startToolNode, type ToolNode } from "../../tool-node";
import { seedBoards, type SeededBoard } from "../seed";
import { median } from "../stats";
import type { WritesResult } from "../load/workloads";
import type { BenchContext, Row, Scenario } from "../types";

type Mode = "none" | "sync" | "async";
const LABEL: Record<Mode, string> = { none: "no standby", sync: "sync standby", async: "async standby" };

interface Deployment {
  concord: ToolNode;
  board: SeededBoard;
  /** Shard a's primary (for pg_stat_replication). */
  primaryUrl: string;
  stop(): Promise<void>;
}

async function deploy(ctx: BenchContext, dir: string, mode: Mode, cards: number): Promise<Deployment> {
  let shardUrl: string;
  let stopServers: () => Promise<void>;
  let replication: ReplicationOptions | undefined;
  if (mode === "none") {
    const data = path.join(dir, "a");
    await initCluster(data);
    const server = await startServer(data, await freePort());
    const admin = postgres(server.url("postgres"), { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${shardDatabase("a")}`);
    await admin.end();
    shardUrl = server.url(shardDatabase("a"));
    stopServers = () => server.stop();
  } else {
    const pairs = await startEmbeddedStandbys(dir, ["a"], mode, () => {});
    shardUrl = pairs.pairs.a![0];
    replication = { mode, pairs: pairs.pairs, failoverAfterMs: 60_000 };
    stopServers = () => pairs.stop();
  }
  try {
    const concord = await startToolNode(`bench_repl_${mode}`, { adminUrl: ctx.adminUrl, adapter: "postgres", shardUrls: { a: shardUrl }, replication });
    const [board] = await seedBoards(concord, 1, cards);
    await concord.settled(); // as a node runs after its first seconds (PERF-3)
    return {
      concord, board: board!, primaryUrl: shardUrl,
      stop: async () => {
        await concord.close();
        await stopServers();
      },
    };
  } catch (err) {
    await stopServers();
    throw err;
  }
}

/** Samples the primary's replay lag every 200 ms until `stop` is called; answers the largest seen. */
function sampleLag(primaryUrl: string): () => Promise<{ ms: number; bytes: number; samples: number }> {
  const sql = postgres(primaryUrl, { max: 1, onnotice: () => {} });
  const max = { ms: 0, bytes: 0, samples: 0 };
  let running = true;
  let failed: Error | null = null;
  const loop = (async () => {
    while (running) {
      const [r] = await sql<{ lag_ms: number | null; lag_bytes: string | null }[]>`
        SELECT (extract(epoch FROM replay_lag) * 1000)::float8 AS lag_ms, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag_bytes
        FROM pg_stat_replication WHERE application_name = ${STANDBY_NAME} AND state = 'streaming' LIMIT 1`;
      if (!r) throw new Error("no standby streams from the primary");
      // replay_lag is null once the standby has caught up and nothing new was written.
      max.ms = Math.max(max.ms, r.lag_ms ?? 0);
      max.bytes = Math.max(max.bytes, Number(r.lag_bytes ?? 0));
      max.samples++;
      await new Promise((res) => setTimeout(res, 200));
    }
  })().catch((err: Error) => void (failed = err));
  return async () => {
    running = false;
    await loop;
    await sql.end();
    if (failed) throw failed;
    return max;
  };
}

export const replicationScenario: Scenario = {
  name: "replication",
  description: "writes (50 clients, 1 board) with no standby, a sync standby, an async standby: writes/s, ack, replay lag",
  optIn: true,
  async run(ctx) {
    const clients = ctx.quick ? 4 : 50;
    const cards = ctx.quick ? 20 : 1000;
    const modes: Mode[] = ["none", "sync", "async"];
    const tmp = await mkdtemp(path.join(os.tmpdir(), "concord-bench-repl-"));
    await chmod(tmp, 0o755);
    const deployments = new Map<Mode, Deployment>();
    const load = await ctx.load();
    try {
      for (const m of modes) {
        ctx.progress(`[replication] starting Postgres for "${LABEL[m]}"…`);
        deployments.set(m, await deploy(ctx, path.join(tmp, m), m, cards));
      }
      const results: Record<Mode, WritesResult[]> = { none: [], sync: [], async: [] };
      const lags: Record<Mode, { ms: number; bytes: number }[]> = { none: [], sync: [], async: [] };
      const versions: Partial<Record<Mode, Record<string, number>>> = {};
      for (let r = 0; r < ctx.repeat; r++) {
        for (const m of modes) {
          const d = deployments.get(m)!;
          const stopLag = m === "none" ? null : sampleLag(d.primaryUrl);
          const res = await load.run("writes", {
            url: d.concord.urls[0]!, token: d.concord.token, boards: [d.board], clients, seconds: ctx.seconds,
            warmupSeconds: ctx.quick ? 0.3 : 0.5, versions: versions[m],
          }).finally(async () => {
            if (stopLag) lags[m].push(await stopLag());
          });
          versions[m] = res.versions;
          results[m].push(res);
          const lag = lags[m][r];
          const errs = Object.entries(res.errors).map(([k, n]) => `${k} ${n}`).join(", ");
          ctx.progress(
            `[replication] ${LABEL[m]} (${r + 1}/${ctx.repeat}): ${res.writesPerSecond.toFixed(0)} writes/s, ack p50 ${res.ackMs.p50.toFixed(1)} ms, ` +
              `p99 ${res.ackMs.p99.toFixed(1)} ms${lag ? `, replay lag max ${lag.ms.toFixed(1)} ms / ${lag.bytes} B` : ""}${errs ? `, errors: ${errs}` : ""}`,
          );
        }
      }
      const metrics: { metric: string; unit: string; f: (x: WritesResult) => number }[] = [
        { metric: "committed writes/s", unit: "/s", f: (x) => x.writesPerSecond },
        { metric: "ack p50", unit: "ms", f: (x) => x.ackMs.p50 },
        { metric: "ack p99", unit: "ms", f: (x) => x.ackMs.p99 },
      ];
      const rows: Row[] = [];
      for (const m of modes) {
        const c = `${clients} clients, 1 board, ${LABEL[m]}`;
        for (const { metric, unit, f } of metrics) {
          const samples = results[m].map(f);
          rows.push({
            scenario: "replication", case: c, metric, unit, value: median(samples), samples,
            ...(m === "none" ? {} : { baseline: { name: LABEL.none, value: median(results.none.map(f)) } }),
          });
        }
        if (m === "none") continue;
        // The largest lag over every repeat's load, not a median: the loss window at its widest.
        rows.push({ scenario: "replication", case: c, metric: "replay lag max", unit: "ms", value: Math.max(...lags[m].map((l) => l.ms)), samples: lags[m].map((l) => l.ms) });
        rows.push({ scenario: "replication", case: c, metric: "replay lag max", unit: "B", value: Math.max(...lags[m].map((l) => l.bytes)), samples: lags[m].map((l) => l.bytes) });
      }
      return rows;
    } finally {
      await load.close();
      for (const d of deployments.values()) await d.stop().catch(() => {});
      await rm(tmp, { recursive: true, force: true });
    }
  },
};
