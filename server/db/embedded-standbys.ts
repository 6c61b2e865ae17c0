import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { freePort } from "./embedded";
import { startServer, type PgServer } from "./pg-server";
import { configurePrimary, rebuildAsStandby, startPair, type ReplicationMode } from "./standby-pair";

/** The database each embedded shard pair holds. */
export const shardDatabase = (shard: string) => `concord_shard_${shard}`;

/**
 * The embedded deployment's shard pairs (SPEC STANDBY-1, CONCORD_STANDBYS=1): for each shard, two
 * servers under `<dir>/<shard>/0` and `<dir>/<shard>/1` on ports kept in `<dir>/ports.json` (a
 * standby's primary_conninfo names its primary's port, so ports never change).
 */
export interface EmbeddedStandbys {
  pairs: Record<string, [string, string]>;
  servers: Record<string, [PgServer, PgServer]>;
  /** SIGKILL of the server at `index` of the shard's pair (the demo's "kill the primary"). */
  kill(shard: string, index: number): Promise<void>;
  /** Makes the server at `index` (a fenced old primary) a fresh standby of the other one (STANDBY-5). */
  rebuild(shard: string, index: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmbeddedStandbys(
  dir: string,
  shards: string[],
  mode: ReplicationMode,
  say: (line: string) => void,
): Promise<EmbeddedStandbys> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const portsFile = path.join(dir, "ports.json");
  const ports = (existsSync(portsFile) ? JSON.parse(await readFile(portsFile, "utf8")) : {}) as Record<string, [number, number]>;
  for (const shard of shards) ports[shard] ??= [await freePort(), await freePort()];
  await writeFile(portsFile, JSON.stringify(ports));
  const servers: Record<string, [PgServer, PgServer]> = {};
  const pairs: Record<string, [string, string]> = {};
  try {
    for (const shard of shards) {
      const dirs: [string, string] = [path.join(dir, shard, "0"), path.join(dir, shard, "1")];
      if (!existsSync(path.join(dirs[0], "PG_VERSION"))) say(`creating shard ${shard}'s primary and standby (one-time)…`);
      servers[shard] = await startPair({ dirs, ports: ports[shard]! }, mode, async (adminUrl) => {
        const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`CREATE DATABASE ${shardDatabase(shard)}`);
        await admin.end();
      });
      pairs[shard] = [servers[shard][0].url(shardDatabase(shard)), servers[shard][1].url(shardDatabase(shard))];
    }
  } catch (err) {
    await Promise.all(Object.values(servers).flat().map((s) => s.stop().catch(() => {})));
    throw err;
  }
  const inFlight = new Map<string, Promise<void>>();
  const rebuild = async (shard: string, index: number) => {
    const pair = servers[shard]!;
    const primary = pair[1 - index]!;
    await pair[index]!.stop();
    await rebuildAsStandby(pair[index]!.dir, primary);
    pair[index] = await startServer(pair[index]!.dir, pair[index]!.port);
    const admin = postgres(primary.url("postgres"), { max: 1, onnotice: () => {} });
    try {
      await configurePrimary(admin, mode);
    } finally {
      await admin.end({ timeout: 5 });
    }
    say(`shard ${shard}: the old primary was rebuilt as the new standby`);
  };
  return {
    pairs,
    servers,
    kill: async (shard, index) => {
      await servers[shard]?.[index]?.kill();
    },
    rebuild: (shard, index) => {
      // One rebuild of a shard at a time (a failover and a fence may both ask for it).
      const running = inFlight.get(shard);
      if (running) return running;
      const p = rebuild(shard, index).finally(() => inFlight.delete(shard));
      inFlight.set(shard, p);
      return p;
    },
    stop: async () => {
      await Promise.all(Object.values(servers).flat().map((s) => s.stop().catch(() => {})));
    },
  };
}
