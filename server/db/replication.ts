import postgres, { type Sql } from "postgres";
import type { ShardReplication } from "../../lib/protocol";
import type { ShardStore } from "./shard-store";
import { STANDBY_NAME, type ReplicationMode } from "./standby-pair";

/** A replicated shard's two servers as configured (SPEC STANDBY-1): `[0]` is the primary at first. */
export type ShardPair = [string, string];

export interface ReplicationOptions {
  mode: ReplicationMode;
  /** The pair of each replicated shard, by shard name. */
  pairs: Record<string, ShardPair>;
  /** How long a primary must stay unreachable before the elected node fails over (SPEC STANDBY-5). */
  failoverAfterMs: number;
}

const hostOf = (url: string) => new URL(url).host;

/** A short-lived probe connection: never waits long, never retries. */
function probe(url: string): Sql {
  return postgres(url, { max: 1, connect_timeout: 1, idle_timeout: 1, fetch_types: false, onnotice: () => {}, connection: { statement_timeout: 2_000 } });
}

/** Whether a Postgres answers at `url` (a primary probed for failover; a standby when its primary does not answer, STANDBY-5). */
export async function reachable(url: string): Promise<boolean> {
  const sql = probe(url);
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * Each replicated shard's primary, standby and epoch (SPEC STANDBY-3..STANDBY-6). Every node keeps its
 * shard pools pointed at the primary the catalog names, under the catalog's epoch; the elected
 * node also watches each primary and fails over when it stays unreachable.
 */
export class Replication {
  private readonly downSince = new Map<string, number>();
  private readonly failovers = new Map<string, number>();
  private readonly fenced = new Set<string>();
  /** Per shard: the primary's WAL position when its standby was first seen synchronous this epoch (STANDBY-7). */
  private readonly readyMark = new Map<string, { epoch: number; lsn: string }>();
  /** Per shard: the catalog's standby_ready as last read. */
  private readonly ready = new Map<string, boolean>();
  /** Shards whose failover is held back because their standby is not ready (logged once). */
  private readonly held = new Set<string>();
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly catalog: Sql,
    private readonly shards: Map<string, ShardStore>,
    readonly options: ReplicationOptions,
    /** Makes a shard pool: the primary's under `epoch`, or (epoch null) the standby's for reads. */
    private readonly pool: (url: string, epoch: number | null) => Sql,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void = () => {},
  ) {}

  /** Called when a returned old primary has been fenced (the embedded owner rebuilds it, STANDBY-5). */
  onFenced: ((shard: string, index: number) => Promise<void>) | null = null;
  /** Called after a failover with the old primary's index (the embedded owner rebuilds it, STANDBY-5). */
  onFailedOver: ((shard: string, oldIndex: number) => Promise<void>) | null = null;

  /** Whether a failover of `shard` may promote its standby now (STANDBY-7); async mode always may. */
  mayFailOver(shard: string): boolean {
    return this.options.mode === "async" || (this.ready.get(shard) ?? false);
  }

  /** The configured pair of a shard, or undefined when it has no standby. */
  pair(shard: string): ShardPair | undefined {
    return this.options.pairs[shard];
  }

  /** Writes each shard's first row (primary 0, epoch 1) if it has none; answers every row. */
  async seed(): Promise<Map<string, { epoch: number; primary: number }>> {
    for (const shard of Object.keys(this.options.pairs)) {
      await this.catalog`INSERT INTO shard_replicas (shard, epoch, "primary") VALUES (${shard}, 1, 0) ON CONFLICT DO NOTHING`;
    }
    return this.rows();
  }

  /** The catalog's rows, by shard. */
  async rows(): Promise<Map<string, { epoch: number; primary: number; standbyReady: boolean }>> {
    const rows = await this.catalog<{ shard: string; epoch: string; primary: number; standby_ready: boolean }[]>`
      SELECT shard, epoch, "primary", standby_ready FROM shard_replicas`;
    for (const r of rows) this.ready.set(r.shard, r.standby_ready);
    return new Map(rows.map((r) => [r.shard, { epoch: Number(r.epoch), primary: r.primary, standbyReady: r.standby_ready }]));
  }

  /**
   * Points every shard store at the primary the catalog names, under its epoch (STANDBY-3). Pools of
   * an older epoch are ended: nothing this node sends reaches the old primary again.
   */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const rows = await this.rows();
        for (const [shard, pair] of Object.entries(this.options.pairs)) {
          const row = rows.get(shard);
          const store = this.shards.get(shard);
          if (!row || !store || store.epoch === row.epoch) continue;
          const primary = this.pool(pair[row.primary]!, row.epoch);
          const standby = this.pool(pair[1 - row.primary]!, null);
          const old = store.switchTo(primary, standby, row.epoch, row.primary);
          if (store.epoch > 1 || old.length > 0) this.log(`shard ${shard}: writes go to ${hostOf(pair[row.primary]!)} under epoch ${row.epoch}`);
          for (const p of old) void p.end({ timeout: 2 }).catch(() => {});
        }
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * One look at every replicated shard by the elected node (STANDBY-5): a primary unreachable for
   * `failoverAfterMs` is replaced by its standby; a standby found writable (an old primary that
   * came back) is fenced.
   */
  async watch(now = Date.now()): Promise<void> {
    await this.refresh();
    for (const [shard, pair] of Object.entries(this.options.pairs)) {
      const store = this.shards.get(shard);
      if (!store) continue;
      const primaryUp = await reachable(pair[store.primaryIndex]!);
      if (primaryUp) {
        this.downSince.delete(shard);
        this.held.delete(shard);
        await this.markReady(shard, store).catch(() => {});
      } else {
        const since = this.downSince.get(shard) ?? now;
        this.downSince.set(shard, since);
        if (now - since >= this.options.failoverAfterMs) {
          await this.failover(shard).catch((err: Error) => this.log(`shard ${shard}: failover failed: ${err.message}`));
          continue;
        }
      }
      await this.fenceIfWritable(shard, 1 - store.primaryIndex).catch(() => {});
    }
  }

  /**
   * Promotes the standby of `shard`, raises the epoch on it and then in the catalog (by
   * compare-and-set, so two watchers cannot both move it), and repoints this node's pools.
   */
  async failover(shard: string): Promise<number> {
    const pair = this.options.pairs[shard];
    const row = (await this.rows()).get(shard);
    if (!pair || !row) throw new Error(`shard ${shard} has no standby`);
    if (!this.mayFailOver(shard)) {
      // STANDBY-7: the standby may lack writes the primary acknowledged alone (after the last
      // failover, before this standby caught up): promoting it would lose them. Wait for the primary.
      if (!this.held.has(shard)) {
        this.held.add(shard);
        this.log(`shard ${shard}: primary unreachable, but its standby is not known to hold every acknowledged write; not failing over (start the primary again)`);
      }
      return row.epoch;
    }
    const next = 1 - row.primary;
    const epoch = row.epoch + 1;
    const sql = probe(pair[next]!);
    try {
      const [rec] = await sql<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
      if (rec!.standby) await sql`SELECT pg_promote(true, 30)`;
      // No standby stands behind the new primary yet: a synchronous commit would wait forever.
      await sql.unsafe(`ALTER SYSTEM SET synchronous_standby_names = ''`);
      await sql`SELECT pg_reload_conf()`;
      await sql`UPDATE concord_epoch SET epoch = GREATEST(epoch, ${epoch}) WHERE id = 1`;
    } finally {
      await sql.end({ timeout: 2 }).catch(() => {});
    }
    const moved = await this.catalog`
      UPDATE shard_replicas SET epoch = ${epoch}, "primary" = ${next}, standby_ready = false, changed_at = now()
      WHERE shard = ${shard} AND epoch = ${row.epoch}`;
    if (moved.count === 0) throw new Error(`shard ${shard}: the epoch moved meanwhile`);
    this.downSince.delete(shard);
    this.failovers.set(shard, (this.failovers.get(shard) ?? 0) + 1);
    this.fenced.delete(shard);
    this.log(`shard ${shard}: failed over to ${hostOf(pair[next]!)}, epoch ${epoch}`);
    await this.refresh();
    void this.onFailedOver?.(shard, row.primary).catch((err: Error) => this.log(`shard ${shard}: rebuild failed: ${err.message}`));
    return epoch;
  }

  /**
   * STANDBY-7, two looks: once the primary reports its standby streaming (and, in sync mode,
   * synchronous), the primary's current WAL position is noted; when a later look finds the standby
   * has flushed past it, every write acknowledged before sync was in force (the new primary's
   * lone commits) is on the standby too, and every later one waits for it. The catalog then says
   * so, under the epoch seen, and a failover to this standby is safe.
   */
  private async markReady(shard: string, store: ShardStore): Promise<void> {
    if (this.ready.get(shard)) return;
    const mark = this.readyMark.get(shard);
    const lsn = mark?.epoch === store.epoch ? mark.lsn : null;
    const [r] = await store.sql<{ state: string; sync_state: string; passed: boolean | null; now: string }[]>`
      SELECT state, sync_state, pg_current_wal_lsn()::text AS now, flush_lsn >= ${lsn}::pg_lsn AS passed
      FROM pg_stat_replication WHERE application_name = ${STANDBY_NAME} LIMIT 1`;
    const inForce = r !== undefined && r.state === "streaming" && (this.options.mode === "async" || r.sync_state === "sync");
    if (!inForce) {
      this.readyMark.delete(shard);
      return;
    }
    if (r.passed === null) {
      this.readyMark.set(shard, { epoch: store.epoch, lsn: r.now });
      return;
    }
    if (!r.passed) return;
    const marked = await this.catalog`UPDATE shard_replicas SET standby_ready = true WHERE shard = ${shard} AND epoch = ${store.epoch} AND NOT standby_ready`;
    this.readyMark.delete(shard);
    if (marked.count > 0) {
      this.ready.set(shard, true);
      this.log(`shard ${shard}: the standby holds every acknowledged write; a failover to it is safe`);
    }
  }

  /**
   * A server of the pair that is not the primary but accepts writes is an old primary back from
   * the dead: its epoch row is set to -1 so that every node's write there is refused (STANDBY-5).
   */
  private async fenceIfWritable(shard: string, index: number): Promise<void> {
    const url = this.options.pairs[shard]![index]!;
    const sql = probe(url);
    try {
      const [rec] = await sql<{ standby: boolean }[]>`SELECT pg_is_in_recovery() AS standby`;
      if (rec!.standby) {
        this.fenced.delete(shard);
        return;
      }
      // Its synchronous_standby_names still names a standby that now follows someone else: without
      // `local`, this very commit would wait for it forever (as every write there does, in sync mode).
      await sql.begin(async (tx) => {
        await tx`SET LOCAL synchronous_commit = local`;
        await tx`UPDATE concord_epoch SET epoch = -1 WHERE id = 1 AND epoch <> -1`;
      });
      if (!this.fenced.has(shard)) {
        this.fenced.add(shard);
        this.log(`shard ${shard}: old primary ${hostOf(url)} came back writable; fenced (epoch -1)`);
        await this.onFenced?.(shard, index).catch((err: Error) => this.log(`shard ${shard}: rebuild failed: ${err.message}`));
      }
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }

  /** Each replicated shard's state, as this node sees it now (STANDBY-6). */
  async status(): Promise<ShardReplication[]> {
    const out: ShardReplication[] = [];
    for (const [shard, pair] of Object.entries(this.options.pairs)) {
      const store = this.shards.get(shard);
      if (!store) continue;
      let standbyState: ShardReplication["standbyState"] = this.fenced.has(shard) ? "fenced" : "down";
      let synchronous = false;
      let lagBytes: number | null = null;
      let lagMs: number | null = null;
      try {
        const rows = await store.sql<{ state: string; sync_state: string; lag_bytes: string | null; lag_ms: number | null }[]>`
          SELECT state, sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag_bytes,
                 (extract(epoch FROM replay_lag) * 1000)::float8 AS lag_ms
          FROM pg_stat_replication LIMIT 1`;
        const r = rows[0];
        if (r && r.state === "streaming") {
          standbyState = "streaming";
          synchronous = r.sync_state === "sync";
          lagBytes = r.lag_bytes === null ? null : Number(r.lag_bytes);
          // replay_lag is null once the standby has caught up and nothing new was written.
          lagMs = r.lag_ms ?? (lagBytes === 0 ? 0 : null);
        }
      } catch {
        // the primary is unreachable: the state says so through primaryDownSince and the errors
      }
      const down = this.downSince.get(shard);
      out.push({
        shard,
        mode: this.options.mode,
        epoch: store.epoch,
        primary: hostOf(pair[store.primaryIndex]!),
        standby: hostOf(pair[1 - store.primaryIndex]!),
        standbyState,
        synchronous,
        lagBytes,
        lagMs,
        reads: { ...store.reads },
        primaryDownSince: down === undefined ? null : new Date(down).toISOString(),
        standbyReady: this.ready.get(shard) ?? false,
        failovers: this.failovers.get(shard) ?? 0,
      });
    }
    return out;
  }
}
