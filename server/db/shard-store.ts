import type { ReservedSql, Sql } from "postgres";
import { isConnectionLost } from "./unavailable";
import { ShardRows, type OneTrip, type Q, type ShardTx } from "./shard-rows";

export type { AppliedRow, CardWrite, Closed, LockedHead, Q, ShardTx } from "./shard-rows";

/** The primary could not be reached (SQLSTATE class 08, shutting down, or the driver's own codes). */
const isConnectionError = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^08|^57P0[123]$/.test(code) || /^(ECONN|CONNECT|CONNECTION_|ETIMEDOUT|EPIPE)/.test(code));
};

/**
 * Connections a shard keeps free of lock-waiting transactions (SPEC TX-2): a decided COMMIT
 * PREPARED, and plain reads, always find a connection, even while every other one holds a
 * transaction that waits for the locks a prepared part holds.
 */
export const FREE_CONNECTIONS = 2;

/**
 * Why a transaction sent with its COMMIT did not commit, from its statements' outcomes (the
 * COMMIT's last): the first statement that failed (the COMMIT behind it rolled back), or a COMMIT
 * answered with another tag; undefined when it committed.
 */
function notCommitted(settled: PromiseSettledResult<unknown>[]): { reason: unknown } | undefined {
  const failed = settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
  if (failed) return failed;
  const tag = (settled[settled.length - 1] as PromiseFulfilledResult<{ command?: string }>).value.command;
  return tag === "COMMIT" ? undefined : { reason: new Error(`the transaction ended with ${tag ?? "nothing"}, not COMMIT`) };
}

/** `q` back to the pool once its ROLLBACK is answered, or at once if its connection is lost (see `ShardStore.rollback`). */
function releaseOnceEnded(q: ReservedSql, rollback: Promise<unknown>): void {
  rollback.then(
    () => q.release(),
    (e: unknown) => {
      if (isConnectionLost(e)) q.release();
    },
  );
}

/** A chain's transaction was not sent: what it was decided on may no longer hold (PERF-8). */
export class Stale extends Error {
  constructor() {
    super("the batch was decided on what an earlier batch would write, and that batch failed");
  }
}

interface Chain {
  q: Promise<ReservedSql>;
  /** Transactions sent (or about to be) on it, not yet answered. */
  users: number;
  /** One was not answered in time: the connection may still be inside it. */
  timedOut: boolean;
  /** Rejects once the chain's connection is lost or stuck (`killChain`). */
  dead: Promise<never>;
  kill: (err: unknown) => void;
}

/**
 * One shard's data: its single connection pool, with every row statement of `ShardRows`
 * (shard-rows.ts) and two-phase commit's. Services decide; this module only reads and writes.
 *
 * Transactions that may wait for row locks (writes, move parts, fence raises, trims) go through
 * `transaction`, which admits at most `poolSize - FREE_CONNECTIONS` of them at once (TX-2).
 */
/** How long a pipelined batch waits for its reads (the head lock may wait for another node's batch) and for its COMMIT (SPEC PERF-1). */
const READ_BOUND_MS = 15_000;
/** A query option of our postgres.js patch: the query, and all queued before it, leave now, not at the turn's end. */
const FLUSH = { flush: true } as Parameters<Sql["unsafe"]>[2];
const COMMIT_BOUND_MS = 5_000;

export class ShardStore extends ShardRows {
  private readonly capacity: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private primary: Sql;
  private standbySql: Sql | null = null;
  /** The epoch this store's primary pool writes under (SPEC STANDBY-3); 0: the shard has no standby. */
  epoch = 0;
  /** Which server of the configured pair is the primary (0 or 1). */
  primaryIndex = 0;
  /** Reads answered by each server (SPEC STANDBY-4), and which one answered the last. */
  readonly reads = { primary: 0, standby: 0, last: "primary" as "primary" | "standby" };
  /** How long a pipelined batch waits for its reads and for its COMMIT (tests shorten them). */
  readBoundMs = READ_BOUND_MS;
  commitBoundMs = COMMIT_BOUND_MS;
  /** A batch's lock waits end by themselves this soon (`lock_timeout`), before its read bound. */
  batchLockTimeoutMs = READ_BOUND_MS - 1_000;

  constructor(
    readonly name: string,
    sql: Sql,
    poolSize: number,
  ) {
    super();
    this.primary = sql;
    this.capacity = Math.max(1, poolSize - FREE_CONNECTIONS);
  }

  /** The shard's primary pool (also for tests and tools that inspect the shard); replaced by a failover. */
  get sql(): Sql {
    return this.primary;
  }

  /** The standby's read-only pool, when the shard has one. */
  get standby(): Sql | null {
    return this.standbySql;
  }

  /**
   * Points writes at a new primary under a new epoch (SPEC STANDBY-3) and reads at its standby.
   * Answers the pools no longer used, for the caller to end.
   */
  switchTo(primary: Sql, standby: Sql | null, epoch: number, primaryIndex: number): Sql[] {
    const old = [this.primary, this.standbySql].filter((p): p is Sql => p !== null && p !== primary && p !== standby);
    this.primary = primary;
    this.standbySql = standby;
    this.epoch = epoch;
    this.primaryIndex = primaryIndex;
    return old;
  }

  /** Ends both pools. */
  async end(timeout: number): Promise<void> {
    await Promise.all([this.primary.end({ timeout }), this.standbySql?.end({ timeout })]);
  }

  /**
   * A transaction that may wait for row locks, admitted within the bound above. `lockTimeout`
   * bounds each lock wait (TX-5); `prepare` ends it with PREPARE TRANSACTION under that gid.
   */
  async transaction<T>(fn: (tx: ShardTx) => Promise<T>, opts: { lockTimeout?: string; prepare?: string } = {}): Promise<T> {
    await this.admit();
    try {
      return (await this.sql.begin(async (tx) => {
        if (opts.lockTimeout) await tx.unsafe(`SET LOCAL lock_timeout = '${opts.lockTimeout}'`);
        const out = await fn(tx);
        if (opts.prepare) await tx.prepare(opts.prepare);
        return out;
      })) as T;
    } finally {
      this.leave();
    }
  }

  /**
   * A write transaction in two round trips (SPEC PERF-1), on one connection of its own, admitted
   * like `transaction`: BEGIN and the statements `read` sends, pipelined; then `decide` (no round
   * trip to this shard) answers the result and the statements to write, which go pipelined with
   * the COMMIT. A failed statement aborts the transaction, so the COMMIT behind it rolls back and
   * its error is thrown: nothing of the transaction is kept.
   * `read` and `writes` must START every statement before they return (`.execute()`, as
   * `batchReads` and `batchWrites` do): postgres.js sends a query when it is first awaited, and
   * an `await` of a query inside an async function starts it only a microtask later, which would
   * let the COMMIT overtake it.
   */
  async pipelined<R, T>(
    read: (q: Q) => Promise<R>,
    decide: (r: R) => Promise<{ value: T; writes: (q: Q) => Promise<unknown>[] }>,
    /** Called once the reads are answered (their row locks are held), before `decide`. */
    onReads: () => void = () => {},
  ): Promise<T> {
    await this.admit();
    try {
      const q = await this.reserve();
      // Back to the pool only once the transaction has ended: handed back inside it, the pool's
      // later queries on this connection would run in a transaction that never ends.
      let ended = true;
      try {
        let decided: { value: T; writes: (q: Q) => Promise<unknown>[] };
        try {
          // A lock wait ends on its own before the bound (the head may be held by a move's
          // prepared part until recovery), so the transaction is over when the batch answers.
          const begin = this.begin(q);
          const reads = read(q);
          await this.answered(Promise.all([begin, reads]), this.readBoundMs, "the batch's reads");
          onReads();
          decided = await decide(await reads);
        } catch (err) {
          ended = await this.rollback(q, err);
          throw err;
        }
        const done = await this.commit(q, decided.writes(q), this.commitBoundMs, "the batch's COMMIT");
        ended = done.release;
        if (done.failed) throw done.failed.reason;
        return decided.value;
      } finally {
        if (ended) q.release();
      }
    } finally {
      this.leave();
    }
  }

  /**
   * A write transaction in one round trip (SPEC PERF-7): BEGIN, the lock timeout, the statements
   * `writes` starts (as `pipelined`'s must) and COMMIT, sent together. Its statements state what
   * they count on; one that fails aborts the transaction, so the COMMIT behind it rolls back and
   * its error is thrown.
   *
   * Transactions of one `chain` (a board) go on one connection, in the order they are called: a
   * transaction sent while the one before it is still in the shard runs right after it ends, and
   * one decided on what the one before would write fails there if that one did not commit
   * (PERF-8). The connection is admitted like `transaction`'s, held while the chain has a
   * transaction in flight. `onSent` is called once the statements are queued on it; `still` is
   * asked right before, after any wait for a connection: false sends nothing and throws `Stale`.
   */
  async oneTrip(chain: string, writes: OneTrip, onSent: () => void = () => {}, still: () => boolean = () => true): Promise<void> {
    let c = this.chains.get(chain);
    if (!c) {
      let kill!: (err: unknown) => void;
      const dead = new Promise<never>((_, reject) => (kill = reject));
      dead.catch(() => {}); // awaited by each transaction of the chain, not by nobody
      c = { q: this.openChain(), users: 0, timedOut: false, dead, kill };
      this.chains.set(chain, c);
    }
    c.users++;
    try {
      const q = await c.q;
      if (!still()) throw new Stale();
      // One statement alone is its own transaction (PERF-11); else BEGIN, the statements behind
      // it, and COMMIT, sent at once (our patch of postgres.js), as `commit` does.
      const inTransaction = typeof writes === "function";
      const all = inTransaction ? [this.begin(q), ...writes(q), q.unsafe("COMMIT", [], FLUSH).execute()] : [writes.alone(q)];
      onSent();
      // A statement failing with the connection lost fails the chain at once: the statements
      // after it (the COMMIT, the transactions queued behind) would never be answered.
      for (const p of all) p.catch((e: unknown) => isConnectionLost(e) && this.killChain(chain, c, e));
      let settled: PromiseSettledResult<unknown>[];
      try {
        // Its head statement may wait for the head's lock, at most the lock timeout. A chain whose
        // connection is lost or stuck fails every transaction on it at once (`kill`): those queued
        // behind the one that saw it would never be answered by postgres.js.
        settled = await this.answered(Promise.race([Promise.allSettled(all), c.dead]), this.readBoundMs, "the batch");
      } catch (err) {
        // The connection may still be inside this transaction: nothing joins it any more, and it
        // goes back to the pool only after a ROLLBACK queued behind everything sent on it.
        if ((err as { code?: unknown } | null)?.code === "ETIMEDOUT") c.timedOut = true;
        this.killChain(chain, c, err);
        throw err;
      }
      const failed = inTransaction ? notCommitted(settled) : settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      if (--c.users === 0) {
        if (this.chains.get(chain) === c) this.chains.delete(chain);
        this.closeChain(c);
      }
    }
  }

  /** One-trip transactions in flight on each chain's connection (PERF-8). */
  private readonly chains = new Map<string, Chain>();

  /** Nothing joins the chain any more, and every transaction still waiting on it fails with `err`. */
  private killChain(name: string, c: Chain, err: unknown): void {
    if (this.chains.get(name) === c) this.chains.delete(name);
    c.kill(err);
  }

  /** A connection for a chain, admitted like `transaction`'s. */
  private async openChain(): Promise<ReservedSql> {
    await this.admit();
    try {
      return await this.reserve();
    } catch (err) {
      this.leave();
      throw err;
    }
  }

  /**
   * A connection of the pool for one batch, or an UNAVAILABLE error (ETIMEDOUT) after the read
   * bound: a reserve that never settled would hold the board's lane, and every write queued
   * behind it, forever (server/db/pool-reserve.int.test.ts shows the driver's cases, fixed in
   * patches/postgres+3.4.9.patch). A connection that arrives after the bound goes straight back.
   */
  private async reserve(): Promise<ReservedSql> {
    const reserving = this.sql.reserve();
    try {
      return await this.answered(reserving, this.readBoundMs, "a connection");
    } catch (err) {
      reserving.then((q) => q.release(), () => {});
      throw err;
    }
  }

  /** Its last transaction answered: the connection goes back (after a ROLLBACK if one timed out, see `rollback`). */
  private closeChain(c: Chain): void {
    c.q.then(
      (q) => {
        this.leave();
        if (!c.timedOut) return q.release();
        releaseOnceEnded(q, q.unsafe("ROLLBACK").execute());
      },
      () => {},
    );
  }

  /** BEGIN, and the batch's lock waits bounded (`batchLockTimeoutMs`): one message, started now. */
  private begin(q: ReservedSql): Promise<unknown> {
    return q.unsafe(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.batchLockTimeoutMs))}`).simple().execute();
  }

  /**
   * Sends COMMIT behind `sent` (already started) and waits for all, at most `ms`. Answers
   * whether the connection may go back to the pool now (see `rollback`) and, if the transaction
   * did not commit, why (the first statement that failed: the COMMIT behind it rolled back).
   */
  private async commit(q: ReservedSql, sent: Promise<unknown>[], ms: number, what: string): Promise<{ release: boolean; failed?: { reason: unknown } }> {
    // Sent at once (our patch of postgres.js): the shard runs the batch's writes while this
    // turn's broadcasts are written to the sockets, not after (PERF-6).
    const commit = q.unsafe("COMMIT", [], FLUSH).execute();
    let settled: PromiseSettledResult<unknown>[];
    try {
      settled = await this.answered(Promise.allSettled([...sent, commit]), ms, what);
    } catch (err) {
      return { release: await this.rollback(q, err), failed: { reason: err } };
    }
    const failed = notCommitted(settled);
    return failed ? { release: true, failed } : { release: true };
  }

  /**
   * `p`, or an UNAVAILABLE error (ETIMEDOUT) after `ms`: a statement sent on a connection that
   * died is never answered by postgres.js, which would hold the board's lane forever
   * (server/db/pg-restart.int.test.ts). Whether a timed-out COMMIT took effect is unknown; the
   * client sends the write again under its mutationId, which answers the first result (IDEM-1).
   */
  private async answered<X>(p: Promise<X>, ms: number, what: string): Promise<X> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`shard ${this.name}: no answer to ${what} in ${ms} ms`), { code: "ETIMEDOUT" })), ms);
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ends a failed pipelined transaction; answers whether its connection may go back to the pool
   * now. Never while the transaction may still be open: postgres.js keeps statements sent to a
   * busy reserved connection in a queue of that reservation, which `release()` drops, so the
   * ROLLBACK (and the batch's later reads) would never run while the connection, still inside
   * the transaction, served the pool (`server/services/batch-release.int.test.ts`). So the
   * ROLLBACK is queued behind what is still unanswered (a COMMIT that still arrives makes it a
   * no-op), and the connection goes back once it is answered: waited for (within the COMMIT
   * bound) unless the batch timed out, else in the background. On a lost connection the server
   * ended the transaction already; the connection goes back at once (postgres.js reconnects it).
   */
  private async rollback(q: ReservedSql, err: unknown): Promise<boolean> {
    // Our own bound (`answered`, code ETIMEDOUT) first: the connection may well be alive, inside
    // the transaction. A driver's ETIMEDOUT is a lost connection, whose ROLLBACK fails at once.
    const timedOut = (err as { code?: unknown } | null)?.code === "ETIMEDOUT";
    if (!timedOut && isConnectionLost(err)) return true;
    const rollback = q.unsafe("ROLLBACK").execute();
    const releaseLater = () => releaseOnceEnded(q, rollback);
    if (timedOut) {
      releaseLater();
      return false;
    }
    try {
      await this.answered(rollback, COMMIT_BOUND_MS, "ROLLBACK");
      return true;
    } catch {
      releaseLater();
      return false;
    }
  }

  /**
   * A read-only REPEATABLE READ transaction: one consistent moment (FEED-2). Never waits for locks.
   * With `from`, it may run on the standby (SPEC STANDBY-4): only when the board's head there has
   * reached the primary's head, read first (after the reader joined the board's room), which is
   * at least any seq the reader has seen. With the primary unreachable, the standby answers when
   * it has reached `from.known`, the seq the reader says it has. Otherwise the primary answers.
   */
  async snapshot<T>(fn: (tx: ShardTx) => Promise<T>, from?: { boardId: string; known: number }): Promise<T> {
    const standby = this.standbySql;
    if (from && standby) {
      let atLeast: number;
      let primaryDown = false;
      try {
        atLeast = (await this.head(this.sql, from.boardId))?.seq ?? 0;
      } catch (err) {
        primaryDown = true;
        if (!isConnectionError(err)) throw err;
        primaryDown = true;
        atLeast = from.known;
      }
      const NOT_YET = Symbol("behind");
      const out = await standby
        .begin("isolation level repeatable read read only", async (tx) => {
          // Only a server in recovery is a standby: an old primary back from the dead is not (STANDBY-5).
          const [head] = await tx<{ seq: string; standby: boolean }[]>`
            SELECT seq, pg_is_in_recovery() AS standby FROM board_heads WHERE board_id = ${from.boardId}`;
          if (!head?.standby || Number(head.seq) < atLeast) return NOT_YET;
          return fn(tx);
        })
        .catch((err: unknown) => {
          if (primaryDown) throw err;
          return NOT_YET;
        });
      if (out !== NOT_YET) {
        this.reads.standby++;
        this.reads.last = "standby";
        return out as T;
      }
    }
    const out = (await this.sql.begin("isolation level repeatable read read only", fn)) as T;
    this.reads.primary++;
    this.reads.last = "primary";
    return out;
  }

  private async admit(): Promise<void> {
    if (this.active < this.capacity) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes on
    else this.active--;
  }



  // Two-phase commit (TX-2, TX-4) ------------------------------------------------------------

  /** Whether the shard takes PREPARE TRANSACTION; asked of the standby while the primary is down (a standby must allow at least as many). */
  async twoPhaseCommit(): Promise<boolean> {
    const show = (sql: Sql) => sql<{ max_prepared_transactions: string }[]>`SHOW max_prepared_transactions`;
    const [row] = await show(this.sql).catch((err: unknown) => (this.standbySql ? show(this.standbySql) : Promise.reject(err)));
    return Number(row?.max_prepared_transactions ?? 0) > 0;
  }

  /** Our prepared parts on this shard; `old`: prepared more than `graceMs` ago. */
  async preparedParts(graceMs: number): Promise<{ gid: string; old: boolean }[]> {
    return this.sql<{ gid: string; old: boolean }[]>`
      SELECT gid, prepared <= now() - make_interval(secs => ${graceMs / 1000}) AS old
      FROM pg_prepared_xacts WHERE gid LIKE 'concord%' AND database = current_database()`;
  }

  /** COMMIT or ROLLBACK PREPARED: outside the bound, so it never queues behind lock waiters (TX-2). */
  async finishPrepared(gid: string, how: "COMMIT" | "ROLLBACK"): Promise<void> {
    await this.sql.unsafe(`${how} PREPARED '${gid.replace(/'/g, "")}'`);
  }
}
