import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import type { Sql, TransactionSql } from "postgres";
import { ConcordError, type Card, type Change, type TxPhase, type User } from "../../lib/protocol";
import { txLog } from "../db/catalog-schema";
import { appliedMutations, boardHeads, cards } from "../db/shard-schema";
import { appendChange } from "./change-log";
import type { Databases, ShardDb } from "../db/databases";
import * as shardSchema from "../db/shard-schema";
import type { BoardMeta } from "./boards";
import { rowToCard, type CardRow } from "./card-row";
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

const GID_PREFIX = "concord_";

/**
 * A drizzle handle on a postgres.js transaction. postgres.js transaction handles lack the
 * `options` drizzle reads its type parsers from; they are the parent client's.
 */
function txDb(parent: Sql, t: TransactionSql): ShardDb {
  return drizzle(Object.assign(t, { options: parent.options }) as unknown as Sql, { schema: shardSchema });
}

/**
 * Moving a card between boards (SPEC TX-*). On one shard it is one local transaction. Across
 * shards it is two-phase commit: the coordinator log in the catalog records `preparing`, both
 * shards PREPARE TRANSACTION, the log records `committed` (the decision), then both COMMIT
 * PREPARED. Any failure before the decision rolls both back. A recovery pass finishes whatever a
 * crash left in doubt, following the log (no `committed` entry means abort).
 */
export class MoveService {
  /** Fault injection for tests: called after each step of a cross-shard move; may throw SimulatedCrash. */
  faults: ((step: TxStep) => void) | null = null;

  constructor(
    private readonly dbs: Databases,
    private readonly leases: LeaseReader,
    private readonly onTx: TxEvents,
  ) {}

  async move(user: User, from: BoardMeta, to: BoardMeta, req: MoveRequest): Promise<MoveOutcome> {
    if (from.id === to.id) throw new ConcordError("BAD_REQUEST", "the card is already on that board");
    const src = this.shardSql(from.shard);
    if (from.shard === to.shard) {
      return src.begin(async (t) => {
        const db = txDb(src, t);
        const out = await this.takeOut(db, user, from, req);
        if ("replay" in out) return { result: out.replay!, changes: [] };
        const put = await this.putIn(db, user, to, out.row, req, { fromSeq: out.change.seq });
        return { result: put.result, changes: [out.change, put.change] };
      }) as Promise<MoveOutcome>;
    }
    if (!this.dbs.twoPhaseCommit) {
      throw new ConcordError("TWO_PHASE_UNAVAILABLE", "cross-shard moves need max_prepared_transactions > 0 on every shard");
    }
    return this.twoPhase(user, from, to, req);
  }

  private shardSql(name: string): Sql {
    const s = this.dbs.shards.get(name);
    if (!s) throw new ConcordError("UNAVAILABLE", `shard ${name} is not configured`);
    return s.sql;
  }

  private async twoPhase(user: User, from: BoardMeta, to: BoardMeta, req: MoveRequest): Promise<MoveOutcome> {
    const txId = `tx_${randomUUID()}`;
    const shards = [from.shard, to.shard];
    const boards = [from.id, to.id];
    const gid = (shard: string) => `${GID_PREFIX}${txId}_${shard}`;
    await this.dbs.catalog.insert(txLog).values({ txId, state: "preparing", shards, payload: { user, from: from.id, to: to.id, req } });
    this.onTx(txId, "preparing", shards, boards);
    this.faults?.("logged");
    let taken: Awaited<ReturnType<MoveService["takeOut"]>> | undefined;
    let put: { result: MoveResult; change: Change } | undefined;
    const prepared: string[] = [];
    try {
      await this.shardSql(from.shard).begin(async (t) => {
        taken = await this.takeOut(txDb(this.shardSql(from.shard), t), user, from, req);
        if ("replay" in taken) return; // nothing to prepare; commit the empty transaction
        await t.prepare(gid(from.shard));
      });
      if (taken && "replay" in taken) {
        await this.setState(txId, "aborted");
        return { result: taken.replay!, changes: [] };
      }
      prepared.push(from.shard);
      this.faults?.("source-prepared");
      const { row, change: taken0 } = taken as { row: CardRow; change: Change };
      await this.shardSql(to.shard).begin(async (t) => {
        put = await this.putIn(txDb(this.shardSql(to.shard), t), user, to, row, req, { fromSeq: taken0.seq, txId });
        await t.prepare(gid(to.shard));
      });
      prepared.push(to.shard);
      this.faults?.("target-prepared");
      await this.setState(txId, "prepared");
      this.onTx(txId, "prepared", shards, boards);
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err; // a dead process cleans nothing up
      for (const shard of prepared) await this.shardSql(shard).unsafe(`ROLLBACK PREPARED '${gid(shard)}'`).catch(() => {});
      await this.setState(txId, "aborted").catch(() => {});
      this.onTx(txId, "aborted", shards, boards);
      if (err instanceof ConcordError) throw err;
      throw new ConcordError("TX_ABORTED", "the move was rolled back; nothing changed", { txId });
    }
    // The decision: once the log says committed, recovery will finish the commit whatever happens.
    await this.setState(txId, "committed");
    this.faults?.("decided");
    for (const [i, shard] of shards.entries()) {
      await this.shardSql(shard).unsafe(`COMMIT PREPARED '${gid(shard)}'`);
      if (i === 0) this.faults?.("source-committed");
    }
    this.onTx(txId, "committed", shards, boards);
    return { result: put!.result, changes: [(taken as { change: Change }).change, put!.change] };
  }

  private async setState(txId: string, state: TxPhase): Promise<void> {
    await this.dbs.catalog.update(txLog).set({ state, updatedAt: new Date() }).where(eq(txLog.txId, txId));
  }

  /** Source side: checks and removes the card, logging a delete on the source board. */
  private async takeOut(db: ShardDb, user: User, from: BoardMeta, req: MoveRequest) {
    await db.select().from(boardHeads).where(eq(boardHeads.boardId, from.id)).for("update");
    const [prior] = await db.select().from(appliedMutations).where(eq(appliedMutations.mutationId, req.mutationId));
    if (prior) {
      if (prior.userId !== user.id) throw new ConcordError("BAD_REQUEST", "this mutationId was used by someone else");
      return { replay: prior.result as MoveResult };
    }
    const [row] = await db.select().from(cards).where(eq(cards.id, req.cardId)).for("update");
    if (!row || row.boardId !== from.id) throw new ConcordError("NOT_FOUND", "no such card");
    if (req.lockToken !== undefined && req.lockToken < row.fence) {
      throw new ConcordError("STALE_LOCK", "your lock token is older than the newest grant", { fence: row.fence });
    }
    if (row.fence > 0) {
      const lock = await this.leases.live(row.id);
      if (lock && lock.holder.id !== user.id) throw new ConcordError("LOCKED", `locked by ${lock.holder.name}`, { lock });
    }
    if (from.policy === "occ" && row.version > req.baseVersion) {
      throw new ConcordError("CONFLICT", "the card changed since your version", { current: rowToCard(row, "occ"), fields: [] });
    }
    await db.delete(cards).where(eq(cards.id, row.id));
    const change = await appendChange(db, from.id, { type: "card.delete", cardId: row.id, mutationId: req.mutationId, by: user.id });
    return { row, change };
  }

  /** Target side: inserts the card on the target board and remembers the mutation. */
  private async putIn(db: ShardDb, user: User, to: BoardMeta, row: CardRow, req: MoveRequest, extra: { fromSeq: number; txId?: string }) {
    await db.select().from(boardHeads).where(eq(boardHeads.boardId, to.id)).for("update");
    const [inserted] = await db
      .insert(cards)
      .values({ ...row, boardId: to.id, version: row.version + 1, updatedAt: new Date(), updatedBy: user.id })
      .returning();
    const card = rowToCard(inserted!, to.policy);
    const change = await appendChange(db, to.id, { type: "card.upsert", card, cardId: row.id, mutationId: req.mutationId, by: user.id });
    const result: MoveResult = { card, seq: change.seq, ...extra };
    await db.insert(appliedMutations).values({ mutationId: req.mutationId, userId: user.id, cardId: row.id, result });
    return { result, change };
  }

  /**
   * Recovery (SPEC TX-4): finishes every distributed transaction older than `graceMs` that is
   * not settled: COMMIT PREPARED where the log says committed, ROLLBACK PREPARED otherwise, and
   * rolls back prepared transactions of ours that the log does not know at all.
   */
  async recover(graceMs = 10_000): Promise<{ committed: number; aborted: number }> {
    let committed = 0;
    let aborted = 0;
    const cutoff = new Date(Date.now() - graceMs);
    const open = await this.dbs.catalog.select().from(txLog).where(inArray(txLog.state, ["preparing", "prepared", "committed"]));
    const byId = new Map(open.map((t) => [t.txId, t]));
    for (const shard of this.dbs.shards.values()) {
      // (drizzle makes this client return timestamps as strings, hence new Date below)
      const rows = await shard.sql<{ gid: string; prepared: string | Date }[]>`
        SELECT gid, prepared FROM pg_prepared_xacts WHERE gid LIKE ${GID_PREFIX + "%"} AND database = current_database()`;
      for (const { gid, prepared } of rows) {
        const txId = gid.slice(GID_PREFIX.length, gid.lastIndexOf("_"));
        const entry = byId.get(txId);
        if (entry?.state === "committed") {
          await shard.sql.unsafe(`COMMIT PREPARED '${gid}'`);
          committed++;
        } else if (new Date(prepared) <= cutoff && (!entry || entry.updatedAt <= cutoff)) {
          await shard.sql.unsafe(`ROLLBACK PREPARED '${gid}'`);
          aborted++;
        }
      }
    }
    for (const t of open) {
      if (t.state !== "committed" && t.updatedAt <= cutoff) await this.setState(t.txId, "aborted");
    }
    return { committed, aborted };
  }
}
