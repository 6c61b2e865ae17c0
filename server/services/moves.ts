import { randomUUID } from "node:crypto";
import { and, eq, inArray, notInArray, sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import type { Sql, TransactionSql } from "postgres";
import { ConcordError, type Card, type Change, type TxPhase, type User } from "../../lib/protocol";
import { cardIds, txLog } from "../db/catalog-schema";
import { appliedMutations, boardHeads, cards } from "../db/shard-schema";
import { appendChange } from "./change-log";
import type { Databases, ShardDb } from "../db/databases";
import * as shardSchema from "../db/shard-schema";
import type { BoardMeta } from "./boards";
import { rowToCard, type CardRow } from "./card-row";
import type { CardDirectory } from "./directory";
import type { LeaseReader } from "./locks";

export interface MoveRequest {
  mutationId: string;
  cardId: string;
  baseVersion: number;
  lockToken?: number;
}

export interface MoveResult {
  card: Card;
  seq?: number;
  fromSeq?: number;
  txId?: string;
}

export interface MoveOutcome {
  /** `seq`: the upsert on the target board; `fromSeq`: the delete on the source board. */
  result: MoveResult;
  changes: Change[];
}

/** The steps of a cross-shard move at which a crash can be injected (tests only). */
export type TxStep = "logged" | "source-prepared" | "target-prepared" | "decided" | "source-committed";

/**
 * A simulated process death: thrown by an injected fault, it skips every cleanup the running
 * code would do, exactly like a crash, and leaves the rest to recovery.
 */
export class SimulatedCrash extends Error {
  constructor(readonly step: TxStep) {
    super(`simulated crash after ${step}`);
  }
}

type TxEvents = (txId: string, phase: TxPhase, shards: string[], boards: string[]) => void;
type AppliedRow = typeof appliedMutations.$inferSelect;

/**
 * Prepared transaction ids (SPEC TX-9): `concord:<txId>:<shard>`. Shard names are
 * `[a-z0-9_]{1,32}` and transaction ids `tx_<uuid>`, so neither contains `:` and a gid parses
 * one way only. The format before TX-9 (`concord_<txId>_<shard>`) still parses, because a uuid
 * has no `_`.
 */
export const gidOf = (txId: string, shard: string) => `concord:${txId}:${shard}`;
export function parseGid(gid: string): { txId: string; shard: string } | null {
  const m = /^concord[:_](tx_[0-9a-f-]{36})[:_]([a-z0-9_]{1,32})$/.exec(gid);
  return m ? { txId: m[1]!, shard: m[2]! } : null;
}

/** How long one part of a move waits for a lock before the attempt is abandoned (TX-5). */
const LOCK_TIMEOUT = "5s";
const ATTEMPTS = 3;

/** An attempt that must be retried from scratch: the card changed under it, or a lock wait ran out. */
class RetryMove extends Error {}

/**
 * A drizzle handle on a postgres.js transaction. postgres.js transaction handles lack the
 * `options` drizzle reads its type parsers from; they are the parent client's.
 */
function txDb(parent: Sql, t: TransactionSql): ShardDb {
  return drizzle(Object.assign(t, { options: parent.options }) as unknown as Sql, { schema: shardSchema });
}

const isLockTimeout = (err: unknown) => (err as { code?: string }).code === "55P03" || (err as { code?: string }).code === "40P01";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Moving a card between boards (SPEC TX-*). On one shard it is one local transaction. Across
 * shards it is two-phase commit: the coordinator log in the catalog records `preparing`, the
 * two parts PREPARE TRANSACTION in shard-name order (TX-5: one global lock order, so opposite
 * moves cannot deadlock), and the decision is one conditional write to the log (TX-6) that also
 * points the card's directory row at the target board (ID-1); then both COMMIT PREPARED.
 * A transaction is decided once: whoever writes `committed` or `aborted` first wins, and
 * recovery decides through the same conditional write.
 */
export class MoveService {
  /** Fault injection for tests: called after each step of a cross-shard move; may throw SimulatedCrash or stall. */
  faults: ((step: TxStep) => void | Promise<void>) | null = null;

  constructor(
    private readonly dbs: Databases,
    private readonly leases: LeaseReader,
    private readonly directory: CardDirectory,
    private readonly onTx: TxEvents,
  ) {}

  async move(user: User, from: BoardMeta, to: BoardMeta, req: MoveRequest): Promise<MoveOutcome> {
    try {
      if (from.id === to.id) throw new ConcordError("BAD_REQUEST", "the card is already on that board");
      if (from.shard === to.shard) return await this.localMove(user, from, to, req);
      if (!this.dbs.twoPhaseCommit) {
        throw new ConcordError("TWO_PHASE_UNAVAILABLE", "cross-shard moves need max_prepared_transactions > 0 on every shard");
      }
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.twoPhase(user, from, to, req);
        } catch (err) {
          if (!(err instanceof RetryMove) || attempt === ATTEMPTS) {
            if (err instanceof RetryMove) throw new ConcordError("TX_ABORTED", "the move was rolled back; nothing changed");
            throw err;
          }
          await pause(20 + Math.random() * 80 * attempt);
        }
      }
    } catch (err) {
      // TX-8: the same move may have been applied by a twin request that held the boards
      // meanwhile. Once neither board is held any more, its stored result is the answer.
      if (err instanceof SimulatedCrash || !(err instanceof ConcordError) || err.code === "TWO_PHASE_UNAVAILABLE") throw err;
      const stored = await this.settledResult(user, [from, to], req.mutationId);
      if (stored) return { result: stored, changes: [] };
      throw err;
    }
  }

  /** The connection for COMMIT / ROLLBACK PREPARED (never queued behind lock waiters). */
  private control(name: string): Sql {
    return this.dbs.shards.get(name)!.control;
  }

  private shardSql(name: string): Sql {
    const s = this.dbs.shards.get(name);
    if (!s) throw new ConcordError("UNAVAILABLE", `shard ${name} is not configured`);
    return s.sql;
  }

  /** TX-1, TX-7: one local transaction; both heads are locked first, in board id order. */
  private async localMove(user: User, from: BoardMeta, to: BoardMeta, req: MoveRequest): Promise<MoveOutcome> {
    const src = this.shardSql(from.shard);
    const out = (await src.begin(async (t) => {
      const db = txDb(src, t);
      await t`SELECT board_id FROM board_heads WHERE board_id IN ${t([from.id, to.id])} ORDER BY board_id FOR UPDATE`;
      const [prior] = await db.select().from(appliedMutations).where(eq(appliedMutations.mutationId, req.mutationId));
      if (prior) {
        if (prior.userId !== user.id) throw new ConcordError("BAD_REQUEST", "this mutationId was used by someone else");
        return { result: prior.result as MoveResult, changes: [] };
      }
      const [row] = await db.select().from(cards).where(eq(cards.id, req.cardId)).for("update");
      if (!row || row.boardId !== from.id) throw new ConcordError("NOT_FOUND", "no such card");
      const taken = await this.takeOut(db, user, from, row, req);
      const put = await this.putIn(db, user, to, row, req, [], { fromSeq: taken.seq });
      await this.remember(db, user, row.id, req.mutationId, put.result);
      return { result: put.result, changes: [taken, put.change] };
    })) as MoveOutcome;
    if (out.changes.length > 0) await this.point(req.cardId, to.id);
    return out;
  }

  /** Points the card's directory row at its new board (after a local move commits). */
  private async point(cardId: string, boardId: string): Promise<void> {
    await this.dbs.catalog.insert(cardIds).values({ cardId, boardId }).onConflictDoUpdate({ target: cardIds.cardId, set: { boardId } });
    this.directory.remember(cardId, boardId);
  }

  private async twoPhase(user: User, from: BoardMeta, to: BoardMeta, req: MoveRequest): Promise<MoveOutcome> {
    const txId = `tx_${randomUUID()}`;
    const shards = [from.shard, to.shard];
    const boards = [from.id, to.id];
    // The card as it is now, and the mutations applied to it, read without locks: the source
    // part checks under its locks that nothing changed since (else the attempt is retried).
    const source = this.dbs.shards.get(from.shard)!.db;
    const [seen] = await source.select().from(cards).where(eq(cards.id, req.cardId));
    if (!seen || seen.boardId !== from.id) throw new ConcordError("NOT_FOUND", "no such card");
    this.checkVersion(from, seen, req);
    const history = await source.select().from(appliedMutations).where(eq(appliedMutations.cardId, req.cardId));

    await this.dbs.catalog.insert(txLog).values({ txId, state: "preparing", shards, payload: { user, from: from.id, to: to.id, req } });
    this.onTx(txId, "preparing", shards, boards);
    await this.faults?.("logged");

    // Each part runs in its own shard transaction and ends prepared, holding its locks. The
    // part on the lower shard name always goes first (TX-5), whichever side it is.
    let taken: Change | undefined;
    let put: { result: MoveResult; change: Change } | undefined;
    const sourcePart = async (db: ShardDb, t: TransactionSql) => {
      await db.select().from(boardHeads).where(eq(boardHeads.boardId, from.id)).for("update");
      const [row] = await db.select().from(cards).where(eq(cards.id, req.cardId)).for("update");
      const [{ n }] = (await t`SELECT count(*)::int AS n FROM applied_mutations WHERE card_id = ${req.cardId}`) as unknown as [{ n: number }];
      if (!row || row.boardId !== from.id || row.version !== seen.version || n !== history.length) throw new RetryMove();
      taken = await this.takeOut(db, user, from, row, req);
      if (put) await this.remember(db, user, row.id, req.mutationId, { ...put.result, fromSeq: taken.seq });
    };
    const targetPart = async (db: ShardDb) => {
      put = await this.putIn(db, user, to, seen, req, history, { txId, ...(taken ? { fromSeq: taken.seq } : {}) });
      if (taken) await this.remember(db, user, seen.id, req.mutationId, put.result);
    };
    const parts = [
      { shard: from.shard, step: "source-prepared" as const, run: sourcePart },
      { shard: to.shard, step: "target-prepared" as const, run: targetPart },
    ].sort((x, y) => (x.shard < y.shard ? -1 : 1));

    const prepared: string[] = [];
    try {
      for (const part of parts) {
        const sql = this.shardSql(part.shard);
        await sql.begin(async (t) => {
          await t.unsafe(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
          await part.run(txDb(sql, t), t);
          await t.prepare(gidOf(txId, part.shard));
        });
        prepared.push(part.shard);
        await this.faults?.(part.step);
      }
      if ((await this.decide(txId, "prepared")) !== "prepared") throw new ConcordError("TX_ABORTED", "recovery aborted this move; nothing changed", { txId });
      this.onTx(txId, "prepared", shards, boards);
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err; // a dead process cleans nothing up
      for (const shard of prepared) await this.control(shard).unsafe(`ROLLBACK PREPARED '${gidOf(txId, shard)}'`).catch(() => {});
      await this.decide(txId, "aborted").catch(() => {});
      this.onTx(txId, "aborted", shards, boards);
      if (err instanceof RetryMove || isLockTimeout(err)) throw new RetryMove();
      if (err instanceof ConcordError) throw err;
      throw new ConcordError("TX_ABORTED", "the move was rolled back; nothing changed", { txId });
    }
    // The decision (TX-6): one conditional write. From here on recovery finishes the commit.
    if ((await this.decide(txId, "committed", { cardId: req.cardId, boardId: to.id })) !== "committed") {
      for (const shard of prepared) await this.control(shard).unsafe(`ROLLBACK PREPARED '${gidOf(txId, shard)}'`).catch(() => {});
      this.onTx(txId, "aborted", shards, boards);
      throw new ConcordError("TX_ABORTED", "recovery aborted this move; nothing changed", { txId });
    }
    this.directory.remember(req.cardId, to.id);
    await this.faults?.("decided");
    for (const [i, shard] of shards.entries()) {
      await this.control(shard).unsafe(`COMMIT PREPARED '${gidOf(txId, shard)}'`);
      if (i === 0) await this.faults?.("source-committed");
    }
    this.onTx(txId, "committed", shards, boards);
    return { result: { ...put!.result, fromSeq: taken!.seq }, changes: [taken!, put!.change] };
  }

  /**
   * Moves the log entry to `state` unless it is already decided (SPEC TX-6) and answers the
   * state it ends in. `committed` also points the card's directory row at the target board, in
   * the same catalog transaction: readers find the card where the decision put it.
   */
  private async decide(txId: string, state: "prepared" | "committed" | "aborted", card?: { cardId: string; boardId: string }): Promise<TxPhase | null> {
    const from: TxPhase[] = state === "committed" ? ["prepared"] : state === "prepared" ? ["preparing"] : ["preparing", "prepared"];
    return this.dbs.catalog.transaction(async (tx) => {
      const [won] = await tx
        .update(txLog)
        .set({ state, updatedAt: new Date() })
        .where(and(eq(txLog.txId, txId), inArray(txLog.state, from)))
        .returning({ state: txLog.state });
      if (won && card) {
        await tx.insert(cardIds).values(card).onConflictDoUpdate({ target: cardIds.cardId, set: { boardId: card.boardId } });
      }
      if (won) return won.state;
      const [now] = await tx.select({ state: txLog.state }).from(txLog).where(eq(txLog.txId, txId));
      return now?.state ?? null;
    });
  }

  private checkVersion(from: BoardMeta, row: CardRow, req: MoveRequest): void {
    if (from.policy === "occ" && row.version > req.baseVersion) {
      throw new ConcordError("CONFLICT", "the card changed since your version", { current: rowToCard(row, "occ"), fields: [] });
    }
  }

  /** Source side: checks and removes the (locked) card, logging a delete on the source board. */
  private async takeOut(db: ShardDb, user: User, from: BoardMeta, row: CardRow, req: MoveRequest): Promise<Change> {
    if (req.lockToken !== undefined && req.lockToken < row.fence) {
      throw new ConcordError("STALE_LOCK", "your lock token is older than the newest grant", { fence: row.fence });
    }
    if (row.fence > 0) {
      const lock = await this.leases.live(row.id);
      if (lock && lock.holder.id !== user.id) throw new ConcordError("LOCKED", `locked by ${lock.holder.name}`, { lock });
    }
    this.checkVersion(from, row, req);
    await db.delete(cards).where(eq(cards.id, row.id));
    return appendChange(db, from.id, { type: "card.delete", cardId: row.id, mutationId: req.mutationId, by: user.id });
  }

  /**
   * Target side: inserts the card on the target board and brings along the mutations applied to
   * it (IDEM-2: a replay finds its first result wherever the card has gone since).
   */
  private async putIn(
    db: ShardDb, user: User, to: BoardMeta, row: CardRow, req: MoveRequest, history: AppliedRow[], extra: { fromSeq?: number; txId?: string },
  ) {
    await db.select().from(boardHeads).where(eq(boardHeads.boardId, to.id)).for("update");
    const [inserted] = await db
      .insert(cards)
      .values({ ...row, boardId: to.id, version: row.version + 1, updatedAt: new Date(), updatedBy: user.id })
      .returning();
    const card = rowToCard(inserted!, to.policy);
    const change = await appendChange(db, to.id, { type: "card.upsert", card, cardId: row.id, mutationId: req.mutationId, by: user.id });
    if (history.length > 0) await db.insert(appliedMutations).values(history).onConflictDoNothing();
    const result: MoveResult = { card, seq: change.seq, ...extra };
    return { result, change };
  }

  /** Stores the move's result under its mutationId (by the part that runs last, which knows all of it). */
  private async remember(db: ShardDb, user: User, cardId: string, mutationId: string, result: MoveResult): Promise<void> {
    await db.insert(appliedMutations).values({ mutationId, userId: user.id, cardId, result });
  }

  /**
   * TX-8: waits until no transaction holds either board's head (a twin request's prepared
   * parts are committed or rolled back by then), then looks the mutation up on every shard.
   */
  private async settledResult(user: User, boards: BoardMeta[], mutationId: string): Promise<MoveResult | null> {
    const byShard = [...boards].sort((x, y) => (x.shard < y.shard ? -1 : x.shard > y.shard ? 1 : x.id < y.id ? -1 : 1));
    for (const b of byShard) {
      await this.shardSql(b.shard)
        .begin(async (t) => {
          await t.unsafe(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
          await t`SELECT 1 FROM board_heads WHERE board_id = ${b.id} FOR SHARE`;
        })
        .catch(() => {});
    }
    const stored = await this.directory.appliedAnywhere(mutationId, user);
    return stored !== "foreign" && stored?.card ? (stored as MoveResult) : null;
  }

  /**
   * Recovery (SPEC TX-4): finishes every prepared part of ours: COMMIT PREPARED where the log
   * says committed, ROLLBACK PREPARED where it says aborted. A transaction still undecided after
   * `graceMs` is decided `aborted` through the same conditional write the coordinator uses
   * (TX-6), so a slow coordinator can no longer commit it; a part the log never heard of is
   * presumed aborted. Decided entries whose parts are all finished are deleted once older than
   * `keepMs`, so the log stays small.
   */
  async recover(graceMs = 10_000, keepMs = 3_600_000): Promise<{ committed: number; aborted: number; forgotten: number }> {
    let committed = 0;
    let aborted = 0;
    const parts: { shard: string; gid: string; txId: string | null; old: boolean }[] = [];
    for (const shard of this.dbs.shards.values()) {
      const rows = await shard.raw<{ gid: string; old: boolean }[]>`
        SELECT gid, prepared <= now() - make_interval(secs => ${graceMs / 1000}) AS old
        FROM pg_prepared_xacts WHERE gid LIKE 'concord%' AND database = current_database()`;
      for (const r of rows) parts.push({ shard: shard.name, gid: r.gid, txId: parseGid(r.gid)?.txId ?? null, old: r.old });
    }
    const ids = [...new Set(parts.flatMap((p) => (p.txId ? [p.txId] : [])))];
    const entries = ids.length === 0 ? [] : await this.dbs.catalog
      .select({ txId: txLog.txId, state: txLog.state, old: dsql<boolean>`${txLog.updatedAt} <= now() - make_interval(secs => ${graceMs / 1000})` })
      .from(txLog)
      .where(inArray(txLog.txId, ids));
    const states = new Map<string, TxPhase | null>(entries.map((e) => [e.txId, e.state]));
    for (const e of entries) {
      if ((e.state === "preparing" || e.state === "prepared") && e.old) states.set(e.txId, await this.decide(e.txId, "aborted"));
    }
    for (const p of parts) {
      const state = p.txId ? states.get(p.txId) : undefined;
      const sql = this.control(p.shard);
      if (state === "committed") {
        await sql.unsafe(`COMMIT PREPARED '${p.gid}'`);
        committed++;
      } else if (state === "aborted" || (state === undefined && p.old)) {
        await sql.unsafe(`ROLLBACK PREPARED '${p.gid}'`);
        aborted++;
      }
    }
    // Undecided entries that never prepared anything (the coordinator died early).
    await this.dbs.catalog
      .update(txLog)
      .set({ state: "aborted", updatedAt: new Date() })
      .where(and(inArray(txLog.state, ["preparing", "prepared"]), dsql`${txLog.updatedAt} <= now() - make_interval(secs => ${graceMs / 1000})`));
    const forgotten = await this.dbs.catalog
      .delete(txLog)
      .where(
        and(
          inArray(txLog.state, ["committed", "aborted"]),
          dsql`${txLog.updatedAt} <= now() - make_interval(secs => ${keepMs / 1000})`,
          ids.length > 0 ? notInArray(txLog.txId, ids) : undefined,
        ),
      )
      .returning({ txId: txLog.txId });
    return { committed, aborted, forgotten: forgotten.length };
  }
}
