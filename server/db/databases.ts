import path from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";
import { Replication, reachable, type ReplicationOptions } from "./replication";
import { ShardStore } from "./shard-store";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MIGRATIONS = {
  catalog: path.join(root, "drizzle/catalog"),
  shard: path.join(root, "drizzle/shard"),
};

/** What a shard may be called (SHARD_URLS): lower-case letters, digits and `_`. */
export const SHARD_NAME = /^[a-z0-9_]{1,32}$/;

/** Connections per shard pool (one pool per shard; see ShardStore for how they are shared). */
export const SHARD_POOL_SIZE = 12;

export interface Databases {
  catalogSql: Sql;
  shards: Map<string, ShardStore>;
  /** True when every database allows PREPARE TRANSACTION (max_prepared_transactions > 0). */
  twoPhaseCommit: boolean;
  /** Standbys, epochs and failover of the shards that have a standby (SPEC REPL-*); null: none has. */
  replication: Replication | null;
  close: () => Promise<void>;
}

/** Connections to a standby, for reads only (SPEC STANDBY-4). */
const STANDBY_POOL_SIZE = 4;

/**
 * A pool. `epoch`: every connection carries it as `concord.epoch`, which the shard's trigger
 * checks on each write (SPEC STANDBY-3).
 */
function client(url: string, max = 10, epoch?: number): Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 60,
    ...(epoch === undefined ? {} : { connection: { "concord.epoch": String(epoch) } }),
  });
}

/** Creates `database` on the server behind `adminUrl` if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (rows.length === 0) {
      await admin.unsafe(`CREATE DATABASE "${database.replace(/"/g, "")}"`).catch((err: { code?: string }) => {
        if (err.code !== "42P04") throw err; // created concurrently by another node
      });
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Runs one migrations folder on a single dedicated connection, under an advisory lock, so that
 * several nodes may start at once.
 */
async function runMigrations(url: string, folder: string, table: string): Promise<void> {
  const one = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await one`SELECT pg_advisory_lock(727001)`;
    // One bookkeeping table per folder: with DATABASE_URL alone the catalog is also shard `a`,
    // and two folders sharing drizzle's default table would skip each other's migrations.
    await migrate(drizzle(one), { migrationsFolder: folder, migrationsTable: table });
  } finally {
    await one.end({ timeout: 5 });
  }
}

/** Connects to the catalog and every shard, applies migrations, and checks 2PC support. */
/**
 * Connects to the catalog and every shard, applies migrations, and checks 2PC support. With
 * `replication`, the shards it names a pair for are replicated (SPEC STANDBY-1): writes go to the
 * server the catalog names primary, under the catalog's epoch (STANDBY-3).
 */
export async function openDatabases(
  catalogUrl: string,
  shardUrls: Record<string, string>,
  replicationOptions?: ReplicationOptions,
  log?: (line: string) => void,
): Promise<Databases> {
  // Shard names appear in prepared transaction ids (TX-9), so they are kept to one plain form.
  for (const name of Object.keys(shardUrls)) {
    if (!SHARD_NAME.test(name)) throw new Error(`shard name "${name}" must match ${SHARD_NAME}`);
  }
  const catalogSql = client(catalogUrl);
  const shards = new Map<string, ShardStore>();
  let replication: Replication | null = null;
  try {
    await runMigrations(catalogUrl, MIGRATIONS.catalog, "__concord_migrations_catalog");
    if (replicationOptions && Object.keys(replicationOptions.pairs).length > 0) {
      replication = new Replication(
        catalogSql, shards, replicationOptions,
        (url, epoch) => (epoch === null ? client(url, STANDBY_POOL_SIZE) : client(url, SHARD_POOL_SIZE, epoch)),
        log,
      );
    }
    const rows = replication ? await replication.seed() : new Map<string, { epoch: number; primary: number }>();
    for (const [name, url] of Object.entries(shardUrls)) {
      const pair = replication?.pair(name);
      const row = rows.get(name);
      if (pair && row) {
        const primaryUrl = pair[row.primary]!;
        // SPEC STANDBY-5: a node starts even while the primary is down, so that some node is up
        // to fail over to the standby (which holds the schema, replicated); the migrations run
        // at the next start.
        await runMigrations(primaryUrl, MIGRATIONS.shard, "__concord_migrations_shard").catch(async (err: unknown) => {
          if (!(await reachable(pair[1 - row.primary]!))) throw err;
          log?.(`shard ${name}: its primary is unreachable (${(err as Error).message}); starting on its standby's word, failover follows (SPEC STANDBY-5)`);
        });
        const store = new ShardStore(name, client(primaryUrl, SHARD_POOL_SIZE, row.epoch), SHARD_POOL_SIZE);
        store.switchTo(store.sql, client(pair[1 - row.primary]!, STANDBY_POOL_SIZE), row.epoch, row.primary);
        shards.set(name, store);
      } else {
        shards.set(name, new ShardStore(name, client(url, SHARD_POOL_SIZE), SHARD_POOL_SIZE));
        await runMigrations(url, MIGRATIONS.shard, "__concord_migrations_shard");
      }
    }
  } catch (err) {
    await Promise.all([catalogSql.end({ timeout: 1 }), ...[...shards.values()].map((s) => s.end(1))]);
    throw err;
  }
  let twoPhaseCommit = true;
  for (const s of shards.values()) if (!(await s.twoPhaseCommit())) twoPhaseCommit = false;
  return {
    catalogSql,
    shards,
    twoPhaseCommit,
    replication,
    close: async () => {
      await Promise.all([catalogSql.end({ timeout: 5 }), ...[...shards.values()].map((s) => s.end(5))]);
    },
  };
}
