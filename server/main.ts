import path from "node:path";
import { loadConfig } from "./config";
import { ensureDatabase, openDatabases, type Databases } from "./db/databases";
import { startEmbeddedPostgres, type EmbeddedServer } from "./db/embedded";
import { installFaultSwitch } from "./fault-switch";
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
    process.exit(0);
  };
  // A stray rejected promise is a bug to log, not a reason to drop every connected person.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    let catalogUrl: string;
    let shardUrls: Record<string, string>;
    if (config.databaseUrl) {
      catalogUrl = config.databaseUrl;
      shardUrls = config.shardUrls ?? { a: config.databaseUrl };
      say(`using Postgres at ${new URL(catalogUrl).host} (${Object.keys(shardUrls).length} shard(s))`);
      // Each server named by its setting when it cannot be reached (SPEC SEC-5).
      await checkPostgres("DATABASE_URL", catalogUrl);
      for (const [name, url] of Object.entries(config.shardUrls ?? {})) await checkPostgres(`SHARD_URLS shard "${name}"`, url);
    } else {
      say("starting embedded Postgres…");
      embedded = await startEmbeddedPostgres(path.join(config.dataDir, "pg"), say);
      for (const db of ["concord", "concord_shard_a", "concord_shard_b"]) await ensureDatabase(embedded.url("postgres"), db);
      catalogUrl = embedded.url("concord");
      shardUrls = { a: embedded.url("concord_shard_a"), b: embedded.url("concord_shard_b") };
      say(`embedded Postgres on 127.0.0.1:${embedded.port}, data in ${path.join(config.dataDir, "pg")}`);
    }
    if (config.redisUrl) await checkRedis(config.redisUrl);
    dbs = await openDatabases(catalogUrl, shardUrls).catch((err: Error) => {
      throw new Error(`database unreachable or migrations failed: ${err.message}`);
    });
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
      trustProxy: config.trustProxy,
      dev: config.dev,
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
    if (process.argv.includes("--demo") || process.env.CONCORD_DEMO === "1") {
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
    fail((err as Error).message.split("\n")[0] ?? "start-up failed");
  }
}

void main();
