/**
 * Runs several Concord nodes on this machine over one embedded Postgres, to watch replication:
 * open http://localhost:3000 in one tab and http://localhost:3001 in another; the sync inspector
 * shows which node each tab talks to. Usage: npm run cluster -- [--nodes 2] [--port 3000]
 * (the first port defaults to PORT, else 3000; with DATABASE_URL set, the nodes use that server
 * instead of the embedded one).
 *
 * With the embedded Postgres, each shard runs on a primary and a standby (SPEC STANDBY-1; set
 * CONCORD_STANDBYS=0 for one server): the supervisor owns those servers and, after a failover,
 * rebuilds the old primary as the new standby (STANDBY-5).
 *
 * It is a supervisor: a node that dies is started again (after 1 s, then 2 s, 4 s… up to 30 s);
 * one that dies five times within a minute stops the cluster. SIGINT / SIGTERM stop every node,
 * then the embedded Postgres, and exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../config";
import { ensureDatabase } from "../db/databases";
import postgres from "postgres";
import { startEmbeddedPostgres, type EmbeddedServer } from "../db/embedded";
import { startEmbeddedStandbys, type EmbeddedStandbys } from "../db/embedded-standbys";
import { loadSecret } from "../services/sessions";
import { ensureBuilt } from "../ui";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const say = (line: string) => process.stdout.write(`cluster: ${line}\n`);

const MAX_RESTARTS_PER_MINUTE = 5;
const STOP_GRACE_MS = 10_000;

interface Member {
  name: string;
  port: number;
  child: ChildProcess | null;
  deaths: number[];
}

async function main() {
  const config = loadConfig();
  const { values } = parseArgs({ options: { nodes: { type: "string", default: "2" }, port: { type: "string", default: String(config.port) } } });
  const count = Math.max(1, Math.min(8, Number(values.nodes)));
  const firstPort = Number(values.port);
  if (!Number.isInteger(firstPort) || firstPort <= 0 || firstPort + count - 1 > 65535) throw new Error(`--port ${values.port} is not a usable port`);
  let embedded: EmbeddedServer | null = null;
  let standbys: EmbeddedStandbys | null = null;
  const env: NodeJS.ProcessEnv = { ...process.env };
  let stopping = false;
  const members: Member[] = [];

  const stopChild = (c: ChildProcess | null) =>
    new Promise<void>((resolve) => {
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      const kill = setTimeout(() => c.kill("SIGKILL"), STOP_GRACE_MS);
      c.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill("SIGTERM");
    });
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping the nodes…");
    await Promise.all(members.map((m) => stopChild(m.child)));
    if (embedded) {
      say("stopping embedded Postgres…");
      await embedded.stop();
      await standbys?.stop();
    }
    say("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  if (!config.databaseUrl && process.env.CONCORD_STANDBYS !== "0") {
    const dir = path.join(config.dataDir, "replicated");
    say(`starting embedded Postgres: a catalog and a ${config.replication} standby per shard…`);
    embedded = await startEmbeddedPostgres(path.join(dir, "catalog"), say);
    await ensureDatabase(embedded.url("postgres"), "concord");
    env.DATABASE_URL = embedded.url("concord");
    const owned = await startEmbeddedStandbys(dir, ["a", "b"], config.replication, say);
    standbys = owned;
    env.SHARD_URLS = Object.entries(owned.pairs).map(([name, [p, q]]) => `${name}=${p}|${q}`).join(",");
    for (const [name, urls] of Object.entries(owned.pairs)) {
      say(`shard ${name}: primary on ${new URL(urls[0]).host}, standby on ${new URL(urls[1]).host}`);
    }
    env.CONCORD_STANDBYS = "0"; // the nodes use the servers named above
    // After a failover (the catalog names the other server primary), rebuild the old one.
    const catalog = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const primaries = new Map<string, number>();
    const rebuilding = new Set<string>();
    setInterval(() => {
      void catalog<{ shard: string; primary: number }[]>`SELECT shard, "primary" FROM shard_replicas`.then(async (rows) => {
        for (const r of rows) {
          const was = primaries.get(r.shard);
          primaries.set(r.shard, r.primary);
          if (was === undefined || was === r.primary || rebuilding.has(r.shard)) continue;
          rebuilding.add(r.shard);
          await owned.rebuild(r.shard, was).catch((err: Error) => say(`shard ${r.shard}: rebuild failed: ${err.message}`));
          rebuilding.delete(r.shard);
        }
      }, () => {});
    }, 1_000).unref();
    say(`embedded catalog on 127.0.0.1:${embedded.port}; data in ${dir}`);
  } else if (!config.databaseUrl) {
    say("starting embedded Postgres…");
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, "pg"), say);
    for (const db of ["concord", "concord_shard_a", "concord_shard_b"]) await ensureDatabase(embedded.url("postgres"), db);
    env.DATABASE_URL = embedded.url("concord");
    env.SHARD_URLS = `a=${embedded.url("concord_shard_a")},b=${embedded.url("concord_shard_b")}`;
    say(`embedded Postgres on 127.0.0.1:${embedded.port}`);
  }
  // Every node must accept every other node's session tokens.
  env.SESSION_SECRET = await loadSecret(config.sessionSecret, config.dataDir);
  if (config.ui) await ensureBuilt(say); // once, before the nodes start, so they do not race to build

  const launch = (m: Member) => {
    // Node with tsx as a loader (not the tsx CLI), so SIGTERM reaches the node's own clean shutdown.
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/main.ts")], {
      cwd: root,
      env: { ...env, PORT: String(m.port), NODE_ID: m.name },
      stdio: ["ignore", "inherit", "inherit"],
    });
    m.child = child;
    say(`${m.name} on http://localhost:${m.port} (pid ${child.pid})`);
    child.once("exit", (code, signal) => {
      if (stopping) return;
      const now = Date.now();
      m.deaths = [...m.deaths.filter((t) => now - t < 60_000), now];
      if (m.deaths.length >= MAX_RESTARTS_PER_MINUTE) {
        say(`${m.name} died ${m.deaths.length} times within a minute (last: ${signal ?? `code ${code}`}); stopping the cluster`);
        void stop(1);
        return;
      }
      const delay = Math.min(30_000, 1000 * 2 ** (m.deaths.length - 1));
      say(`${m.name} exited (${signal ?? `code ${code}`}); restarting it in ${delay / 1000} s`);
      setTimeout(() => {
        if (!stopping) launch(m);
      }, delay);
    });
  };
  // Node ids are unique per run (node-3fa2-1, node-3fa2-2), so two clusters on one database or
  // one Redis never mistake each other's nodes (leader election, the inspector, logs).
  const run = randomBytes(2).toString("hex");
  for (let i = 0; i < count; i++) {
    const m: Member = { name: `node-${run}-${i + 1}`, port: firstPort + i, child: null, deaths: [] };
    members.push(m);
    launch(m);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`cluster: ${err.message.split("\n")[0]}\n`);
  process.exit(1);
});
