import path from "node:path";
import { loadConfig } from "./config";
import { ensureDatabase, openDatabases, type Databases } from "./db/databases";
import { startEmbeddedPostgres, type EmbeddedServer } from "./db/embedded";
import { startEmbeddedStandbys, type EmbeddedStandbys } from "./db/embedded-standbys";
import { reachable, type ReplicationOptions } from "./db/replication";
import { demoFaultsOn, installFaultSwitch } from "./fault-switch";
import { seedDemoDeployment } from "./demo";
import { createLogger } from "./log";
import { createNode, type ConcordNode } from "./node";
import { Sessions, loadSecret } from "./services/sessions";
import { checkPostgres, checkRedis, redisOutageWatch } from "./startup-checks";
import { createUi, ensureBuilt } from "./ui";

/** Prints one clear line for a start-up failure and exits non-zero. */
function fail(message: string): never {
  process.stderr.write(`concord: ${message}\n`);
  process.exit(1);
}

const say = (line: string) => process.stdout.write(`concord: ${line}\n`);

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    fail((err as Error).message);
  }
  const log = createLogger(config.logLevel, config.nodeId);
  let embedded: EmbeddedServer | null = null;
  let standbys: EmbeddedStandbys | null = null;
  let dbs: Databases | null = null;
  let node: ConcordNode | null = null;
  let ui: Awaited<ReturnType<typeof createUi>> | null = null;
  let stopping = false;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: shutting down`);
    await node?.close().catch(() => {});
    await new Promise<void>((r) => (node ? node.server.close(() => r()) : r()));
    await ui?.close().catch(() => {});
    await dbs?.close().catch(() => {});
    await embedded?.stop().catch(() => {});
    await standbys?.stop().catch(() => {});
    process.exit(0);
  };
  // A stray rejected promise is a bug to log, not a reason to drop every connected person.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  // The demo runs with standbys (SPEC STANDBY-1) unless CONCORD_STANDBYS=0 says otherwise.
  const demo = process.argv.includes("--demo") || process.env.CONCORD_DEMO === "1";
  try {
    let catalogUrl: string;
    let shardUrls: Record<string, string>;
    let replication: ReplicationOptions | undefined;
    if (config.databaseUrl) {
      catalogUrl = config.databaseUrl;
      shardUrls = config.shardUrls ?? { a: config.databaseUrl };
      say(`using Postgres at ${new URL(catalogUrl).host} (${Object.keys(shardUrls).length} shard(s))`);
      // Each server named by its setting when it cannot be reached (SPEC SEC-5).
      await checkPostgres("DATABASE_URL", catalogUrl);
      for (const [name, url] of Object.entries(config.shardUrls ?? {})) {
        const standby = config.standbyUrls?.[name];
        await checkPostgres(`SHARD_URLS shard "${name}"`, url).catch(async (err: unknown) => {
          // SPEC STANDBY-5: with its standby up, a node starts so that some node can fail over.
          if (!standby || !(await reachable(standby))) throw err;
          say(`${(err as Error).message}; its standby answers: starting, failover follows (SPEC STANDBY-5)`);
        });
      }
      if (config.standbyUrls) {
        // SPEC STANDBY-1: a shard named with two URLs is replicated; the catalog says which is primary.
        const pairs = Object.fromEntries(Object.entries(config.standbyUrls).map(([name, url]) => [name, [shardUrls[name]!, url] as [string, string]]));
        replication = { mode: config.replication, pairs, failoverAfterMs: config.failoverAfterMs };
        say(`standbys for shard(s) ${Object.keys(pairs).join(", ")} (${config.replication}, failover after ${config.failoverAfterMs} ms)`);
      }
    } else if (config.standbys || (demo && process.env.CONCORD_STANDBYS !== "0")) {
      // SPEC STANDBY-1: a deployment of its own (a catalog server and a primary/standby pair per
      // shard) beside the unreplicated one, whose data it does not touch.
      const root = path.join(config.dataDir, "replicated");
      say(`CONCORD_STANDBYS=1: starting embedded Postgres with a ${config.replication} standby per shard…`);
      embedded = await startEmbeddedPostgres(path.join(root, "catalog"), say);
      await ensureDatabase(embedded.url("postgres"), "concord");
      catalogUrl = embedded.url("concord");
      standbys = await startEmbeddedStandbys(root, ["a", "b"], config.replication, say);
      shardUrls = Object.fromEntries(Object.entries(standbys.pairs).map(([name, pair]) => [name, pair[0]]));
      replication = { mode: config.replication, pairs: standbys.pairs, failoverAfterMs: config.failoverAfterMs };
      say(`embedded catalog on 127.0.0.1:${embedded.port}; shards ${Object.entries(standbys.servers).map(([n, [p, q]]) => `${n} on ${p.port}+${q.port}`).join(", ")}; data in ${root}`);
    } else {
      say("starting embedded Postgres…");
      embedded = await startEmbeddedPostgres(path.join(config.dataDir, "pg"), say);
      for (const db of ["concord", "concord_shard_a", "concord_shard_b"]) await ensureDatabase(embedded.url("postgres"), db);
      catalogUrl = embedded.url("concord");
      shardUrls = { a: embedded.url("concord_shard_a"), b: embedded.url("concord_shard_b") };
      say(`embedded Postgres on 127.0.0.1:${embedded.port}, data in ${path.join(config.dataDir, "pg")}`);
    }
    if (config.redisUrl) await checkRedis(config.redisUrl);
    dbs = await openDatabases(catalogUrl, shardUrls, replication, (line) => log.info(line)).catch((err: Error) => {
      throw new Error(`database unreachable or migrations failed: ${err.message}`);
    });
    if (standbys && dbs.replication) {
      // SPEC STANDBY-5: the embedded owner rebuilds an old primary as the new standby, whether it
      // stayed dead after a failover or came back and was fenced.
      const owned = standbys;
      dbs.replication.onFailedOver = (shard, index) => owned.rebuild(shard, index);
      dbs.replication.onFenced = (shard, index) => owned.rebuild(shard, index);
    }
    if (!dbs.twoPhaseCommit) {
      say("warning: max_prepared_transactions is 0 on a shard: cross-shard moves are disabled (TWO_PHASE_UNAVAILABLE)");
    }
    const sessions = new Sessions(await loadSecret(config.sessionSecret, config.dataDir));
    if (config.ui) {
      if (!config.dev) await ensureBuilt(say);
      say(config.dev ? "starting the UI in dev mode…" : "starting the UI…");
      ui = await createUi(config.dev);
    } else {
      say("CONCORD_UI=off: serving the API and Socket.IO only");
    }
    node = await createNode({
      nodeId: config.nodeId, dbs, sessions, log, catalogUrl, changeLogKeep: config.changeLogKeep, ui: ui?.handle,
      redisUrl: config.redisUrl,
      redisPrefix: config.redisPrefix,
      watchRedis: config.redisUrl ? redisOutageWatch(log, config.redisUrl) : undefined,
      allowedOrigins: config.allowedOrigins,
      signInsPerMinute: config.sessionRateLimit,
      passwordAttemptsPerMinute: config.passwordRateLimit,
      trustProxy: config.trustProxy,
      dev: config.dev,
      // SPEC STANDBY-6: in demo mode a person may kill a shard's primary and watch the failover.
      ...(demo && standbys
        ? {
            killPrimary: async (shard: string) => {
              const owned = standbys!;
              const store = dbs!.shards.get(shard);
              if (!store || !owned.servers[shard]) throw new Error(`shard ${shard} has no standby`);
              const index = store.primaryIndex;
              await owned.kill(shard, index);
              say(`demo: killed shard ${shard}'s primary (kill -9); the elected node fails over after ${config.failoverAfterMs} ms`);
              return `shard ${shard}: primary ${owned.servers[shard][index].port} killed`;
            },
          }
        : {}),
      demoFaults: demoFaultsOn(process.env.CONCORD_FAULTS, { dev: config.dev, demo }),
    });
    installFaultSwitch(process.env.CONCORD_FAULTS, node.services.moves, say); // test-only: npm run verify
    if (ui?.upgrade) {
      const upgrade = ui.upgrade;
      node.server.on("upgrade", (req, socket, head) => {
        if (!req.url?.startsWith("/socket.io")) void upgrade(req, socket, head);
      });
    }
    const port = await node.listen(config.port, config.host).catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === "EADDRINUSE" ? `port ${config.port} is taken (set PORT to another)` : err.message);
    });
    say(`node ${config.nodeId} ready on http://localhost:${port}`);
    if (demo) {
      const catalog = dbs.catalogSql;
      const made = await seedDemoDeployment({
        url: `http://${config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host}:${port}`,
        sessions: node.sessions,
        boardCount: async () => Number((await catalog<{ n: string }[]>`SELECT count(*) AS n FROM boards`)[0]?.n ?? 0),
      }).catch((err: Error) => {
        say(`could not make the demo boards: ${err.message}`);
        return 0;
      });
      say(made > 0 ? `made ${made} demo boards (open to everyone; each opens with what to try)` : "--demo: boards exist already, no demo boards made");
    }
  } catch (err) {
    await dbs?.close().catch(() => {});
    await embedded?.stop().catch(() => {});
    await standbys?.stop().catch(() => {});
    fail((err as Error).message.split("\n")[0] ?? "start-up failed");
  }
}

void main();
