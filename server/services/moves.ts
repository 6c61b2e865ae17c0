import { randomUUID } from "node:crypto";
import { ConcordError, type Card, type Change, type CrashPoint, type RequestPayload, type TxPhase, type TxStepBroadcast, type TxTimelineStep } from "../../lib/protocol";
import { changeRecord, decideWrite, decisionError, needsLease, toWireCard, type CardState, type ChangeEntry } from "../../lib/sync/write";
import type { Databases } from "../db/databases";
import type { AppliedRow, Closed, ShardStore, ShardTx } from "../db/shard-store";
import { isLockTimeout } from "../db/unavailable";
import type { BoardMeta } from "./boards";
import { closedError } from "./closed";
import type { CardDirectory } from "./directory";
import { replayOf } from "./idempotency";
import type { LeaseReader } from "./locks";
import type { Writer } from "./records";

export type MoveRequest = RequestPayload<"card:move">;

/** `seq`: the upsert on the target board; `fromSeq`: the delete on the source board. */
export interface MoveResult {
  card: Card;
  seq?: number;
  fromSeq?: number;
  txId?: string;
}

export interface MoveOutcome {
  result: MoveResult;
  changes: Change[];
}

/** The steps of a cross-shard move at which a crash can be injected (tests only). */
export type TxStep = "logged" | "source-prepared" | "target-prepared" | "prepared" | "decided" | "source-committed";

/** SPEC BOARD-8: a move from or to a board whose head is closed is refused, whatever the node's cache said. */
function openHeads<H extends { closed: Closed | null }>(heads: Map<string, H>): Map<string, H> {
  for (const h of heads.values()) if (h.closed) throw closedError(h.closed);
  return heads;
}

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
/** A step of a cross-shard move as it happens (SPEC TX-10), for the boards involved. */
type TxStepEvents = (step: TxStepBroadcast, boards: string[]) => void;

/** What the tx log's payload says about a move (written with `preparing`). */
interface TxPayload {
  from: string;
  to: string;
  req: { cardId: string; mutationId: string };
}

/** SPEC TX-10: how soon recovery runs after a demo crash (the 10 s grace, for a crash before the decision). */
const DEMO_RECOVERY_MS: Record<CrashPoint, number> = { prepare: 10_500, decision: 3_000 };

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

/** How long one recovery run may take before the next may start (SPEC TX-4). */
const RECOVERY_TIMEOUT_MS = 60_000;

/** How long one part of a move waits for a lock before the attempt is abandoned (TX-5). */
const LOCK_TIMEOUT = "5s";
const ATTEMPTS = 3;

/** An attempt that must be retried from scratch: the card changed under it, or a lock wait ran out. */
class RetryMove extends Error {}

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
  /** TX-11: how long a resend waits for its earlier attempt's transaction to be decided (tests shorten it). */
  inDoubtWaitMs = 6_000;
  /** One recovery run at a time on this node (a demo crash schedules runs besides the periodic one). */
  private recovering: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dbs: Databases,
    private readonly leases: LeaseReader,
    private readonly directory: CardDirectory,
    private readonly onTx: TxEvents,
    private readonly onStep: TxStepEvents = () => {},
    /** SPEC TX-12: changes committed by someone other than the move's coordinator, for the boards' sockets. */
    private readonly onChanges: (changes: Change[]) => void = () => {},
  ) {}

  /**
   * `crashAfter` (SPEC TX-10, the demo fault switch): a cross-shard move's coordinator "dies"
   * after both parts are prepared (`prepare`) or after the decision (`decision`): it throws
   * SimulatedCrash, skipping every cleanup, and recovery finishes the transaction.
   */
  async move(writer: Writer, from: BoardMeta, to: BoardMeta, req: MoveRequest, crashAfter?: CrashPoint): Promise<MoveOutcome> {
    // TX-11: first, whatever an earlier attempt of this mutation left in doubt. (Once it is decided
    // `committed`, the directory already places the card on the target board, so this resend
    // may look like a move within one shard.)
    const earlier = await this.earlierAttempt(writer, req.mutationId);
    if (earlier) return { result: earlier, changes: [] };
    if (from.shard !== to.shard && !this.dbs.twoPhaseCommit) {
      throw new ConcordError("TWO_PHASE_UNAVAILABLE", "cross-shard moves need max_prepared_transactions > 0 on every shard");
    }
    try {
      if (from.shard === to.shard) return await this.localMove(writer, from, to, req);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.twoPhase(writer, from, to, req, crashAfter);
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
      if (err instanceof SimulatedCrash || !(err instanceof ConcordError)) throw err;
      const stored = await this.settledResult(writer, [from, to], req.mutationId);
      if (stored) return { result: stored, changes: [] };
      // TX-11: an earlier attempt that logged after the check above may still be in doubt; its
      // outcome, not this refusal, is the answer.
      const earlier = await this.earlierAttempt(writer, req.mutationId);
      if (earlier) return { result: earlier, changes: [] };
      throw err;
    }
  }

  private store(name: string): ShardStore {
    const s = this.dbs.shards.get(name);
    if (!s) throw new ConcordError("UNAVAILABLE", `shard ${name} is not configured`);
    return s;
  }

  /**
   * Both sides of a move are one write, decided by `decideWrite` (lib/sync/write.ts): the checks
   * (the card on the source board, fence, lease, occ version) on the source card, and the card as
   * it arrives on the target board. Throws the refusal or the conflict.
   */
  private async decide(state: CardState | null, writer: Writer, from: BoardMeta, req: MoveRequest): Promise<CardState> {
    const lease = needsLease(state) && state!.boardId === from.id ? await this.leases.live(state!.id) : null;
    const d = decideWrite(state, { kind: "move", ...req }, { board: from, writer, now: Date.now(), lease });
    if (d.kind !== "applied") throw decisionError(d, from.policy);
    return d.next!;
  }

  /** The log entry of one side: a delete on the source board, or the card's upsert on the target board. */
  private entry(writer: Writer, req: MoveRequest, moved: CardState, board: BoardMeta, seq: number, type: Change["type"]): ChangeEntry {
    const card = type === "card.upsert" ? toWireCard(moved, board.policy) : null;
    return { boardId: board.id, seq, type, card, cardId: moved.id, mutationId: req.mutationId, by: writer.id, at: new Date().toISOString() };
  }

  /** TX-1, TX-7: one local transaction; both heads are locked first, in board id order. */
  private async localMove(writer: Writer, from: BoardMeta, to: BoardMeta, req: MoveRequest): Promise<MoveOutcome> {
    const store = this.store(from.shard);
    const out = await store.transaction(async (tx): Promise<MoveOutcome> => {
      const heads = await store.lockHeads(tx, [from.id, to.id]);
      const replay = await this.replay(tx, store, writer, req.mutationId);
      if (replay) return { result: replay, changes: [] };
      openHeads(heads);
      const row = (await store.lockCards(tx, [req.cardId])).get(req.cardId) ?? null;
      const moved = await this.decide(row, writer, from, req);
      const out = this.entry(writer, req, moved, from, heads.get(from.id)!.seq + 1, "card.delete");
      const put = this.entry(writer, req, moved, to, heads.get(to.id)!.seq + 1, "card.upsert");
      await store.deleteCard(tx, moved.id);
      await store.insertCard(tx, moved);
      await store.appendChanges(tx, from.id, [out]);
      await store.appendChanges(tx, to.id, [put]);
      const result: MoveResult = { card: put.card!, seq: put.seq, fromSeq: out.seq };
      await store.remember(tx, [{ mutationId: req.mutationId, userId: writer.id, cardId: moved.id, result }]);
      return { result, changes: [changeRecord(out), changeRecord(put)] };
    });
    if (out.changes.length > 0) await this.point(req.cardId, to.id);
    return out;
  }

  /** IDEM-1: the stored result of this mutationId, if any (BAD_REQUEST when it is someone else's). */
  private async replay(tx: ShardTx, store: ShardStore, writer: Writer, mutationId: string): Promise<MoveResult | null> {
    const replay = replayOf((await store.applied<MoveResult>(tx, [mutationId])).get(mutationId), writer.id);
    if (replay instanceof ConcordError) throw replay;
    return replay;
  }

  /** Points the card's directory row at its new board (after a local move commits). */
  private async point(cardId: string, boardId: string): Promise<void> {
    await this.directory.point(this.dbs.catalogSql, cardId, boardId);
    this.directory.remember(cardId, boardId);
  }

  private async twoPhase(writer: Writer, from: BoardMeta, to: BoardMeta, req: MoveRequest, crashAfter?: CrashPoint): Promise<MoveOutcome> {
    const txId = `tx_${randomUUID()}`;
    const shards = [from.shard, to.shard];
    const boards = [from.id, to.id];
    const step = (s: TxTimelineStep) => this.onStep({ ...s, txId, by: "coordinator", at: new Date().toISOString(), cardId: req.cardId, fromBoardId: from.id, toBoardId: to.id, shards }, boards);
    const crash = (after: CrashPoint) => {
      if (crashAfter !== after) return;
      step({ kind: "crash", after, recoveryInMs: DEMO_RECOVERY_MS[after] });
      this.recoverSoon(txId, DEMO_RECOVERY_MS[after]);
      throw new SimulatedCrash(after === "prepare" ? "prepared" : "decided");
    };
    // The card as it is now, and the mutations applied to it, read without locks: the source
    // part checks under its locks that nothing changed since (else the attempt is retried).
    const source = this.store(from.shard);
    const seen = await source.readCard(source.sql, req.cardId);
    const moved = await this.decide(seen, writer, from, req);
    const history = await source.appliedOfCard(source.sql, req.cardId);

    const catalog = this.dbs.catalogSql;
    const payload = { user: { id: writer.id, name: writer.name }, from: from.id, to: to.id, req };
    await catalog`INSERT INTO tx_log (tx_id, state, shards, payload) VALUES (${txId}, 'preparing', ${catalog.json(shards)}, ${catalog.json(payload as never)})`;
    this.onTx(txId, "preparing", shards, boards);
    step({ kind: "log", state: "preparing" });
    await this.faults?.("logged");

    // Each part runs in its own shard transaction and ends prepared, holding its locks. The
    // part on the lower shard name always goes first (TX-5), whichever side it is. The part that
    // runs second knows both seqs and stores the move's result under its mutationId.
    let out: ChangeEntry | undefined;
    let put: ChangeEntry | undefined;
    const own = (): AppliedRow => ({
      mutationId: req.mutationId, userId: writer.id, cardId: moved.id,
      result: { card: toWireCard(moved, to.policy), seq: put?.seq, fromSeq: out?.seq, txId } satisfies MoveResult,
    });
    const sourcePart = async (store: ShardStore, tx: ShardTx) => {
      const head = openHeads(await store.lockHeads(tx, [from.id])).get(from.id)!.seq;
      const row = (await store.lockCards(tx, [req.cardId])).get(req.cardId);
      const carried = await store.appliedOfCard(tx, req.cardId);
      if (!row || row.boardId !== from.id || row.version !== seen!.version || row.fence !== seen!.fence || carried.length !== history.length) throw new RetryMove();
      await this.decide(row, writer, from, req); // the checks that count: under the card's lock
      await store.deleteCard(tx, row.id);
      out = this.entry(writer, req, moved, from, head + 1, "card.delete");
      await store.appendChanges(tx, from.id, [out]);
      if (put) await store.remember(tx, [own()]);
    };
    const targetPart = async (store: ShardStore, tx: ShardTx) => {
      const head = openHeads(await store.lockHeads(tx, [to.id])).get(to.id)!.seq;
      await store.insertCard(tx, moved);
      put = this.entry(writer, req, moved, to, head + 1, "card.upsert");
      await store.appendChanges(tx, to.id, [put]);
      // IDEM-2: a replay finds its first result wherever the card has gone since.
      await store.remember(tx, history, true);
      if (out) await store.remember(tx, [own()]);
    };
    const parts = [
      { shard: from.shard, step: "source-prepared" as const, run: sourcePart },
      { shard: to.shard, step: "target-prepared" as const, run: targetPart },
    ].sort((x, y) => (x.shard < y.shard ? -1 : 1));

    const prepared: string[] = [];
    try {
      for (const part of parts) {
        const store = this.store(part.shard);
        await store.transaction((tx) => part.run(store, tx), { lockTimeout: LOCK_TIMEOUT, prepare: gidOf(txId, part.shard) });
        prepared.push(part.shard);
        step({ kind: "part", shard: part.shard, state: "prepared" });
        await this.faults?.(part.step);
      }
      if ((await this.decideTx(txId, "prepared")) !== "prepared") throw new ConcordError("TX_ABORTED", "recovery aborted this move; nothing changed", { txId });
      this.onTx(txId, "prepared", shards, boards);
      step({ kind: "log", state: "prepared" });
      crash("prepare");
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err; // a dead process cleans nothing up
      for (const shard of prepared) {
        const undone = await this.store(shard).finishPrepared(gidOf(txId, shard), "ROLLBACK").then(() => true, () => false);
        if (undone) step({ kind: "part", shard, state: "rolled back" });
      }
      await this.decideTx(txId, "aborted").catch(() => {});
      this.onTx(txId, "aborted", shards, boards);
      step({ kind: "log", state: "aborted" });
      if (err instanceof RetryMove || isLockTimeout(err)) throw new RetryMove();
      if (err instanceof ConcordError) throw err;
      throw new ConcordError("TX_ABORTED", "the move was rolled back; nothing changed", { txId });
    }
    // The decision (TX-6): one conditional write. From here on recovery finishes the commit.
    if ((await this.decideTx(txId, "committed", { cardId: req.cardId, boardId: to.id })) !== "committed") {
      for (const shard of prepared) await this.store(shard).finishPrepared(gidOf(txId, shard), "ROLLBACK").catch(() => {});
      this.onTx(txId, "aborted", shards, boards);
      step({ kind: "log", state: "aborted" });
      throw new ConcordError("TX_ABORTED", "recovery aborted this move; nothing changed", { txId });
    }
    step({ kind: "log", state: "committed" });
    this.directory.remember(req.cardId, to.id);
    await this.faults?.("decided");
    crash("decision");
    for (const [i, shard] of shards.entries()) {
      await this.store(shard).finishPrepared(gidOf(txId, shard), "COMMIT");
      step({ kind: "part", shard, state: "committed" });
      if (i === 0) await this.faults?.("source-committed");
    }
    this.onTx(txId, "committed", shards, boards);
    return { result: own().result as MoveResult, changes: [changeRecord(out!), changeRecord(put!)] };
  }

  /**
   * Moves the log entry to `state` unless it is already decided (SPEC TX-6) and answers the
   * state it ends in. `committed` also points the card's directory row at the target board, in
   * the same catalog transaction: readers find the card where the decision put it.
   */
  private async decideTx(txId: string, state: "prepared" | "committed" | "aborted", card?: { cardId: string; boardId: string }): Promise<TxPhase | null> {
    const from: TxPhase[] = state === "committed" ? ["prepared"] : state === "prepared" ? ["preparing"] : ["preparing", "prepared"];
    return (await this.dbs.catalogSql.begin(async (tx) => {
      const [won] = await tx<{ state: TxPhase }[]>`
        UPDATE tx_log SET state = ${state}, updated_at = now() WHERE tx_id = ${txId} AND state IN ${tx(from)} RETURNING state`;
      if (won && card) await this.directory.point(tx, card.cardId, card.boardId);
      if (won) return won.state;
      const [now] = await tx<{ state: TxPhase }[]>`SELECT state FROM tx_log WHERE tx_id = ${txId}`;
      return now?.state ?? null;
    })) as TxPhase | null;
  }

  /**
   * TX-11: the outcome of an earlier attempt of this mutation, as the coordinator log tells it.
   * Decided `committed`: its prepared parts are finished here (the decision is logged, so anyone
   * may finish it, as recovery does) and its stored result is the answer. Undecided: waits up to
   * `inDoubtWaitMs` for the decision, then answers UNAVAILABLE, since the outcome is still open
   * (recovery decides it within its grace). Aborted, or no earlier attempt: null, and the move runs.
   */
  private async earlierAttempt(writer: Writer, mutationId: string): Promise<MoveResult | null> {
    const catalog = this.dbs.catalogSql;
    const deadline = Date.now() + this.inDoubtWaitMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
      const entries = await catalog<{ tx_id: string; state: TxPhase; shards: string[]; payload: TxPayload | null }[]>`
        SELECT tx_id, state, shards, payload FROM tx_log
        WHERE payload->'req'->>'mutationId' = ${mutationId} AND state <> 'aborted'`;
      if (entries.length === 0) return null;
      const open = entries.find((e) => e.state !== "committed");
      if (!open) {
        for (const e of entries) {
          let finished = false;
          for (const shard of e.shards) {
            if (await this.store(shard).finishPrepared(gidOf(e.tx_id, shard), "COMMIT").then(() => true, () => false)) finished = true;
          }
          if (finished) await this.announce(e.shards, e.payload);
        }
        const stored = await this.directory.appliedAnywhere(mutationId, writer);
        if (stored?.card) return stored as MoveResult;
      }
      if (Date.now() >= deadline) {
        throw new ConcordError("UNAVAILABLE", "an earlier attempt of this move is still being decided; send it again shortly", { txId: (open ?? entries[0]!).tx_id });
      }
      await pause(wait);
    }
  }

  /**
   * SPEC TX-12: a committed move finished by someone other than its coordinator (recovery, or a
   * resend: TX-11) is told to both boards' sockets, both parts, since the coordinator may have
   * died before it broadcast either. A tab that already has a change ignores it (FEED-4).
   */
  private async announce(shards: string[], payload: TxPayload | null): Promise<void> {
    if (!payload?.req.mutationId) return;
    const changes: Change[] = [];
    for (const shard of shards) {
      changes.push(...(await this.store(shard).changesOfMutation(payload.req.cardId, payload.req.mutationId).catch(() => [])));
    }
    if (changes.length > 0) this.onChanges(changes);
  }

  /**
   * TX-8: waits until no transaction holds either board's head (a twin request's prepared
   * parts are committed or rolled back by then), then looks the mutation up on every shard.
   */
  private async settledResult(writer: Writer, boards: BoardMeta[], mutationId: string): Promise<MoveResult | null> {
    const byShard = [...boards].sort((x, y) => (x.shard < y.shard ? -1 : x.shard > y.shard ? 1 : x.id < y.id ? -1 : 1));
    for (const b of byShard) await this.store(b.shard).awaitHead(b.id, LOCK_TIMEOUT).catch(() => {});
    const stored = await this.directory.appliedAnywhere(mutationId, writer).catch(() => null);
    return stored?.card ? (stored as MoveResult) : null;
  }

  /**
   * Recovery (SPEC TX-4): finishes every prepared part of ours: COMMIT PREPARED where the log
   * says committed, ROLLBACK PREPARED where it says aborted. A transaction still undecided after
   * `graceMs` is decided `aborted` through the same conditional write the coordinator uses
   * (TX-6), so a slow coordinator can no longer commit it; a part the log never heard of is
   * presumed aborted. Decided entries whose parts are all finished are deleted once older than
   * `keepMs`, so the log stays small. A shard or part that fails (a database away, a failover in
   * progress) does not stop the rest: it is retried next run, and the run then reports the first
   * failure. A run that hangs (a connection to a vanished server) holds the next one up for at
   * most RECOVERY_TIMEOUT_MS.
   */
  recover(graceMs = 10_000, keepMs = 3_600_000): Promise<{ committed: number; aborted: number; forgotten: number }> {
    const run = this.recovering.then(() => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`recovery did not finish within ${RECOVERY_TIMEOUT_MS} ms`)), RECOVERY_TIMEOUT_MS);
        timer.unref?.();
      });
      return Promise.race([this.recoverOnce(graceMs, keepMs), timeout]).finally(() => clearTimeout(timer));
    });
    this.recovering = run.catch(() => {});
    return run;
  }

  /**
   * SPEC TX-10: after a demo crash this node runs recovery itself, as a restarted coordinator
   * would at start: `afterMs` later (past the grace for an undecided transaction), then every
   * second until none of the transaction's parts is still prepared (at most 30 s).
   */
  private recoverSoon(txId: string, afterMs: number): void {
    const deadline = Date.now() + afterMs + 30_000;
    const tick = async (): Promise<void> => {
      await this.recover().catch(() => {});
      let left = 0;
      for (const shard of this.dbs.shards.values()) {
        left += (await shard.preparedParts(0).catch(() => [])).filter((p) => parseGid(p.gid)?.txId === txId).length;
      }
      if (left > 0 && Date.now() < deadline) setTimeout(() => void tick(), 1_000).unref?.();
    };
    setTimeout(() => void tick(), afterMs).unref?.();
  }

  private async recoverOnce(graceMs: number, keepMs: number): Promise<{ committed: number; aborted: number; forgotten: number }> {
    let committed = 0;
    let aborted = 0;
    const failures: unknown[] = [];
    const parts: { shard: string; gid: string; txId: string | null; old: boolean }[] = [];
    for (const shard of this.dbs.shards.values()) {
      try {
        for (const r of await shard.preparedParts(graceMs)) parts.push({ shard: shard.name, gid: r.gid, txId: parseGid(r.gid)?.txId ?? null, old: r.old });
      } catch (err) {
        failures.push(err); // this shard's parts wait for the next run; the others are finished now
      }
    }
    const ids = [...new Set(parts.flatMap((p) => (p.txId ? [p.txId] : [])))];
    const catalog = this.dbs.catalogSql;
    const grace = graceMs / 1000;
    const entries = ids.length === 0 ? [] : await catalog<{ tx_id: string; state: TxPhase; old: boolean; shards: string[]; payload: TxPayload | null }[]>`
      SELECT tx_id, state, shards, payload, updated_at <= now() - make_interval(secs => ${grace}) AS old FROM tx_log WHERE tx_id IN ${catalog(ids)}`;
    const states = new Map<string, TxPhase | null>(entries.map((e) => [e.tx_id, e.state]));
    // SPEC TX-10: what recovery does is told to the boards involved, like the coordinator's steps.
    const byId = new Map(entries.map((e) => [e.tx_id, e]));
    const step = (txId: string, s: TxTimelineStep) => {
      const e = byId.get(txId);
      if (!e?.payload) return;
      const boards = [e.payload.from, e.payload.to];
      this.onStep({ ...s, txId, by: "recovery", at: new Date().toISOString(), cardId: e.payload.req.cardId, fromBoardId: e.payload.from, toBoardId: e.payload.to, shards: e.shards }, boards);
    };
    const finished = new Map<string, TxPhase>();
    for (const e of entries) {
      if ((e.state === "preparing" || e.state === "prepared") && e.old) {
        const decided = await this.decideTx(e.tx_id, "aborted");
        states.set(e.tx_id, decided);
        if (decided === "aborted") step(e.tx_id, { kind: "log", state: "aborted" });
      }
    }
    for (const p of parts) {
      const state = p.txId ? states.get(p.txId) : undefined;
      try {
        if (state === "committed") {
          await this.store(p.shard).finishPrepared(p.gid, "COMMIT");
          committed++;
          step(p.txId!, { kind: "part", shard: p.shard, state: "committed" });
          finished.set(p.txId!, state);
        } else if (state === "aborted" || (state === undefined && p.old)) {
          await this.store(p.shard).finishPrepared(p.gid, "ROLLBACK");
          aborted++;
          if (p.txId) {
            step(p.txId, { kind: "part", shard: p.shard, state: "rolled back" });
            finished.set(p.txId, "aborted");
          }
        }
      } catch (err) {
        failures.push(err);
      }
    }
    for (const [txId, state] of finished) {
      const e = byId.get(txId);
      if (e?.payload) this.onTx(txId, state, e.shards, [e.payload.from, e.payload.to]);
      if (e && state === "committed") await this.announce(e.shards, e.payload);
    }
    // Undecided entries that never prepared anything (the coordinator died early).
    await catalog`
      UPDATE tx_log SET state = 'aborted', updated_at = now()
      WHERE state IN ('preparing', 'prepared') AND updated_at <= now() - make_interval(secs => ${grace})`;
    const forgotten = await catalog`
      DELETE FROM tx_log
      WHERE state IN ('committed', 'aborted') AND updated_at <= now() - make_interval(secs => ${keepMs / 1000})
        AND NOT (tx_id = ANY(${ids}::text[]))
      RETURNING tx_id`;
    if (failures.length > 0) throw failures[0];
    return { committed, aborted, forgotten: forgotten.length };
  }
}
