/**
 * A shard's two embedded servers on Postgres' own streaming replication (SPEC STANDBY-1): a
 * primary and a standby made from a cold copy of the primary's data folder, taken while the
 * primary is stopped right after it was created, with `standby.signal`, `primary_conninfo` and a
 * physical replication slot on the primary. Nothing is copied row by row: the standby replays
 * the primary's WAL.
 */
import { existsSync } from "node:fs";
import { appendFile, cp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { chownTree, initCluster, serverUrl, startServer, type PgServer } from "./pg-server";

export type ReplicationMode = "sync" | "async";

/** The name a standby gives itself to its primary (and the slot it streams from). */
export const STANDBY_NAME = "concord_standby";

/** What the standby's primary_conninfo says: where its primary is, under which name. */
export function primaryConninfo(primaryPort: number): string {
  const u = new URL(serverUrl(primaryPort, "postgres"));
  return `host=127.0.0.1 port=${primaryPort} user=${u.username} password=${decodeURIComponent(u.password)} application_name=${STANDBY_NAME}`;
}

/**
 * The primary's replication settings in its postgresql.auto.conf: in sync mode every commit
 * waits until the standby has it on disk (synchronous_standby_names); in async mode it does not.
 */
export async function configurePrimary(sql: postgres.Sql, mode: ReplicationMode): Promise<void> {
  await sql.unsafe(`ALTER SYSTEM SET synchronous_standby_names = '${mode === "sync" ? STANDBY_NAME : ""}'`);
  await sql`SELECT pg_reload_conf()`;
}

/** Makes `dir` a standby of the primary on `primaryPort`: standby.signal and its auto.conf lines. */
async function makeStandby(dir: string, primaryPort: number): Promise<void> {
  await rm(path.join(dir, "postmaster.pid"), { force: true });
  await rm(path.join(dir, "standby.signal"), { force: true });
  await writeFile(path.join(dir, "standby.signal"), "");
  const auto = path.join(dir, "postgresql.auto.conf");
  const kept = (await readFile(auto, "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => !/^\s*(primary_conninfo|primary_slot_name|synchronous_standby_names)\s*=/.test(l))
    .join("\n");
  await writeFile(auto, `${kept.trimEnd()}\nprimary_conninfo = '${primaryConninfo(primaryPort)}'\nprimary_slot_name = '${STANDBY_NAME}'\nsynchronous_standby_names = ''\n`);
  await chownTree(dir);
}

export interface PairDirs {
  /** The two data folders, `[0]` created as the primary. */
  dirs: [string, string];
  ports: [number, number];
}

/**
 * Creates both data folders when they do not exist yet (the primary with `init(url)` run on it
 * first, e.g. CREATE DATABASE, then the cold copy), and starts both servers. Folders that exist
 * are started as they are: whichever holds standby.signal is the standby.
 */
export async function startPair(
  pair: PairDirs,
  mode: ReplicationMode,
  init: (adminUrl: string) => Promise<void>,
  log: (line: string) => void = () => {},
): Promise<[PgServer, PgServer]> {
  const [d0, d1] = pair.dirs;
  const [p0, p1] = pair.ports;
  if (!existsSync(path.join(d0, "PG_VERSION"))) {
    await rm(d1, { recursive: true, force: true });
    await initCluster(d0);
    const first = await startServer(d0, p0, log);
    try {
      const admin = postgres(first.url("postgres"), { max: 1, onnotice: () => {} });
      try {
        await admin`SELECT pg_create_physical_replication_slot(${STANDBY_NAME})`;
      } finally {
        await admin.end({ timeout: 5 });
      }
      await init(first.url("postgres"));
    } finally {
      await first.stop();
    }
    await cp(d0, d1, { recursive: true });
    // The slot is the primary's; a copy of it on the standby would hold WAL there for nobody.
    await rm(path.join(d1, "pg_replslot", STANDBY_NAME), { recursive: true, force: true });
    await makeStandby(d1, p0);
  }
  const servers = (await Promise.all([startServer(d0, p0, log), startServer(d1, p1, log)])) as [PgServer, PgServer];
  // Synchronous commit is switched on only once the standby runs: before, every commit would wait.
  for (const server of servers) {
    const admin = postgres(server.url("postgres"), { max: 1, onnotice: () => {} });
    try {
      const [row] = await admin<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
      if (!row!.standby) await configurePrimary(admin, mode);
    } finally {
      await admin.end({ timeout: 5 });
    }
  }
  return servers;
}

/** Turns an existing folder (an old primary) into a standby of the server on `primaryPort`, from a fresh copy. */
export async function rebuildAsStandby(dir: string, primary: PgServer, log: (line: string) => void = () => {}): Promise<void> {
  // An online base backup (pg_backup_start / file copy / pg_backup_stop) of the running primary.
  const admin = postgres(primary.url("postgres"), { max: 1, onnotice: () => {} });
  try {
    const slots = await admin`SELECT 1 FROM pg_replication_slots WHERE slot_name = ${STANDBY_NAME}`;
    if (slots.length === 0) await admin`SELECT pg_create_physical_replication_slot(${STANDBY_NAME}, true)`;
    await admin.begin(async (tx) => {
      await tx`SELECT pg_backup_start('concord-rebuild', true)`;
      await rm(dir, { recursive: true, force: true });
      await cp(primary.dir, dir, {
        recursive: true,
        filter: (src) => {
          const rel = path.relative(primary.dir, src);
          return !["postmaster.pid", "postmaster.opts", "standby.signal", "backup_label", "tablespace_map"].includes(rel)
            && !rel.startsWith(`pg_wal${path.sep}`) && !rel.startsWith(`pg_replslot${path.sep}`);
        },
      });
      const [stop] = await tx<{ labelfile: string; spcmapfile: string }[]>`SELECT labelfile, spcmapfile FROM pg_backup_stop(true)`;
      await writeFile(path.join(dir, "backup_label"), stop!.labelfile);
      if (stop!.spcmapfile) await writeFile(path.join(dir, "tablespace_map"), stop!.spcmapfile);
    });
  } finally {
    await admin.end({ timeout: 5 });
  }
  await appendFile(path.join(dir, "postgresql.auto.conf"), "");
  await makeStandby(dir, primary.port);
  log(`rebuilt ${dir} as a standby of 127.0.0.1:${primary.port}`);
}
