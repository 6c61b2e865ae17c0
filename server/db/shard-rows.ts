import type { ReservedSql, Sql, TransactionSql } from "postgres";
import type { Change, FieldName, WireVectorClock } from "../../lib/protocol";
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

/**
 * What a one-trip batch sends, started once its connection is ready: statements to run inside
 * BEGIN … COMMIT (started after the BEGIN), or one statement run on its own (SPEC PERF-11).
 */
export type OneTrip = ((q: Q) => Promise<unknown>[]) | { alone: (q: Q) => Promise<unknown> };

/** SPEC BOARD-8: why a board takes no more writes (its head's `closed`); null: it is open. */
export type Closed = "archived" | "deleted";

/** A board's head, locked: its seq and whether it is closed (BOARD-8). */
export interface LockedHead {
  seq: number;
  closed: Closed | null;
}

/** One card statement of a record batch. */
export type CardWrite =
  | { kind: "insert"; card: CardState }
  | { kind: "update"; card: CardState; from: number }
  | { kind: "delete"; id: string; from: number }
  /** No write: a conflict answered on memory holds only if the card is still as remembered (PERF-7, one trip only). */
  | { kind: "check"; id: string; from: number };

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


/** `applied_mutations` rows as the JSON `jsonb_to_recordset` reads (`at` null: now). */
const appliedRecords = (rows: AppliedRow[]) =>
  rows.map((r) => ({ mutation_id: r.mutationId, user_id: r.userId, card_id: r.cardId, result: r.result, at: r.at ?? null }));

/** A jsonb parameter (null stays SQL NULL). */
const json = (q: Q, v: unknown) => (v === null || v === undefined ? null : q.json(v as Parameters<Q["json"]>[0]));

/**
 * The CTEs `c` (the batch's change rows) and `a` (its applied mutations), each joined on `ok`, the
 * head's check, which the statement defines before them: nothing is inserted unless it passed.
 */
function logged(q: Q, changes: ChangeEntry[], applied: AppliedRow[]) {
  const log = changes.map((e) => ({
    board_id: e.boardId, seq: e.seq, type: e.type, card_id: e.cardId, card: e.card ?? null, mutation_id: e.mutationId, by: e.by, at: e.at,
  }));
  return q`
    c AS (
      INSERT INTO changes (board_id, seq, type, card_id, card, mutation_id, by, at)
      SELECT board_id, seq, type, card_id, card, mutation_id, by, at
      FROM jsonb_to_recordset(${json(q, log)}) AS x(board_id text, seq bigint, type text, card_id text,
           card jsonb, mutation_id text, by text, at timestamptz) CROSS JOIN ok
      RETURNING 1),
    a AS (
      INSERT INTO applied_mutations (mutation_id, user_id, card_id, result, at)
      SELECT mutation_id, user_id, card_id, result, coalesce(at, now())
      FROM jsonb_to_recordset(${json(q, appliedRecords(applied))}) AS x(mutation_id text, user_id text, card_id text, result jsonb, at timestamptz) CROSS JOIN ok
      RETURNING 1)`;
}

/**
 * SPEC PERF-12: "the card is still on `boardId`" as a condition no index answers (`IS TRUE`), for a
 * statement that names its cards by key. Written `board_id = …`, it lets the planner walk the
 * board's index (`cards_board_page_idx`: every card on the board) instead of the key, which it
 * does when the shard has no statistics yet, and, for a set of cards, even with them.
 */
const onBoard = (q: Q, boardId: string, alias?: "cd") => (alias ? q`(cd.board_id = ${boardId}) IS TRUE` : q`(board_id = ${boardId}) IS TRUE`);

/**
 * `UPDATE cards cd` from the cards as one JSON array (SPEC PERF-9), each row only over the card
 * still at the version its write was decided on (`x."from"`), found by its key (PERF-12: `cd.id`
 * equal to one id, or in the ids; the JSON rows alone leave the planner guessing a hundred and
 * scanning). `join` adds to its FROM list; `still`: only cards still on that board and never
 * fenced. The caller may add RETURNING.
 */
function updateCards(q: Q, ops: Extract<CardWrite, { kind: "update" }>[], { join = q``, still }: { join?: ReturnType<Q>; still?: string } = {}) {
  const rows = ops.map(({ card: c, from }) => ({
    id: c.id, from, title: c.title, body: c.body, status: c.status, position: c.position, tags: c.tags, estimate: c.estimate,
    version: c.version, field_versions: c.fieldVersions, hlc: c.hlc ?? null, registers: c.registers ?? null, clock: c.clock ?? null,
    updated_at: c.updatedAt, updated_by: c.updatedBy,
  }));
  const keys = ops.length === 1 ? q`cd.id = ${ops[0]!.card.id}` : q`cd.id = ANY(${ops.map((op) => op.card.id)}::text[])`;
  return q`
    UPDATE cards cd SET
      title = x.title, body = x.body, status = x.status, position = x.position, tags = x.tags, estimate = x.estimate,
      version = x.version, field_versions = x.field_versions, hlc = x.hlc, registers = x.registers, clock = x.clock,
      updated_at = x.updated_at, updated_by = x.updated_by
    FROM jsonb_to_recordset(${json(q, rows)}) AS x(id text, "from" integer, title text, body text, status text, position text,
         tags jsonb, estimate integer, version integer, field_versions jsonb, hlc jsonb, registers jsonb, clock jsonb,
         updated_at timestamptz, updated_by text) ${join}
    WHERE ${keys} AND cd.id = x.id AND cd.version = x."from"
      ${still === undefined ? q`` : q`AND ${onBoard(q, still, "cd")} AND cd.fence = 0`}`;
}

/**
 * Every statement the services run on a shard's rows: board heads, cards, fences, the change
 * log, applied mutations, and a record batch's reads and writes (SPEC PERF-1). Statements are
 * postgres.js tagged templates, each a cached prepared statement (one round trip). Services
 * decide; this module only reads and writes rows. `ShardStore` (shard-store.ts) adds the
 * connections: the pool, admission (TX-2), pipelined batches, snapshots and failover.
 */
export abstract class ShardRows {
  /** The shard's primary pool. */
  abstract get sql(): Sql;

  /** The standby's read-only pool, when the shard has one. */
  abstract get standby(): Sql | null;

  /** A transaction that may wait for row locks (ShardStore: admitted within TX-2's bound). */
  abstract transaction<T>(fn: (tx: ShardTx) => Promise<T>, opts?: { lockTimeout?: string; prepare?: string }): Promise<T>;

  // Board heads (FEED-1) -------------------------------------------------------------------

  async createHead(boardId: string): Promise<void> {
    await this.sql`INSERT INTO board_heads (board_id) VALUES (${boardId}) ON CONFLICT DO NOTHING`;
  }

  /** Locks the heads of `boardIds` in board id order (TX-7) and answers their seq and whether they are closed (BOARD-8). */
  async lockHeads(tx: Q, boardIds: string[]): Promise<Map<string, LockedHead>> {
    const rows = await tx<{ board_id: string; seq: string; closed: Closed | null }[]>`
      SELECT board_id, seq, closed FROM board_heads WHERE board_id IN ${tx(boardIds)} ORDER BY board_id FOR UPDATE`;
    return new Map(rows.map((r) => [r.board_id, { seq: Number(r.seq), closed: r.closed }]));
  }

  /**
   * SPEC BOARD-8: the head closed as `decide` says (archived, deleted, or open: null), asked while
   * the head's lock is held: the batch holding the head commits first, and every later write
   * finds the state set here. A deleted head stays deleted (BOARD-4: deleting is not undone), so
   * `decide` is not asked. Closing asks nothing of the catalog; an archive ends with a step whose
   * `decide` reads the catalog and a restore is one (its catalog change made in `decide` first):
   * the last of them to take the lock reads what all of them left there. At most `lockTimeout`
   * waiting for the head (a lock timeout, SQLSTATE 55P03). Answers the state kept.
   */
  async settleClosed(boardId: string, decide: () => Promise<Closed | null>, lockTimeout: string): Promise<Closed | null> {
    return this.transaction(async (tx) => {
      const [row] = await tx<{ closed: Closed | null }[]>`SELECT closed FROM board_heads WHERE board_id = ${boardId} FOR UPDATE`;
      if (row?.closed === "deleted") return "deleted";
      const want = await decide();
      if (!row) await tx`INSERT INTO board_heads (board_id, closed) VALUES (${boardId}, ${want}) ON CONFLICT (board_id) DO NOTHING`;
      else if (row.closed !== want) await tx`UPDATE board_heads SET closed = ${want} WHERE board_id = ${boardId}`;
      return want;
    }, { lockTimeout });
  }

  /** BOARD-8's start-up pass: the boards among `boardIds` whose head is open. */
  async openHeadsOf(boardIds: string[]): Promise<string[]> {
    if (boardIds.length === 0) return [];
    const rows = await this.sql<{ board_id: string }[]>`SELECT board_id FROM board_heads WHERE board_id IN ${this.sql(boardIds)} AND closed IS NULL`;
    return rows.map((r) => r.board_id);
  }

  /** BOARD-8's start-up pass: every board whose head is archived. */
  async archivedHeads(): Promise<string[]> {
    const rows = await this.sql<{ board_id: string }[]>`SELECT board_id FROM board_heads WHERE closed = 'archived'`;
    return rows.map((r) => r.board_id);
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

  /**
   * The UPDATE of `updateCard`, started now (see `pipelined`). With `expect` (a one-trip batch,
   * SPEC PERF-7) it also requires the card still on its board and never fenced, and aborts the
   * transaction when it is not as remembered (`concord_expect`, SQLSTATE CC002).
   */
  private startUpdateCard(q: Q, c: CardState, from: number, expect = false): Promise<unknown> {
    const set = q`
      title = ${c.title}, body = ${c.body}, status = ${c.status}, position = ${c.position},
      tags = ${json(q, c.tags)}, estimate = ${c.estimate}, version = ${c.version},
      field_versions = ${json(q, c.fieldVersions)}, hlc = ${json(q, c.hlc)}, registers = ${json(q, c.registers)},
      clock = ${json(q, c.clock)}, updated_at = ${c.updatedAt}, updated_by = ${c.updatedBy}`;
    if (!expect) return q`UPDATE cards SET ${set} WHERE id = ${c.id} AND version = ${from}`.execute();
    return q`
      WITH u AS (UPDATE cards SET ${set} WHERE id = ${c.id} AND ${onBoard(q, c.boardId)} AND version = ${from} AND fence = 0 RETURNING 1)
      SELECT concord_expect(count(*) = 1, 'the card') FROM u`.execute();
  }

  async deleteCard(q: Q, id: string): Promise<void> {
    await this.startDeleteCard(q, id);
  }

  /** The DELETE of `deleteCard`, started now; `expect`: as `startUpdateCard`'s. */
  private startDeleteCard(q: Q, id: string, expect?: { boardId: string; version: number }): Promise<unknown> {
    if (!expect) return q`DELETE FROM cards WHERE id = ${id}`.execute();
    return q`
      WITH d AS (DELETE FROM cards WHERE id = ${id} AND ${onBoard(q, expect.boardId)} AND version = ${expect.version} AND fence = 0 RETURNING 1)
      SELECT concord_expect(count(*) = 1, 'the card') FROM d`.execute();
  }

  /** The board a card is on here, if it is here. */
  async boardOfCard(id: string): Promise<string | null> {
    const [row] = await this.sql<{ board_id: string }[]>`SELECT board_id FROM cards WHERE id = ${id}`;
    return row?.board_id ?? null;
  }

  /** Every card id with its board; read on the standby while the primary is down (a node starting then, SPEC STANDBY-5). */
  async allCardIds(): Promise<{ cardId: string; boardId: string }[]> {
    const read = (sql: Sql) => sql<{ id: string; board_id: string }[]>`SELECT id, board_id FROM cards`;
    const rows = await read(this.sql).catch((err: unknown) => (this.standby ? read(this.standby) : Promise.reject(err)));
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

  /**
   * Raises the card's fence to `token` while it is still on `boardId` (LOCK-7) and the board is
   * open (BOARD-8: its head is read under a share lock, so a board closed before this commits is
   * seen closed). "raised"; "gone": the card is not on the board; or why the board is closed.
   */
  async raiseFence(cardId: string, boardId: string, token: number): Promise<"raised" | "gone" | Closed> {
    return this.transaction(async (tx) => {
      const [head] = await tx<{ closed: Closed | null }[]>`SELECT closed FROM board_heads WHERE board_id = ${boardId} FOR SHARE`;
      if (head?.closed) return head.closed;
      const rows = await tx`UPDATE cards SET fence = GREATEST(fence, ${token}) WHERE id = ${cardId} AND ${onBoard(tx, boardId)} RETURNING id`;
      return rows.length > 0 ? "raised" : "gone";
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
   * and moves its head to the last one, in one statement (`startBatchLog`).
   */
  async appendChanges(tx: Q, boardId: string, entries: ChangeEntry[]): Promise<void> {
    if (entries.length > 0) await this.startBatchLog(tx, boardId, entries, []);
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
    const data = appliedRecords(rows);
    return q`
      INSERT INTO applied_mutations (mutation_id, user_id, card_id, result, at)
      SELECT mutation_id, user_id, card_id, result, coalesce(at, now())
      FROM jsonb_to_recordset(${json(q, data)}) AS x(mutation_id text, user_id text, card_id text, result jsonb, at timestamptz)
      ${carried ? q`ON CONFLICT DO NOTHING` : q``}`.execute();
  }

  // A record batch (SPEC PERF-1), as `pipelined` sends it ---------------------------------------

  /**
   * A batch's log in one statement: its change rows, the head moved to the last of them, and its
   * applied mutations (at least one change). With `from` (a one-trip batch, PERF-7) the head
   * moves only if it is at `from` once its lock is taken (`l`): the statement waits for a writer
   * holding the head and checks the head that writer left. (A WHERE on the seq alone would skip
   * the row at once on the seq the statement's snapshot saw, without waiting, PERF-8.) The head's
   * row is locked and checked (`concord_expect`, CC002) before any row is inserted: every insert
   * joins on that check. A closed board's head (BOARD-8) fails that check too.
   */
  private startBatchLog(q: Q, boardId: string, changes: ChangeEntry[], applied: AppliedRow[], from?: number): Promise<unknown> {
    const last = changes[changes.length - 1]!.seq;
    return q`
      WITH ${from === undefined ? q`` : q`l AS (SELECT seq FROM board_heads WHERE board_id = ${boardId} AND closed IS NULL FOR UPDATE),`}
      h AS (
        UPDATE board_heads SET seq = ${last}
        WHERE board_id = ${boardId} ${from === undefined ? q`` : q`AND (SELECT seq FROM l) = ${from}`} RETURNING 1),
      ok AS (SELECT concord_expect(count(*) = 1, 'the board head') AS ok FROM h),
      ${logged(q, changes, applied)}
      SELECT (SELECT ok FROM ok) AS ok, (SELECT count(*) FROM c) AS changes, (SELECT count(*) FROM a) AS applied`.execute();
  }

  /**
   * The batch's reads, started now in this order: the board's head locked (FEED-1), its
   * mutationIds' stored results (IDEM-1), its cards locked in id order (OCC-1). Ids go as one
   * array parameter (`= ANY`), so each statement has one text whatever the batch's size and is
   * prepared once per connection: an `IN` list of n ids was a new statement per n, whose first
   * use cost a describe round trip while the batch held the head (PERF-1).
   */
  batchReads<R>(
    q: Q,
    boardId: string,
    mutationIds: string[],
    cardIds: string[],
    /** Also read up to this many of the board's cards, unlocked (PERF-7: a node learning a board). */
    learn = 0,
  ): Promise<{ head: LockedHead | undefined; results: Map<string, AppliedRow<R>>; cards: Map<string, CardState>; board: CardState[] }> {
    const head = q<{ seq: string; closed: Closed | null }[]>`SELECT seq, closed FROM board_heads WHERE board_id = ${boardId} FOR UPDATE`.execute();
    const applied = q<{ mutation_id: string; user_id: string; card_id: string; result: R }[]>`
      SELECT mutation_id, user_id, card_id, result FROM applied_mutations WHERE mutation_id = ANY(${q.array(mutationIds)})`.execute();
    const cards = cardIds.length > 0 ? q<CardRow[]>`SELECT * FROM cards WHERE id = ANY(${q.array(cardIds)}) ORDER BY id FOR UPDATE`.execute() : Promise.resolve([]);
    // After the head's lock: every writer of the board takes it first, so these are the cards at the head read.
    const board = learn > 0 ? q<CardRow[]>`SELECT * FROM cards WHERE board_id = ${boardId} LIMIT ${learn}`.execute() : Promise.resolve([]);
    return Promise.all([head, applied, cards, board]).then(([h, a, c, all]) => ({
      head: h[0] ? { seq: Number(h[0].seq), closed: h[0].closed } : undefined,
      results: new Map(a.map((r) => [r.mutation_id, { mutationId: r.mutation_id, userId: r.user_id, cardId: r.card_id, result: r.result }])),
      cards: new Map(c.map((r) => [r.id, rowToState(r)])),
      board: all.map(rowToState),
    }));
  }

  /** The batch's writes, started now in order: each card statement, the log rows and new head, the applied mutations. */
  batchWrites(q: Q, boardId: string, ops: CardWrite[], changes: ChangeEntry[], applied: AppliedRow[]): Promise<unknown>[] {
    if (ops.some((op) => op.kind === "check")) throw new Error("a batch that read decides on what it read: it checks nothing");
    const out = this.startCardWrites(q, boardId, ops, false);
    if (changes.length === 0) return [...out, this.startRemember(q, applied)];
    return [...out, this.startBatchLog(q, boardId, changes, applied)];
  }

  /**
   * A one-trip batch's writes (SPEC PERF-7), decided on what the node remembers of the board at
   * head `from`, started now in order, each stating what it counted on: the head moved only if
   * it is still at `from` (its lock taken first, as every writer of the board does), each card
   * changed only if still on the board at the version remembered and never fenced, a new card or
   * mutationId refused by its unique key if it exists. One that is not so aborts the transaction
   * (`concord_expect`: SQLSTATE CC002; a unique key: 23505), and the COMMIT keeps nothing.
   */
  oneTripWrites(q: Q, boardId: string, from: number, ops: CardWrite[], changes: ChangeEntry[], applied: AppliedRow[]): Promise<unknown>[] {
    if (changes.length === 0) throw new Error("a one-trip batch logs at least one change");
    // The log first: it takes the head's lock, as every writer of the board does before its cards.
    const log = this.startBatchLog(q, boardId, changes, applied, from);
    return [log, ...this.startCardWrites(q, boardId, ops, true)];
  }

  /**
   * What a one-trip batch sends (SPEC PERF-7): one statement run on its own when its writes are
   * only updates, each of another card (PERF-11, the common case); else `oneTripWrites` inside
   * BEGIN … COMMIT.
   */
  oneTripBatch(boardId: string, from: number, ops: CardWrite[], changes: ChangeEntry[], applied: AppliedRow[]): OneTrip {
    const ids = new Set(ops.map((op) => (op.kind === "insert" || op.kind === "update" ? op.card.id : op.id)));
    const updates = ops.filter((op): op is Extract<CardWrite, { kind: "update" }> => op.kind === "update");
    if (changes.length > 0 && updates.length > 0 && updates.length === ops.length && ids.size === ops.length) {
      return { alone: (q) => this.startOneStatement(q, boardId, from, updates, changes, applied) };
    }
    return (q) => this.oneTripWrites(q, boardId, from, ops, changes, applied);
  }

  /** How long a batch's lock waits may last (ShardStore: before its read bound). */
  abstract batchLockTimeoutMs: number;

  /**
   * SPEC PERF-11: a one-trip batch that only updates distinct cards, as one statement run on its
   * own (a statement is a transaction: no BEGIN, no COMMIT). Its lock waits are bounded first
   * (`set_config`, local to the statement's transaction); then, as `startBatchLog` and
   * `startUpdateCards` with `expect`, the head is locked and moved only if still at `from` and open (BOARD-8), the
   * changes logged and the results stored behind it (`ok`), and every card written, after the
   * head (TX-7), only if still on the board at the version remembered and never fenced. One row
   * not so aborts all of it (`concord_expect`, SQLSTATE CC002; a unique key, 23505).
   */
  private startOneStatement(q: Q, boardId: string, from: number, ops: Extract<CardWrite, { kind: "update" }>[], changes: ChangeEntry[], applied: AppliedRow[]): Promise<unknown> {
    const last = changes[changes.length - 1]!.seq;
    const statement = q`
      WITH t AS (SELECT set_config('lock_timeout', ${String(Math.max(1, Math.round(this.batchLockTimeoutMs)))}, true) AS v),
      l AS (SELECT seq FROM board_heads WHERE board_id = ${boardId} AND closed IS NULL AND (SELECT v FROM t) IS NOT NULL FOR UPDATE),
      h AS (UPDATE board_heads SET seq = ${last} WHERE board_id = ${boardId} AND (SELECT seq FROM l) = ${from} RETURNING 1),
      ok AS (SELECT concord_expect(count(*) = 1, 'the board head') AS ok FROM h),
      ${logged(q, changes, applied)},
      u AS (${updateCards(q, ops, { join: q`CROSS JOIN ok`, still: boardId })} RETURNING 1)
      SELECT concord_expect((SELECT count(*) FROM u) = ${ops.length}, 'the cards') AS cards,
        (SELECT count(*) FROM c) AS changes, (SELECT count(*) FROM a) AS applied`;
    // Sent now (our patch of postgres.js), as the COMMIT of a transaction is.
    (statement as unknown as { options: { flush?: boolean } }).options.flush = true;
    return statement.execute();
  }

  /**
   * A batch's card statements, started now (SPEC PERF-9): the updates of the cards the batch
   * writes once go together in one statement, the rest one statement each, in the order written
   * (a card written twice keeps its order; statements on different cards need none). `expect`:
   * a one-trip batch's, each row stating what it counted on (see `startUpdateCard`).
   */
  private startCardWrites(q: Q, boardId: string, ops: CardWrite[], expect: boolean): Promise<unknown>[] {
    const writes = new Map<string, number>();
    for (const op of ops) {
      const id = op.kind === "insert" || op.kind === "update" ? op.card.id : op.id;
      writes.set(id, (writes.get(id) ?? 0) + 1);
    }
    const once = ops.filter((op): op is Extract<CardWrite, { kind: "update" }> => op.kind === "update" && writes.get(op.card.id) === 1);
    const together = new Set<CardWrite>(once.length >= 2 ? once : []);
    const out = together.size > 0 ? [this.startUpdateCards(q, boardId, once, expect)] : [];
    for (const op of ops) {
      if (together.has(op)) continue;
      out.push(
        op.kind === "insert"
          ? this.startInsertCard(q, op.card)
          : op.kind === "update"
            ? this.startUpdateCard(q, op.card, op.from, expect)
            : op.kind === "delete"
              ? this.startDeleteCard(q, op.id, expect ? { boardId, version: op.from } : undefined)
              : q`SELECT concord_expect(count(*) = 1, 'the card') FROM cards WHERE id = ${op.id} AND ${onBoard(q, boardId)} AND version = ${op.from} AND fence = 0`.execute(),
      );
    }
    return out;
  }

  /**
   * SPEC PERF-9: the updates of distinct cards in one statement, their rows as one JSON array:
   * one statement for the shard to plan, bind and run (and one run of the cards' epoch trigger)
   * however many cards the batch writes. Each row is written over the card only if it still has
   * the version the write was decided on; with `expect`, only if it is also still on the board and
   * never fenced, and the statement aborts the transaction unless every row was (`concord_expect`,
   * SQLSTATE CC002), as `startUpdateCard` does for one.
   */
  private startUpdateCards(q: Q, boardId: string, ops: Extract<CardWrite, { kind: "update" }>[], expect: boolean): Promise<unknown> {
    if (!expect) return updateCards(q, ops).execute();
    return q`
      WITH u AS (${updateCards(q, ops, { still: boardId })} RETURNING 1)
      SELECT concord_expect(count(*) = ${ops.length}, 'the cards') FROM u`.execute();
  }
}
