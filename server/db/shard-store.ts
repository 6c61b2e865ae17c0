import type { Sql, TransactionSql } from "postgres";
import type { Change, FieldName, WireVectorClock } from "../../lib/protocol";
import { changeRecord, type CardState, type ChangeEntry, type MvrRegisters } from "../../lib/sync/write";

/** A query runner: the shard's pool, or one of its transactions. */
export type Q = Sql | TransactionSql;
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
export class ShardStore {
  private readonly capacity: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly name: string,
    /** The shard's one pool (also for tests and tools that inspect the shard). */
    readonly sql: Sql,
    poolSize: number,
  ) {
    this.capacity = Math.max(1, poolSize - FREE_CONNECTIONS);
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

  /** A read-only REPEATABLE READ transaction: one consistent moment (FEED-2). Never waits for locks. */
  async snapshot<T>(fn: (tx: ShardTx) => Promise<T>): Promise<T> {
    return (await this.sql.begin("isolation level repeatable read read only", fn)) as T;
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
  async lockHeads(tx: ShardTx, boardIds: string[]): Promise<Map<string, number>> {
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

  // Cards ------------------------------------------------------------------------------------

  /** The cards with these ids, locked FOR UPDATE in id order. */
  async lockCards(tx: ShardTx, ids: string[]): Promise<Map<string, CardState>> {
    if (ids.length === 0) return new Map();
    const rows = await tx<CardRow[]>`SELECT * FROM cards WHERE id IN ${tx(ids)} ORDER BY id FOR UPDATE`;
    return new Map(rows.map((r) => [r.id, rowToState(r)]));
  }

  async readCard(q: Q, id: string): Promise<CardState | null> {
    const [row] = await q<CardRow[]>`SELECT * FROM cards WHERE id = ${id}`;
    return row ? rowToState(row) : null;
  }

  async insertCard(q: Q, c: CardState): Promise<void> {
    await q`
      INSERT INTO cards (id, board_id, title, body, status, position, tags, estimate, version, field_versions,
                         hlc, registers, clock, fence, updated_at, updated_by)
      VALUES (${c.id}, ${c.boardId}, ${c.title}, ${c.body}, ${c.status}, ${c.position}, ${json(q, c.tags)}, ${c.estimate},
              ${c.version}, ${json(q, c.fieldVersions)}, ${json(q, c.hlc)}, ${json(q, c.registers)}, ${json(q, c.clock)},
              ${c.fence}, ${c.updatedAt}, ${c.updatedBy})`;
  }

  /** Writes `c` over the row that still has version `from` (the caller holds its lock). */
  async updateCard(q: Q, c: CardState, from: number): Promise<void> {
    await q`
      UPDATE cards SET title = ${c.title}, body = ${c.body}, status = ${c.status}, position = ${c.position},
             tags = ${json(q, c.tags)}, estimate = ${c.estimate}, version = ${c.version},
             field_versions = ${json(q, c.fieldVersions)}, hlc = ${json(q, c.hlc)}, registers = ${json(q, c.registers)},
             clock = ${json(q, c.clock)}, updated_at = ${c.updatedAt}, updated_by = ${c.updatedBy}
      WHERE id = ${c.id} AND version = ${from}`;
  }

  async deleteCard(q: Q, id: string): Promise<void> {
    await q`DELETE FROM cards WHERE id = ${id}`;
  }

  /** The board a card is on here, if it is here. */
  async boardOfCard(id: string): Promise<string | null> {
    const [row] = await this.sql<{ board_id: string }[]>`SELECT board_id FROM cards WHERE id = ${id}`;
    return row?.board_id ?? null;
  }

  async allCardIds(): Promise<{ cardId: string; boardId: string }[]> {
    const rows = await this.sql<{ id: string; board_id: string }[]>`SELECT id, board_id FROM cards`;
    return rows.map((r) => ({ cardId: r.id, boardId: r.board_id }));
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
   * and moves its head to the last one: two statements however many entries.
   */
  async appendChanges(tx: ShardTx, boardId: string, entries: ChangeEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({
      board_id: e.boardId, seq: e.seq, type: e.type, card_id: e.cardId, card: e.card ?? null, mutation_id: e.mutationId, by: e.by, at: e.at,
    }));
    await tx`
      INSERT INTO changes (board_id, seq, type, card_id, card, mutation_id, by, at)
      SELECT board_id, seq, type, card_id, card, mutation_id, by, at
      FROM jsonb_to_recordset(${json(tx, rows)}) AS x(board_id text, seq bigint, type text, card_id text,
           card jsonb, mutation_id text, by text, at timestamptz)`;
    await tx`UPDATE board_heads SET seq = ${entries[entries.length - 1]!.seq} WHERE board_id = ${boardId}`;
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
      SELECT mutation_id, user_id, card_id, result FROM applied_mutations WHERE mutation_id IN ${q(mutationIds)}`;
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
    if (rows.length === 0) return;
    const data = rows.map((r) => ({ mutation_id: r.mutationId, user_id: r.userId, card_id: r.cardId, result: r.result, at: r.at ?? null }));
    await q`
      INSERT INTO applied_mutations (mutation_id, user_id, card_id, result, at)
      SELECT mutation_id, user_id, card_id, result, coalesce(at, now())
      FROM jsonb_to_recordset(${json(q, data)}) AS x(mutation_id text, user_id text, card_id text, result jsonb, at timestamptz)
      ${carried ? q`ON CONFLICT DO NOTHING` : q``}`;
  }

  // Two-phase commit (TX-2, TX-4) ------------------------------------------------------------

  async twoPhaseCommit(): Promise<boolean> {
    const [row] = await this.sql<{ max_prepared_transactions: string }[]>`SHOW max_prepared_transactions`;
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
