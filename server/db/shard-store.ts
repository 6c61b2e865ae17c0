import type { ReservedSql, Sql, TransactionSql } from "postgres";
import type { Change, FieldName, WireVectorClock } from "../../lib/protocol";
import { isConnectionLost } from "./unavailable";
import { changeRecord, type CardState, type ChangeEntry, type MvrRegisters } from "../../lib/sync/write";

/** A query runner: the shard's pool, or one of its transactions. */
export type Q = Sql | TransactionSql | ReservedSql;
export type ShardTx = TransactionSql;

/** A `cards` row as postgres.js returns it (snake_case; bigint as a string; jsonb parsed). */
interface CardRow {
  id: string;
  board_id: string;
  title: string;
  body: string;
  status: CardState["status"];
  position: string;
  tags: string[];
  estimate: number | null;
  version: number;
  field_versions: Record<FieldName, number>;
  hlc: CardState["hlc"];
  registers: MvrRegisters | null;
  clock: WireVectorClock | null;
  fence: string | number;
  updated_at: Date;
  updated_by: string;
}

interface ChangeRow {
  board_id: string;
  seq: string | number;
  type: Change["type"];
  card_id: string;
  card: ChangeEntry["card"];
  mutation_id: string;
  by: string;
  at: Date;
}

/** An `applied_mutations` row: the first result of a mutation (SPEC IDEM-1). */
export interface AppliedRow<R = unknown> {
  mutationId: string;
  userId: string;
  cardId: string;
  result: R;
  /** ISO time; absent: now. */
  at?: string;
}

/** One card statement of a record batch. */
export type CardWrite = { kind: "insert"; card: CardState } | { kind: "update"; card: CardState; from: number } | { kind: "delete"; id: string };

/** The one row → card mapping. */
function rowToState(r: CardRow): CardState {
  return {
    id: r.id, boardId: r.board_id, title: r.title, body: r.body, status: r.status, position: r.position, tags: r.tags,
    estimate: r.estimate, version: r.version, fieldVersions: r.field_versions, hlc: r.hlc, registers: r.registers,
    clock: r.clock, fence: Number(r.fence), updatedAt: new Date(r.updated_at).toISOString(), updatedBy: r.updated_by,
  };
}

function rowToChange(r: ChangeRow): Change {
  return changeRecord({
    boardId: r.board_id, seq: Number(r.seq), type: r.type, card: r.card, cardId: r.card_id, mutationId: r.mutation_id, by: r.by,
    at: new Date(r.at).toISOString(),
  });
}

/** The primary could not be reached (SQLSTATE class 08, shutting down, or the driver's own codes). */
const isConnectionError = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^08|^57P0[123]$/.test(code) || /^(ECONN|CONNECT|CONNECTION_|ETIMEDOUT|EPIPE)/.test(code));
};

/** A jsonb parameter (null stays SQL NULL). */
const json = (q: Q, v: unknown) => (v === null || v === undefined ? null : q.json(v as Parameters<Q["json"]>[0]));

/**
 * Connections a shard keeps free of lock-waiting transactions (SPEC TX-2): a decided COMMIT
 * PREPARED, and plain reads, always find a connection, even while every other one holds a
 * transaction that waits for the locks a prepared part holds.
 */
export const FREE_CONNECTIONS = 2;

/**
 * One shard's data: its single connection pool and every statement the services run on it
 * (cards, the change log, board heads, applied mutations, fences, two-phase commit). Statements
 * are postgres.js tagged templates, each a cached prepared statement (one round trip). Services
 * decide; this module only reads and writes rows.
 *
 * Transactions that may wait for row locks (writes, move parts, fence raises, trims) go through
 * `transaction`, which admits at most `poolSize - FREE_CONNECTIONS` of them at once (TX-2).
 */
/** How long a pipelined batch waits for its reads (the head lock may wait for another node's batch) and for its COMMIT (SPEC PERF-1). */
const READ_BOUND_MS = 15_000;
/** A query option of our postgres.js patch: the query, and all queued before it, leave now, not at the turn's end. */
const FLUSH = { flush: true } as Parameters<Sql["unsafe"]>[2];
const COMMIT_BOUND_MS = 5_000;

export class ShardStore {
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
      const q = await this.sql.reserve();
      // Back to the pool only once the transaction has ended: handed back inside it, the pool's
      // later queries on this connection would run in a transaction that never ends.
      let ended = true;
      try {
        let decided: { value: T; writes: (q: Q) => Promise<unknown>[] };
        try {
          const begin = q.unsafe("BEGIN").execute();
          // A lock wait ends on its own before the bound (the head may be held by a move's
          // prepared part until recovery), so the transaction is over when the batch answers.
          const bounded = q.unsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.batchLockTimeoutMs))}`).execute();
          const reads = read(q);
          await this.answered(Promise.all([begin, bounded, reads]), this.readBoundMs, "the batch's reads");
          onReads();
          decided = await decide(await reads);
        } catch (err) {
          ended = await this.rollback(q, err);
          throw err;
        }
        const writes = decided.writes(q);
        // Sent at once (our patch of postgres.js): the shard runs the batch's writes while this
        // turn's broadcasts are written to the sockets, not after (PERF-6).
        const commit = q.unsafe("COMMIT", [], FLUSH).execute();
        let settled: PromiseSettledResult<unknown>[];
        try {
          settled = await this.answered(Promise.allSettled([...writes, commit]), this.commitBoundMs, "the batch's COMMIT");
        } catch (err) {
          ended = await this.rollback(q, err);
          throw err;
        }
        const failed = settled.find((x) => x.status === "rejected");
        if (failed) throw failed.reason;
        const tag = (settled[settled.length - 1] as PromiseFulfilledResult<{ command?: string }>).value.command;
        if (tag !== "COMMIT") throw new Error(`the transaction ended with ${tag ?? "nothing"}, not COMMIT`);
        return decided.value;
      } finally {
        if (ended) q.release();
      }
    } finally {
      this.leave();
    }
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
    const releaseLater = () => {
      rollback.then(
        () => q.release(),
        (e: unknown) => {
          if (isConnectionLost(e)) q.release();
        },
      );
    };
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

  // Board heads (FEED-1) -------------------------------------------------------------------

  async createHead(boardId: string): Promise<void> {
    await this.sql`INSERT INTO board_heads (board_id) VALUES (${boardId}) ON CONFLICT DO NOTHING`;
  }

  /** Locks the heads of `boardIds` in board id order (TX-7) and answers their seq. */
  async lockHeads(tx: Q, boardIds: string[]): Promise<Map<string, number>> {
    const rows = await tx<{ board_id: string; seq: string }[]>`
      SELECT board_id, seq FROM board_heads WHERE board_id IN ${tx(boardIds)} ORDER BY board_id FOR UPDATE`;
    return new Map(rows.map((r) => [r.board_id, Number(r.seq)]));
  }

  /** Waits until no transaction holds the head (TX-8), at most `lockTimeout`. */
  async awaitHead(boardId: string, lockTimeout: string): Promise<void> {
    await this.transaction(async (tx) => {
      await tx`SELECT 1 FROM board_heads WHERE board_id = ${boardId} FOR SHARE`;
    }, { lockTimeout });
  }

  async head(q: Q, boardId: string): Promise<{ seq: number; floor: number } | null> {
    const [row] = await q<{ seq: string; floor: string }[]>`SELECT seq, floor FROM board_heads WHERE board_id = ${boardId}`;
    return row ? { seq: Number(row.seq), floor: Number(row.floor) } : null;
  }

  async heads(boardIds: string[]): Promise<Map<string, number>> {
    if (boardIds.length === 0) return new Map();
    const rows = await this.sql<{ board_id: string; seq: string }[]>`SELECT board_id, seq FROM board_heads WHERE board_id IN ${this.sql(boardIds)}`;
    return new Map(rows.map((r) => [r.board_id, Number(r.seq)]));
  }

  /** How many cards each of these boards holds now (SPEC BOARD-7: tiles count cards, not changes). */
  async cardCounts(boardIds: string[]): Promise<Map<string, number>> {
    if (boardIds.length === 0) return new Map();
    const rows = await this.sql<{ board_id: string; n: string }[]>`
      SELECT board_id, count(*) AS n FROM cards WHERE board_id IN ${this.sql(boardIds)} GROUP BY board_id`;
    return new Map(rows.map((r) => [r.board_id, Number(r.n)]));
  }

  // Cards ------------------------------------------------------------------------------------

  /** The cards with these ids, locked FOR UPDATE in id order. */
  async lockCards(tx: Q, ids: string[]): Promise<Map<string, CardState>> {
    if (ids.length === 0) return new Map();
    const rows = await tx<CardRow[]>`SELECT * FROM cards WHERE id = ANY(${tx.array(ids)}) ORDER BY id FOR UPDATE`;
    return new Map(rows.map((r) => [r.id, rowToState(r)]));
  }

  async readCard(q: Q, id: string): Promise<CardState | null> {
    const [row] = await q<CardRow[]>`SELECT * FROM cards WHERE id = ${id}`;
    return row ? rowToState(row) : null;
  }

  async insertCard(q: Q, c: CardState): Promise<void> {
    await this.startInsertCard(q, c);
  }

  /** The INSERT of `insertCard`, started now (see `pipelined`). */
  private startInsertCard(q: Q, c: CardState): Promise<unknown> {
    return q`
      INSERT INTO cards (id, board_id, title, body, status, position, tags, estimate, version, field_versions,
                         hlc, registers, clock, fence, updated_at, updated_by)
      VALUES (${c.id}, ${c.boardId}, ${c.title}, ${c.body}, ${c.status}, ${c.position}, ${json(q, c.tags)}, ${c.estimate},
              ${c.version}, ${json(q, c.fieldVersions)}, ${json(q, c.hlc)}, ${json(q, c.registers)}, ${json(q, c.clock)},
              ${c.fence}, ${c.updatedAt}, ${c.updatedBy})`.execute();
  }

  /** Writes `c` over the row that still has version `from` (the caller holds its lock). */
  async updateCard(q: Q, c: CardState, from: number): Promise<void> {
    await this.startUpdateCard(q, c, from);
  }

  private startUpdateCard(q: Q, c: CardState, from: number): Promise<unknown> {
    return q`
      UPDATE cards SET title = ${c.title}, body = ${c.body}, status = ${c.status}, position = ${c.position},
             tags = ${json(q, c.tags)}, estimate = ${c.estimate}, version = ${c.version},
             field_versions = ${json(q, c.fieldVersions)}, hlc = ${json(q, c.hlc)}, registers = ${json(q, c.registers)},
             clock = ${json(q, c.clock)}, updated_at = ${c.updatedAt}, updated_by = ${c.updatedBy}
      WHERE id = ${c.id} AND version = ${from}`.execute();
  }

  async deleteCard(q: Q, id: string): Promise<void> {
    await this.startDeleteCard(q, id);
  }

  private startDeleteCard(q: Q, id: string): Promise<unknown> {
    return q`DELETE FROM cards WHERE id = ${id}`.execute();
  }

  /** The board a card is on here, if it is here. */
  async boardOfCard(id: string): Promise<string | null> {
    const [row] = await this.sql<{ board_id: string }[]>`SELECT board_id FROM cards WHERE id = ${id}`;
    return row?.board_id ?? null;
  }

  /** Every card id with its board; read on the standby while the primary is down (a node starting then, SPEC STANDBY-5). */
  async allCardIds(): Promise<{ cardId: string; boardId: string }[]> {
    const read = (sql: Sql) => sql<{ id: string; board_id: string }[]>`SELECT id, board_id FROM cards`;
    const rows = await read(this.sql).catch((err: unknown) => (this.standbySql ? read(this.standbySql) : Promise.reject(err)));
    return rows.map((r) => ({ cardId: r.id, boardId: r.board_id }));
  }

  /** How many cards the board has, counting no further than `upTo` (FEED-6). */
  async countCards(q: Q, boardId: string, upTo: number): Promise<number> {
    const [row] = await q<{ n: string }[]>`SELECT count(*) AS n FROM (SELECT 1 FROM cards WHERE board_id = ${boardId} LIMIT ${upTo}) AS c`;
    return Number(row?.n ?? 0);
  }

  /** One page of a board's cards in (position, id) order after `after` (FEED-5). */
  async cardsAfter(q: Q, boardId: string, after: { position: string; id: string } | undefined, limit: number): Promise<CardState[]> {
    const rows = after
      ? await q<CardRow[]>`
          SELECT * FROM cards WHERE board_id = ${boardId} AND (position, id) > (${after.position}, ${after.id})
          ORDER BY position, id LIMIT ${limit}`
      : await q<CardRow[]>`SELECT * FROM cards WHERE board_id = ${boardId} ORDER BY position, id LIMIT ${limit}`;
    return rows.map(rowToState);
  }

  // Leases (LOCK-2, LOCK-8) ------------------------------------------------------------------

  /** Raises the card's fence to `token` while it is still on `boardId` (LOCK-7); false when it is not. */
  async raiseFence(cardId: string, boardId: string, token: number): Promise<boolean> {
    return this.transaction(async (tx) => {
      const rows = await tx`UPDATE cards SET fence = GREATEST(fence, ${token}) WHERE id = ${cardId} AND board_id = ${boardId} RETURNING id`;
      return rows.length > 0;
    });
  }

  /** The ids of the board's cards whose fence was ever raised. */
  async fencedCards(boardId: string): Promise<string[]> {
    const rows = await this.sql<{ id: string }[]>`SELECT id FROM cards WHERE board_id = ${boardId} AND fence > 0`;
    return rows.map((r) => r.id);
  }

  // The change log (FEED-1) ------------------------------------------------------------------

  /**
   * Appends `entries` (seq already counted under the head's lock, in order) to the board's log
   * and moves its head to the last one: two statements however many entries, sent together.
   */
  async appendChanges(tx: Q, boardId: string, entries: ChangeEntry[]): Promise<void> {
    await Promise.all(this.startAppendChanges(tx, boardId, entries));
  }

  private startAppendChanges(tx: Q, boardId: string, entries: ChangeEntry[]): Promise<unknown>[] {
    if (entries.length === 0) return [];
    const rows = entries.map((e) => ({
      board_id: e.boardId, seq: e.seq, type: e.type, card_id: e.cardId, card: e.card ?? null, mutation_id: e.mutationId, by: e.by, at: e.at,
    }));
    return [
      tx`
        INSERT INTO changes (board_id, seq, type, card_id, card, mutation_id, by, at)
        SELECT board_id, seq, type, card_id, card, mutation_id, by, at
        FROM jsonb_to_recordset(${json(tx, rows)}) AS x(board_id text, seq bigint, type text, card_id text,
             card jsonb, mutation_id text, by text, at timestamptz)`.execute(),
      tx`UPDATE board_heads SET seq = ${entries[entries.length - 1]!.seq} WHERE board_id = ${boardId}`.execute(),
    ];
  }

  async changesAfter(q: Q, boardId: string, seq: number, limit: number): Promise<Change[]> {
    const rows = await q<ChangeRow[]>`SELECT * FROM changes WHERE board_id = ${boardId} AND seq > ${seq} ORDER BY seq LIMIT ${limit}`;
    return rows.map(rowToChange);
  }

  /** The card's newest `limit` changes on the board, oldest first. */
  async history(boardId: string, cardId: string, limit: number): Promise<Change[]> {
    const rows = await this.sql<ChangeRow[]>`
      SELECT * FROM changes WHERE board_id = ${boardId} AND card_id = ${cardId} ORDER BY seq DESC LIMIT ${limit}`;
    return rows.reverse().map(rowToChange);
  }

  /** SPEC HIST-2: the card's newest `limit` changes on every board of this shard (a card id is unique: ID-1), oldest first. */
  async cardHistory(cardId: string, limit: number): Promise<Change[]> {
    const rows = await this.sql<ChangeRow[]>`SELECT * FROM changes WHERE card_id = ${cardId} ORDER BY at DESC, seq DESC LIMIT ${limit}`;
    return rows.reverse().map(rowToChange);
  }

  /** SPEC TX-12: the changes one mutation made to a card on this shard's boards, in seq order. */
  async changesOfMutation(cardId: string, mutationId: string): Promise<Change[]> {
    const rows = await this.sql<ChangeRow[]>`SELECT * FROM changes WHERE card_id = ${cardId} AND mutation_id = ${mutationId} ORDER BY board_id, seq`;
    return rows.map(rowToChange);
  }

  /** Drops changes older than the newest `keep` of each board and raises `floor` to match (FEED-3). */
  async trim(keep: number): Promise<number> {
    const over = await this.sql<{ board_id: string; seq: string }[]>`SELECT board_id, seq FROM board_heads WHERE seq - floor > ${keep}`;
    let removed = 0;
    for (const h of over) {
      const floor = Number(h.seq) - keep;
      removed += await this.transaction(async (tx) => {
        await tx`UPDATE board_heads SET floor = ${floor} WHERE board_id = ${h.board_id} AND floor <= ${floor}`;
        const gone = await tx`DELETE FROM changes WHERE board_id = ${h.board_id} AND seq <= ${floor}`;
        return gone.count;
      });
    }
    return removed;
  }

  // Applied mutations (IDEM-1, IDEM-2) -------------------------------------------------------

  /** The stored results of these mutationIds, by mutationId. */
  async applied<R>(q: Q, mutationIds: string[]): Promise<Map<string, AppliedRow<R>>> {
    const rows = await q<{ mutation_id: string; user_id: string; card_id: string; result: R }[]>`
      SELECT mutation_id, user_id, card_id, result FROM applied_mutations WHERE mutation_id = ANY(${q.array(mutationIds)})`;
    return new Map(rows.map((r) => [r.mutation_id, { mutationId: r.mutation_id, userId: r.user_id, cardId: r.card_id, result: r.result }]));
  }

  /** Every mutation applied to the card (a move carries them along, IDEM-2). */
  async appliedOfCard(q: Q, cardId: string): Promise<AppliedRow[]> {
    const rows = await q<{ mutation_id: string; user_id: string; card_id: string; result: unknown; at: Date }[]>`
      SELECT mutation_id, user_id, card_id, result, at FROM applied_mutations WHERE card_id = ${cardId} ORDER BY mutation_id`;
    return rows.map((r) => ({ mutationId: r.mutation_id, userId: r.user_id, cardId: r.card_id, result: r.result, at: new Date(r.at).toISOString() }));
  }

  /**
   * Stores first results, one statement for many. `carried`: rows a move brings along, which
   * may already be here (kept as they are).
   */
  async remember(q: Q, rows: AppliedRow[], carried = false): Promise<void> {
    await this.startRemember(q, rows, carried);
  }

  private startRemember(q: Q, rows: AppliedRow[], carried = false): Promise<unknown> {
    if (rows.length === 0) return Promise.resolve();
    const data = rows.map((r) => ({ mutation_id: r.mutationId, user_id: r.userId, card_id: r.cardId, result: r.result, at: r.at ?? null }));
    return q`
      INSERT INTO applied_mutations (mutation_id, user_id, card_id, result, at)
      SELECT mutation_id, user_id, card_id, result, coalesce(at, now())
      FROM jsonb_to_recordset(${json(q, data)}) AS x(mutation_id text, user_id text, card_id text, result jsonb, at timestamptz)
      ${carried ? q`ON CONFLICT DO NOTHING` : q``}`.execute();
  }

  // A record batch (SPEC PERF-1), as `pipelined` sends it ---------------------------------------

  /**
   * The batch's reads, started now in this order: the board's head locked (FEED-1), its
   * mutationIds' stored results (IDEM-1), its cards locked in id order (OCC-1). Ids go as one
   * array parameter (`= ANY`), so each statement has one text whatever the batch's size and is
   * prepared once per connection: an `IN` list of n ids was a new statement per n, whose first
   * use cost a describe round trip while the batch held the head (PERF-1).
   */
  batchReads<R>(q: Q, boardId: string, mutationIds: string[], cardIds: string[]): Promise<{ head: number | undefined; results: Map<string, AppliedRow<R>>; cards: Map<string, CardState> }> {
    const head = q<{ seq: string }[]>`SELECT seq FROM board_heads WHERE board_id = ${boardId} FOR UPDATE`.execute();
    const applied = q<{ mutation_id: string; user_id: string; card_id: string; result: R }[]>`
      SELECT mutation_id, user_id, card_id, result FROM applied_mutations WHERE mutation_id = ANY(${q.array(mutationIds)})`.execute();
    const cards = cardIds.length > 0 ? q<CardRow[]>`SELECT * FROM cards WHERE id = ANY(${q.array(cardIds)}) ORDER BY id FOR UPDATE`.execute() : Promise.resolve([]);
    return Promise.all([head, applied, cards]).then(([h, a, c]) => ({
      head: h[0] ? Number(h[0].seq) : undefined,
      results: new Map(a.map((r) => [r.mutation_id, { mutationId: r.mutation_id, userId: r.user_id, cardId: r.card_id, result: r.result }])),
      cards: new Map(c.map((r) => [r.id, rowToState(r)])),
    }));
  }

  /** The batch's writes, started now in order: each card statement, the log rows and new head, the applied mutations. */
  batchWrites(q: Q, boardId: string, ops: CardWrite[], changes: ChangeEntry[], applied: AppliedRow[]): Promise<unknown>[] {
    const out = ops.map((op) =>
      op.kind === "insert" ? this.startInsertCard(q, op.card) : op.kind === "update" ? this.startUpdateCard(q, op.card, op.from) : this.startDeleteCard(q, op.id),
    );
    return [...out, ...this.startAppendChanges(q, boardId, changes), this.startRemember(q, applied)];
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
