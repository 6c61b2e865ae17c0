import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import {
  ConcordError,
  DEFAULT_FIELDS,
  FIELD_NAMES,
  type Card,
  type Change,
  type FieldName,
  type Fields,
  type Patch,
  type User,
  type WireVectorClock,
} from "../../lib/protocol";
import { occConflicts } from "../../lib/sync/occ";
import { applyLww } from "../../lib/sync/lww";
import { HybridClock, isTooFarInFuture } from "../../lib/sync/hlc";
import { applyMvrWrite, resolvedValue, writeClock } from "../../lib/sync/mvr";
import { merge as mergeClocks, normalize } from "../../lib/sync/vector-clock";
import { appliedMutations, boardHeads, cards, type MvrRegisters } from "../db/shard-schema";
import { appendChange } from "./change-log";
import type { ShardDb } from "../db/databases";
import type { BoardMeta } from "./boards";
import { rowFields, rowToCard, type CardRow } from "./card-row";
import { Lanes } from "./lane";
import type { LeaseReader } from "./locks";

/** Pointwise minimum: a client cannot claim to have seen more than the card holds. */
function clampClock(context: WireVectorClock, seen: WireVectorClock): WireVectorClock {
  const out: WireVectorClock = {};
  for (const [r, n] of Object.entries(context)) {
    const m = Math.min(n, Object.hasOwn(seen, r) ? seen[r]! : 0);
    if (m > 0) Object.defineProperty(out, r, { value: m, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A write, already parsed and authorized for its board. */
export type Mutation =
  | { kind: "create"; user: User; replicaId: string; mutationId: string; board: BoardMeta; cardId?: string; fields: Patch; hlc?: string }
  | {
      kind: "update"; user: User; replicaId: string; mutationId: string; board: BoardMeta; cardId: string; baseVersion: number;
      patch: Patch; lockToken?: number; hlc?: string; context?: WireVectorClock;
    }
  | { kind: "delete"; user: User; mutationId: string; board: BoardMeta; cardId: string; baseVersion: number; lockToken?: number };

export interface WriteResult {
  card?: Card;
  seq: number;
  ignored?: string[];
}

/** Services answer with a tagged union: a conflict is a result, not an exception (STYLE 7). */
export type Outcome =
  | { kind: "applied"; result: WriteResult; change?: Change }
  | { kind: "replayed"; result: WriteResult }
  | { kind: "conflict"; current: Card; fields: FieldName[] }
  | { kind: "rejected"; error: ConcordError };

type Tx = Parameters<Parameters<ShardDb["transaction"]>[0]>[0];

/**
 * Records: card writes under each board's policy. Every check that decides whether a write
 * applies (idempotency, fencing, leases, versions, clocks) runs inside the shard transaction,
 * after the board's head row is locked, so it holds across every node (SPEC OCC-1, IDEM-1).
 */
export class RecordService {
  private readonly lanes: Lanes<Mutation, Outcome>;

  constructor(
    private readonly shardOf: (board: BoardMeta) => ShardDb,
    private readonly leases: LeaseReader,
    private readonly clock: HybridClock,
  ) {
    this.lanes = new Lanes((_key, batch) => this.runBatch(batch));
  }

  /** Queues a write on its board's lane; resolves once its batch has committed. */
  write(m: Mutation): Promise<Outcome> {
    if (m.kind === "create" || m.kind === "update") {
      const hlc = m.hlc;
      if (hlc !== undefined && isTooFarInFuture(hlc, Date.now())) {
        return Promise.resolve({
          kind: "rejected",
          error: new ConcordError("BAD_REQUEST", "hlc is too far in the future (more than 60 s ahead of the server)"),
        });
      }
    }
    return this.lanes.push(m.board.id, m);
  }

  /**
   * Group commit (SPEC PERF-1): one transaction for a batch of writes to one board, each still
   * checked and answered on its own. If the batch fails as a whole (a database error), each
   * write is retried alone so one bad write cannot fail its neighbours.
   */
  private async runBatch(batch: Mutation[]): Promise<PromiseSettledResult<Outcome>[]> {
    const board = batch[0]!.board;
    const db = this.shardOf(board);
    try {
      const outcomes = await db.transaction(async (tx) => {
        await tx.select({ seq: boardHeads.seq }).from(boardHeads).where(eq(boardHeads.boardId, board.id)).for("update");
        const out: Outcome[] = [];
        for (const m of batch) out.push(await this.applyOne(tx, m));
        return out;
      });
      return outcomes.map((value) => ({ status: "fulfilled", value }));
    } catch (err) {
      if (batch.length === 1) return [{ status: "rejected", reason: err }];
      const settled: PromiseSettledResult<Outcome>[] = [];
      for (const m of batch) settled.push(...(await this.runBatch([m])));
      return settled;
    }
  }

  private async applyOne(tx: Tx, m: Mutation): Promise<Outcome> {
    const [prior] = await tx.select().from(appliedMutations).where(eq(appliedMutations.mutationId, m.mutationId));
    if (prior) {
      if (prior.userId !== m.user.id) {
        return { kind: "rejected", error: new ConcordError("BAD_REQUEST", "this mutationId was used by someone else") };
      }
      return { kind: "replayed", result: prior.result as WriteResult };
    }
    if (m.kind === "create") return this.create(tx, m);
    const [row] = await tx.select().from(cards).where(eq(cards.id, m.cardId)).for("update");
    if (!row || row.boardId !== m.board.id) return { kind: "rejected", error: new ConcordError("NOT_FOUND", "no such card") };
    const fenced = await this.checkLease(row, m.user, m.lockToken);
    if (fenced) return fenced;
    return m.kind === "update" ? this.update(tx, m, row) : this.delete(tx, m, row);
  }

  /** SPEC LOCK-3/LOCK-4: a stale fencing token is refused; another user's live lease blocks. */
  private async checkLease(row: CardRow, user: User, lockToken: number | undefined): Promise<Outcome | null> {
    if (lockToken !== undefined && lockToken < row.fence) {
      return { kind: "rejected", error: new ConcordError("STALE_LOCK", "your lock token is older than the newest grant", { fence: row.fence }) };
    }
    // A grant raises the fence before it is returned, so a card whose fence is 0 has no lease.
    if (row.fence === 0) return null;
    const lock = await this.leases.live(row.id);
    if (lock && lock.holder.id !== user.id) {
      return { kind: "rejected", error: new ConcordError("LOCKED", `locked by ${lock.holder.name}`, { lock }) };
    }
    return null;
  }

  private async create(tx: Tx, m: Extract<Mutation, { kind: "create" }>): Promise<Outcome> {
    const id = m.cardId ?? `c_${randomUUID()}`;
    const [exists] = await tx.select({ id: cards.id }).from(cards).where(eq(cards.id, id));
    if (exists) return { kind: "rejected", error: new ConcordError("BAD_REQUEST", "a card with this id exists") };
    const fields: Fields = { ...DEFAULT_FIELDS, ...m.fields };
    const fieldVersions = Object.fromEntries(FIELD_NAMES.map((f) => [f, 1])) as Record<FieldName, number>;
    let hlc: CardRow["hlc"] = null;
    let registers: MvrRegisters | null = null;
    let clock: WireVectorClock | null = null;
    if (m.board.policy === "lww") {
      if (m.hlc) this.clock.receive(m.hlc);
      const stamp = m.hlc ?? this.clock.now();
      hlc = Object.fromEntries(FIELD_NAMES.map((f) => [f, stamp]));
    } else if (m.board.policy === "mvr") {
      clock = writeClock({}, {}, m.replicaId);
      registers = Object.fromEntries(FIELD_NAMES.map((f) => [f, [{ value: fields[f], by: m.user.id, clock }]]));
    }
    const [row] = await tx
      .insert(cards)
      .values({
        id, boardId: m.board.id, ...fields, version: 1, fieldVersions, hlc, registers, clock,
        updatedAt: new Date(), updatedBy: m.user.id,
      })
      .returning();
    return this.commit(tx, m, row!, "card.upsert");
  }

  private async update(tx: Tx, m: Extract<Mutation, { kind: "update" }>, row: CardRow): Promise<Outcome> {
    const policy = m.board.policy;
    if (m.baseVersion > row.version) {
      return { kind: "rejected", error: new ConcordError("BAD_REQUEST", "baseVersion is newer than the card") };
    }
    let next: Partial<CardRow> & { fields: Patch };
    let ignored: string[] | undefined;
    if (policy === "occ") {
      const conflicting = occConflicts(row.fieldVersions, m.baseVersion, m.patch);
      if (conflicting.length > 0) return { kind: "conflict", current: rowToCard(row, policy), fields: conflicting };
      next = { fields: m.patch };
    } else if (policy === "lww") {
      const stamp = m.hlc ?? this.clock.now();
      if (m.hlc) this.clock.receive(m.hlc);
      const r = applyLww({ fields: rowFields(row), hlc: row.hlc ?? {} }, m.patch, stamp);
      ignored = r.ignored;
      const applied = Object.fromEntries(r.applied.map((f) => [f, r.fields[f as FieldName]])) as Patch;
      next = { fields: applied, hlc: r.hlc };
    } else {
      // A context can only claim what the card has seen (clamped), and the write gets a fresh
      // dot of the writing replica (one per tab), so concurrent writes never dominate each other.
      const context = clampClock(m.context ?? {}, row.clock ?? {});
      const wc = writeClock(row.clock ?? {}, context, m.replicaId);
      const registers: MvrRegisters = { ...(row.registers ?? {}) };
      const fields: Patch = {};
      for (const f of Object.keys(m.patch) as FieldName[]) {
        registers[f] = applyMvrWrite(registers[f] ?? [], { value: m.patch[f], by: m.user.id, clock: wc });
        Object.assign(fields, { [f]: resolvedValue(registers[f]!) });
      }
      next = { fields, registers, clock: normalize(mergeClocks(row.clock ?? {}, wc)) };
    }
    const touched = Object.keys(next.fields) as FieldName[];
    if (touched.length === 0) {
      // lww: every field was older than what is stored; nothing changes, nothing is logged.
      const result: WriteResult = { card: rowToCard(row, policy), seq: await this.head(tx, m.board.id), ignored };
      await this.remember(tx, m, row.id, result);
      return { kind: "applied", result };
    }
    const version = row.version + 1;
    const fieldVersions = { ...row.fieldVersions };
    for (const f of touched) fieldVersions[f] = version;
    const { fields, ...meta } = next;
    const [updated] = await tx
      .update(cards)
      .set({ ...fields, ...meta, version, fieldVersions, updatedAt: new Date(), updatedBy: m.user.id })
      .where(and(eq(cards.id, row.id), eq(cards.version, row.version)))
      .returning();
    return this.commit(tx, m, updated!, "card.upsert", ignored && ignored.length > 0 ? ignored : undefined);
  }

  private async delete(tx: Tx, m: Extract<Mutation, { kind: "delete" }>, row: CardRow): Promise<Outcome> {
    if (m.board.policy === "occ" && row.version > m.baseVersion) {
      const changed = FIELD_NAMES.filter((f) => (row.fieldVersions[f] ?? 0) > m.baseVersion);
      return { kind: "conflict", current: rowToCard(row, "occ"), fields: changed };
    }
    await tx.delete(cards).where(eq(cards.id, row.id));
    return this.commit(tx, m, row, "card.delete");
  }

  /** Appends the change at the next seq and remembers the result under the mutationId. */
  private async commit(tx: Tx, m: Mutation, row: CardRow, type: Change["type"], ignored?: string[]): Promise<Outcome> {
    const card = type === "card.upsert" ? rowToCard(row, m.board.policy) : undefined;
    const change = await appendChange(tx, m.board.id, { type, card, cardId: row.id, mutationId: m.mutationId, by: m.user.id });
    const result: WriteResult =
      type === "card.delete" ? { seq: change.seq } : { card, seq: change.seq, ...(ignored ? { ignored } : {}) };
    await this.remember(tx, m, row.id, result);
    return { kind: "applied", result, change };
  }

  private async remember(tx: Tx, m: Mutation, cardId: string, result: WriteResult): Promise<void> {
    await tx.insert(appliedMutations).values({ mutationId: m.mutationId, userId: m.user.id, cardId, result });
  }

  private async head(tx: Tx, boardId: string): Promise<number> {
    const [h] = await tx.select({ seq: boardHeads.seq }).from(boardHeads).where(eq(boardHeads.boardId, boardId));
    return h?.seq ?? 0;
  }
}
