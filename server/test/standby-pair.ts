import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { freePort } from "../db/embedded";
import type { PgServer } from "../db/pg-server";
import { startPair } from "../db/standby-pair";

/**
 * A primary and a synchronous standby of their own for a test (SPEC STANDBY-1), with database
 * `db` made on the primary (it reaches the standby by replication). `stop` ends both and removes
 * their folder.
 */
export async function testPair(db: string): Promise<{ servers: [PgServer, PgServer]; urls: [string, string]; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "concord-pair-"));
  await chmod(dir, 0o755); // as root, Postgres runs as the postgres user and must reach it
  const servers = await startPair(
    { dirs: [path.join(dir, "a0"), path.join(dir, "a1")], ports: [await freePort(), await freePort()] },
    "sync",
    async (adminUrl) => {
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE DATABASE ${db}`);
      await admin.end();
    },
  );
  return {
    servers,
    urls: [servers[0].url(db), servers[1].url(db)],
    stop: async () => {
      for (const s of servers) await s.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
