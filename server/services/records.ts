import { randomUUID } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";
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
import { HybridClock, encodeHlc, isTooFarInFuture } from "../../lib/sync/hlc";
import { applyBoundedWrite, resolvedValue, writeClock } from "../../lib/sync/mvr";
import { merge as mergeClocks, normalize } from "../../lib/sync/vector-clock";
import type { MvrRegisters } from "../db/shard-schema";
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
  /** mvr: values a write displaced under the bound without having seen them (SPEC MVR-5). */
  dropped?: MvrRegisters;
}

/** Services answer with a tagged union: a conflict is a result, not an exception (STYLE 7). */
export type Outcome =
  | { kind: "applied"; result: WriteResult; change?: Change }
  | { kind: "replayed"; result: WriteResult }
  | { kind: "conflict"; current: Card; fields: FieldName[] }
  | { kind: "rejected"; error: ConcordError };

type Tx = TransactionSql;

/** The stamp of initial values of a card created without an HLC on an lww board (LWW-3). */
const INITIAL_HLC = encodeHlc({ wall: 0, logical: 0, replica: "initial" });

/** A `cards` row as the plain client returns it (snake_case, bigint as string). */
interface RawCardRow {
  id: string;
  board_id: string;
  title: string;
  body: string;
  status: CardRow["status"];
  position: string;
  tags: string[];
  estimate: number | null;
  version: number;
  field_versions: Record<FieldName, number>;
  hlc: CardRow["hlc"];
  registers: MvrRegisters | null;
  clock: WireVectorClock | null;
  fence: string | number;
  updated_at: Date;
  updated_by: string;
}

function fromRaw(r: RawCardRow): CardRow {
  return {
    id: r.id, boardId: r.board_id, title: r.title, body: r.body, status: r.status, position: r.position,
    tags: r.tags, estimate: r.estimate, version: r.version, fieldVersions: r.field_versions, hlc: r.hlc,
    registers: r.registers, clock: r.clock, fence: Number(r.fence), updatedAt: new Date(r.updated_at), updatedBy: r.updated_by,
  };
}

/** A jsonb parameter (null stays SQL NULL). */
const json = (tx: Tx, v: unknown) => (v === null || v === undefined ? null : tx.json(v as Parameters<Tx["json"]>[0]));

/**
 * Records: card writes under each board's policy. Every check that decides whether a write
 * applies (idempotency, fencing, leases, versions, clocks) runs inside the shard transaction,
 * after the board's head row is locked, so it holds across every node (SPEC OCC-1, IDEM-1).
 * The write path is plain SQL on purpose: it is the heart of what Concord teaches, and each
 * statement is one prepared round trip.
 */
/** What a batch has written so far: its seq counter and the log rows it will insert at the end. */
interface BatchLog {
  seq: number;
  /** Applied mutations found before the batch began, by mutationId. */
  prior: Map<string, { user_id: string; result: WriteResult }>;
  /** The batch's cards, locked at its start and kept current as it writes (null: deleted or absent). */
  rows: Map<string, CardRow | null>;
  changes: Record<string, unknown>[];
  applied: Record<string, unknown>[];
  results: Map<string, { userId: string; result: WriteResult }>;
}

export class RecordService {
  private readonly lanes: Lanes<Mutation, Outcome>;
  private readonly batches = new WeakMap<Tx, BatchLog>();

  constructor(
    private readonly shardOf: (board: BoardMeta) => Sql,
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
    try {
      const outcomes = await this.shardOf(board).begin(async (tx) => {
        // The board's head row lock: one writer per board at a time, on every node (FEED-1).
        // Holding it for the whole batch lets seq be counted here and written once at the end.
        const [head] = await tx<{ seq: string }[]>`SELECT seq FROM board_heads WHERE board_id = ${board.id} FOR UPDATE`;
        if (!head) throw new ConcordError("NOT_FOUND", "board has no head on its shard");
        // Everything the checks read, fetched once for the whole batch (pipelined, one round trip):
        // earlier results of these mutationIds, and the cards they touch, locked FOR UPDATE.
        const ids = batch.map((m) => m.mutationId);
        const cardIds = [...new Set(batch.flatMap((m) => (m.kind === "create" ? (m.cardId ? [m.cardId] : []) : [m.cardId])))];
        const [priorRows, cardRows] = await Promise.all([
          tx<{ mutation_id: string; user_id: string; result: WriteResult }[]>`
            SELECT mutation_id, user_id, result FROM applied_mutations WHERE mutation_id IN ${tx(ids)}`,
          cardIds.length > 0 ? tx<RawCardRow[]>`SELECT * FROM cards WHERE id IN ${tx(cardIds)} ORDER BY id FOR UPDATE` : [],
        ]);
        const log: BatchLog = {
          seq: Number(head.seq),
          prior: new Map(priorRows.map((r) => [r.mutation_id, r])),
          rows: new Map<string, CardRow | null>(cardIds.map((id) => [id, null])),
          changes: [],
          applied: [],
          results: new Map(),
        };
        for (const r of cardRows) log.rows.set(r.id, fromRaw(r));
        this.batches.set(tx, log);
        const out: Outcome[] = [];
        for (const m of batch) out.push(await this.applyOne(tx, m));
        await this.flushBatch(tx, board.id, log);
        return out;
      });
      return (outcomes as Outcome[]).map((value) => ({ status: "fulfilled", value }));
    } catch (err) {
      if (batch.length === 1) return [{ status: "rejected", reason: err }];
      const settled: PromiseSettledResult<Outcome>[] = [];
      for (const m of batch) settled.push(...(await this.runBatch([m])));
      return settled;
    }
  }

  /**
   * The batch's log rows go in with one statement each at the end (changes, applied mutations,
   * the new head), still inside the transaction: three round trips per batch instead of three
   * per write.
   */
  private async flushBatch(tx: Tx, boardId: string, log: BatchLog): Promise<void> {
    if (log.changes.length > 0) {
      await tx`
        INSERT INTO changes (board_id, seq, type, card_id, card, mutation_id, by, at)
        SELECT board_id, seq, type, card_id, card, mutation_id, by, at
        FROM jsonb_to_recordset(${tx.json(log.changes as never)}) AS x(board_id text, seq bigint, type text, card_id text,
             card jsonb, mutation_id text, by text, at timestamptz)`;
      await tx`UPDATE board_heads SET seq = ${log.seq} WHERE board_id = ${boardId}`;
    }
    if (log.applied.length > 0) {
      await tx`
        INSERT INTO applied_mutations (mutation_id, user_id, card_id, result)
        SELECT mutation_id, user_id, card_id, result
        FROM jsonb_to_recordset(${tx.json(log.applied as never)}) AS x(mutation_id text, user_id text, card_id text, result jsonb)`;
    }
  }

  private async applyOne(tx: Tx, m: Mutation): Promise<Outcome> {
    const log = this.batches.get(tx)!;
    const earlier = log.results.get(m.mutationId);
    const prior = earlier ? { user_id: earlier.userId, result: earlier.result } : log.prior.get(m.mutationId);
    if (prior) {
      if (prior.user_id !== m.user.id) {
        return { kind: "rejected", error: new ConcordError("BAD_REQUEST", "this mutationId was used by someone else") };
      }
      return { kind: "replayed", result: prior.result };
    }
    if (m.kind === "create") return this.create(tx, m);
    const row = log.rows.get(m.cardId);
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
    if (this.batches.get(tx)!.rows.get(id)) return { kind: "rejected", error: new ConcordError("BAD_REQUEST", "a card with this id exists") };
    const f: Fields = { ...DEFAULT_FIELDS, ...m.fields };
    const fieldVersions = Object.fromEntries(FIELD_NAMES.map((n) => [n, 1])) as Record<FieldName, number>;
    let hlc: CardRow["hlc"] = null;
    let registers: MvrRegisters | null = null;
    let clock: WireVectorClock | null = null;
    if (m.board.policy === "lww") {
      // A create that names no HLC gives its initial values the zero timestamp: creating a card
      // is not an edit of its fields, so any stamped edit, however old its clock, replaces them.
      if (m.hlc) this.clock.receive(m.hlc);
      const stamp = m.hlc ?? INITIAL_HLC;
      hlc = Object.fromEntries(FIELD_NAMES.map((n) => [n, stamp]));
    } else if (m.board.policy === "mvr") {
      clock = writeClock({}, {}, m.replicaId);
      registers = Object.fromEntries(
        FIELD_NAMES.map((n) => [n, [{ value: f[n], by: m.user.id, byName: m.user.name, clock, seen: {} }]]),
      );
    }
    const [raw] = await tx<RawCardRow[]>`
      INSERT INTO cards (id, board_id, title, body, status, position, tags, estimate, version, field_versions,
                         hlc, registers, clock, updated_at, updated_by)
      VALUES (${id}, ${m.board.id}, ${f.title}, ${f.body}, ${f.status}, ${f.position}, ${json(tx, f.tags)},
              ${f.estimate}, 1, ${json(tx, fieldVersions)}, ${json(tx, hlc)}, ${json(tx, registers)},
              ${json(tx, clock)}, now(), ${m.user.id})
      RETURNING *`;
    return this.commit(tx, m, fromRaw(raw!), "card.upsert");
  }

  private async update(tx: Tx, m: Extract<Mutation, { kind: "update" }>, row: CardRow): Promise<Outcome> {
    const policy = m.board.policy;
    if (m.baseVersion > row.version) {
      return { kind: "rejected", error: new ConcordError("BAD_REQUEST", "baseVersion is newer than the card") };
    }
    let changed: Patch;
    let hlc = row.hlc;
    let registers = row.registers;
    let clock = row.clock;
    let ignored: string[] | undefined;
    let dropped: MvrRegisters | undefined;
    if (policy === "occ") {
      const conflicting = occConflicts(row.fieldVersions, m.baseVersion, m.patch);
      if (conflicting.length > 0) return { kind: "conflict", current: rowToCard(row, policy), fields: conflicting };
      changed = m.patch;
    } else if (policy === "lww") {
      if (m.hlc) this.clock.receive(m.hlc);
      const r = applyLww({ fields: rowFields(row), hlc: row.hlc ?? {} }, m.patch, m.hlc ?? this.clock.now());
      ignored = r.ignored.length > 0 ? r.ignored : undefined;
      changed = Object.fromEntries(r.applied.map((f) => [f, r.fields[f as FieldName]])) as Patch;
      hlc = r.hlc;
    } else {
      // A context can only claim what the card has seen (clamped, MVR-3); the write gets a fresh
      // dot of the writing replica (one per tab) and replaces only the values its context had
      // seen, so concurrent writes stay siblings (MVR-1).
      const context = clampClock(m.context ?? {}, row.clock ?? {});
      const wc = writeClock(row.clock ?? {}, context, m.replicaId);
      registers = { ...(row.registers ?? {}) };
      changed = {};
      for (const f of Object.keys(m.patch) as FieldName[]) {
        const write = { value: m.patch[f], by: m.user.id, byName: m.user.name, clock: wc, seen: context };
        // At most MVR_MAX_SIBLINGS values per field: the write's context is widened over the
        // weakest excess ones, which the writer is told about (MVR-5).
        const bounded = applyBoundedWrite(registers[f] ?? [], write);
        registers[f] = bounded.register;
        if (bounded.dropped.length > 0) (dropped ??= {})[f] = bounded.dropped;
        Object.assign(changed, { [f]: resolvedValue(registers[f]!) });
      }
      clock = normalize(mergeClocks(row.clock ?? {}, wc));
    }
    const touched = Object.keys(changed) as FieldName[];
    if (touched.length === 0) {
      // lww: every field was older than what is stored; nothing changes, nothing is logged.
      const result: WriteResult = { card: rowToCard(row, policy), seq: this.batches.get(tx)!.seq, ignored };
      this.remember(tx, m, row.id, result);
      return { kind: "applied", result };
    }
    const next: CardRow = { ...row, ...changed, hlc, registers, clock, version: row.version + 1, fieldVersions: { ...row.fieldVersions } };
    for (const f of touched) next.fieldVersions[f] = next.version;
    const [raw] = await tx<RawCardRow[]>`
      UPDATE cards SET title = ${next.title}, body = ${next.body}, status = ${next.status}, position = ${next.position},
             tags = ${json(tx, next.tags)}, estimate = ${next.estimate}, version = ${next.version},
             field_versions = ${json(tx, next.fieldVersions)}, hlc = ${json(tx, next.hlc)},
             registers = ${json(tx, next.registers)}, clock = ${json(tx, next.clock)},
             updated_at = now(), updated_by = ${m.user.id}
      WHERE id = ${row.id} AND version = ${row.version}
      RETURNING *`;
    return this.commit(tx, m, fromRaw(raw!), "card.upsert", ignored, dropped);
  }

  private async delete(tx: Tx, m: Extract<Mutation, { kind: "delete" }>, row: CardRow): Promise<Outcome> {
    if (m.board.policy === "occ" && row.version > m.baseVersion) {
      const changed = FIELD_NAMES.filter((f) => (row.fieldVersions[f] ?? 0) > m.baseVersion);
      return { kind: "conflict", current: rowToCard(row, "occ"), fields: changed };
    }
    await tx`DELETE FROM cards WHERE id = ${row.id}`;
    this.batches.get(tx)!.rows.set(row.id, null);
    return this.commit(tx, m, row, "card.delete");
  }

  /** Appends the change at the board's next seq and remembers the result under the mutationId. */
  private commit(tx: Tx, m: Mutation, row: CardRow, type: Change["type"], ignored?: string[], dropped?: MvrRegisters): Outcome {
    const log = this.batches.get(tx)!;
    if (type === "card.upsert") log.rows.set(row.id, row);
    const card = type === "card.upsert" ? rowToCard(row, m.board.policy) : undefined;
    const seq = ++log.seq;
    const at = new Date().toISOString();
    log.changes.push({ board_id: m.board.id, seq, type, card_id: row.id, card: card ?? null, mutation_id: m.mutationId, by: m.user.id, at });
    const change: Change = {
      boardId: m.board.id, seq, type, mutationId: m.mutationId, by: m.user.id, at,
      ...(card ? { card } : { cardId: row.id }),
    };
    const result: WriteResult = type === "card.delete" ? { seq } : { card, seq, ...(ignored ? { ignored } : {}), ...(dropped ? { dropped } : {}) };
    this.remember(tx, m, row.id, result);
    return { kind: "applied", result, change };
  }

  private remember(tx: Tx, m: Mutation, cardId: string, result: WriteResult): void {
    const log = this.batches.get(tx)!;
    log.applied.push({ mutation_id: m.mutationId, user_id: m.user.id, card_id: cardId, result });
    log.results.set(m.mutationId, { userId: m.user.id, result });
  }
}
