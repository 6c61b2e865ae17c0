/**
 * Runs several Concord nodes on this machine over one embedded Postgres, to watch replication:
 * open http://localhost:3000 in one tab and http://localhost:3001 in another; the sync inspector
 * shows which node each tab talks to. Usage: npm run cluster -- [--nodes 2] [--port 3000]
 * (with DATABASE_URL set, the nodes use that server instead of the embedded one).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../config";
import { ensureDatabase } from "../db/databases";
import { startEmbeddedPostgres, type EmbeddedServer } from "../db/embedded";
import { loadSecret } from "../services/sessions";
import { ensureBuilt } from "../ui";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const say = (line: string) => process.stdout.write(`cluster: ${line}\n`);

async function main() {
  const { values } = parseArgs({ options: { nodes: { type: "string", default: "2" }, port: { type: "string", default: "3000" } } });
  const count = Math.max(1, Math.min(8, Number(values.nodes)));
  const firstPort = Number(values.port);
  const config = loadConfig();
  let embedded: EmbeddedServer | null = null;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!config.databaseUrl) {
    say("starting embedded Postgres…");
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, "pg"), say);
    for (const db of ["concord", "concord_shard_a", "concord_shard_b"]) await ensureDatabase(embedded.url("postgres"), db);
    env.DATABASE_URL = embedded.url("concord");
    env.SHARD_URLS = `a=${embedded.url("concord_shard_a")},b=${embedded.url("concord_shard_b")}`;
  }
  // Every node must accept every other node's session tokens.
  env.SESSION_SECRET = await loadSecret(config.sessionSecret, config.dataDir);
  await ensureBuilt(say); // once, before the nodes start, so they do not race to build
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = firstPort + i;
    // Node with tsx as a loader (not the tsx CLI), so SIGTERM reaches the node's own clean shutdown.
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/main.ts")], {
      cwd: root,
      env: { ...env, PORT: String(port), NODE_ID: `node-${i + 1}` },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(child);
    say(`node-${i + 1} on http://localhost:${port}`);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say("stopping the nodes…");
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null) return resolve();
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    })));
    await embedded?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  for (const c of children) c.once("exit", (code) => {
    if (!stopping) {
      say(`a node exited (code ${code}); stopping the rest`);
      void stop();
    }
  });
}

main().catch((err: Error) => {
  process.stderr.write(`cluster: ${err.message.split("\n")[0]}\n`);
  process.exit(1);
});
