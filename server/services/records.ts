import { ConcordError, type Card, type CardMutation, type Change } from "../../lib/protocol";
import type { HybridClock } from "../../lib/sync/hlc";
import { changeRecord, decideWrite, decisionError, needsLease, toWireCard, type CardState, type ChangeEntry, type MvrRegisters, type WriteEnv } from "../../lib/sync/write";
import { Stale, type AppliedRow, type CardWrite, type Closed, type Q, type ShardStore } from "../db/shard-store";
import { isLockTimeout, isUnavailable } from "../db/unavailable";
import type { BoardMeta } from "./boards";
import { closedError } from "./closed";
import { replayOf } from "./idempotency";
import { KnownBoards } from "./known-boards";
import { Lanes, RunAlone } from "./lane";
import type { LeaseReader } from "./locks";

/** Who writes: the user and the tab (its replica id is its entry in vector clocks, MVR-1). */
export type Writer = WriteEnv["writer"];

/** A card write (not a move: MoveService), parsed and authorized for its board. A create carries its card id (ID-1). */
export interface Write {
  board: BoardMeta;
  writer: Writer;
  mutation: Exclude<CardMutation, { kind: "move" }>;
}

export interface WriteResult {
  card?: Card;
  seq: number;
  ignored?: string[];
  /** mvr: values a write displaced under the bound without having seen them (SPEC MVR-5). */
  dropped?: MvrRegisters;
  /** SPEC IDEM-3: how many writes the transaction that decided this one held (PERF-1); stored, so a replay answers it too. */
  batch?: number;
}

/** A write's outcome: a conflict or a refusal is a result (`rejected`, with its wire error), not an exception. */
export type Outcome =
  | { kind: "applied"; result: WriteResult; change?: Change }
  | { kind: "replayed"; result: WriteResult }
  | { kind: "rejected"; error: ConcordError };

/** How a batch reached the shard: in one round trip, in two, or in two after one the shard refused (PERF-7). */
export type Trips = 1 | 2 | "again";

/**
 * One-trip batches of a board in flight at most before the lane's next batch starts (PERF-8): one
 * in the shard and one right behind it. Writes arriving meanwhile gather into the next batch
 * (group commit, PERF-1) rather than each going as a transaction of its own.
 */
export const CHAIN_DEPTH = 2;

/**
 * The largest batch that lets the next start before it has ended (PERF-8). Two, not one: two
 * writers whose acks leave in one turn write again together, and their batch of two must not
 * wait a round trip for the batch before it.
 */
export const SMALL_BATCH = 2;

/**
 * A node that remembers nothing of a board reads up to this many of its cards with its next
 * reading batch (PERF-7), so the writes after it go in one trip from the start rather than once
 * each card has been written; at most once per LEARN_EVERY_MS per board, over the last
 * LEARNED_BOARDS boards.
 */
export const LEARN_CARDS = 2_000;
const LEARN_EVERY_MS = 10_000;
const LEARNED_BOARDS = 1_024;

/** A board's batches running on this node (PERF-8). */
class BoardRun {
  /** Batches running. */
  batches = 0;
  /** One-trip batches sending or sent, not yet answered. */
  sending = 0;
  /** Two-trip batches running or waiting for their turn. */
  reading = 0;
  /** How often what was remembered of the board was forgotten (a batch failed). */
  forgotten = 0;
  /** Settles once the last two-trip batch holds the head, or has ended. */
  turn: Promise<void> = Promise.resolve();
  private idle: (() => void)[] = [];

  private room: (() => void)[] = [];

  constructor(private readonly depth: number) {}

  /** A one-trip batch was answered. */
  sent(): void {
    this.sending--;
    if (this.sending < this.depth) this.room.shift()?.();
    if (this.sending > 0) return;
    for (const wake of this.idle.splice(0)) wake();
  }

  /** Calls `next` once fewer than `depth` one-trip batches are in flight, counting the one just sent. */
  whenRoom(next: () => void): void {
    if (this.sending < this.depth) next();
    else this.room.push(next);
  }

  /** Settles once no one-trip batch is in flight. */
  sentEnded(): Promise<void> {
    return this.sending === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}

/** What one batch has read and written so far. */
interface Batch {
  /** How many writes this transaction holds (SPEC IDEM-3). */
  size: number;
  /** The board's seq, counted up as the batch logs changes (its head row is locked). */
  seq: number;
  /** SPEC BOARD-8: the head says the board is closed; the batch writes nothing. */
  closed: Closed | null;
  /** First results of the batch's mutationIds: stored before it began, or made by it. */
  results: Map<string, AppliedRow<WriteResult>>;
  /** The batch's cards, locked at its start and kept current as it writes (absent or null: none). */
  cards: Map<string, CardState | null>;
  changes: ChangeEntry[];
  applied: AppliedRow<WriteResult>[];
  /** The batch's card statements, in order, sent together with its log rows and the COMMIT. */
  writes: CardWrite[];
}

/**
 * Records: card writes under each board's policy. The rule is `decideWrite` (lib/sync/write.ts);
 * this service runs it inside the shard transaction, after the board's head row is locked, so
 * every check holds across every node (SPEC OCC-1, IDEM-1), and group-commits writes (PERF-1).
 */
export class RecordService {
  private readonly lanes: Lanes<Write, Outcome>;
  /** What this node's batches last read and wrote of each board (PERF-7). */
  private readonly known = new KnownBoards();
  /** Each board's batches running on this node now. */
  private readonly runs = new Map<string, BoardRun>();
  /** When the node last read each board's cards to remember them, the least recent first (bounded). */
  private readonly learned = new Map<string, number>();

  constructor(
    private readonly shardOf: (board: BoardMeta) => ShardStore,
    private readonly leases: LeaseReader,
    private readonly clock: HybridClock,
    /** Told each batch's size and its round trips to the shard (the metrics' concord_batch_writes, concord_batch_trips_total). */
    private readonly onBatch: (writes: number, trips: Trips) => void = () => {},
    /** SPEC PERF-7: batches on a remembered board in one round trip; off, every batch reads first. */
    private readonly oneTrip = true,
    /** SPEC PERF-8: one-trip batches of a board in flight at most before the next starts. */
    private readonly chainDepth = CHAIN_DEPTH,
  ) {
    this.lanes = new Lanes((_key, batch, holds) => this.runBatch(batch, holds));
  }

  /** Writes queued on this node's lanes, not yet in a batch. */
  queued(): number {
    return this.lanes.depth();
  }

  /** Queues a write on its board's lane; resolves once its batch has committed. */
  write(w: Write): Promise<Outcome> {
    return this.lanes.push(w.board.id, w);
  }

  /**
   * Group commit (SPEC PERF-1, PERF-7, PERF-8): one transaction for a batch of writes to one
   * board, each still checked and answered on its own. A batch whose cards the node remembers is
   * decided on them and sent in one round trip (`runOneTrip`), even while the board's batches
   * before it are still in the shard (on the same connection, right behind them); otherwise, or
   * when the shard finds a row it counted on changed, it reads first (`runTwoTrips`), in turn.
   */
  /**
   * Whether a reading batch should read the board's cards too (PERF-7): the node remembers nothing
   * of it, and has not read them in the last LEARN_EVERY_MS (a board another node keeps writing
   * is forgotten at each refusal; it is not read whole each time).
   */
  private learning(boardId: string, epoch: number): boolean {
    if (this.known.get(boardId, epoch)) return false;
    const now = Date.now();
    const last = this.learned.get(boardId);
    if (last !== undefined && now - last < LEARN_EVERY_MS) return false;
    this.learned.delete(boardId);
    this.learned.set(boardId, now);
    if (this.learned.size > LEARNED_BOARDS) this.learned.delete(this.learned.keys().next().value!);
    return true;
  }

  /** What was remembered of the board no longer holds (a batch on it failed). */
  private forget(boardId: string): void {
    this.known.forget(boardId);
    const run = this.runs.get(boardId);
    if (run) run.forgotten++;
  }

  private async runBatch(batch: Write[], holds: () => void): Promise<PromiseSettledResult<Outcome>[]> {
    const boardId = batch[0]!.board.id;
    let run = this.runs.get(boardId);
    if (!run) this.runs.set(boardId, (run = new BoardRun(this.chainDepth)));
    run.batches++;
    try {
      // A batch that reads decides on what it reads: one decided on memory meanwhile could be
      // decided on writes that batch may not make.
      const once = run.reading === 0 && this.oneTrip ? await this.runOneTrip(batch, run, holds) : undefined;
      if (once) {
        this.onBatch(batch.length, once.trips);
        return once.outcomes;
      }
      const outcomes = await this.readingInTurn(run, (decided) => this.runTwoTrips(batch, () => (decided(), holds())));
      this.onBatch(batch.length, once === undefined ? 2 : "again");
      return outcomes;
    } finally {
      if (--run.batches === 0) this.runs.delete(boardId);
    }
  }

  /**
   * A two-trip batch of the board, in turn (PERF-8): after every one-trip batch sent before it
   * has ended (one of them might commit the very head it would read), and once the reading
   * batches before it have decided (they hold the head), so batches take their seqs in the order
   * they started. `go` calls `decided` once its batch is decided: it holds the head, and what it
   * will leave is remembered, so batches after it may be decided on memory again.
   */
  private async readingInTurn<X>(run: BoardRun, go: (decided: () => void) => Promise<X>): Promise<X> {
    run.reading++;
    const before = run.turn;
    let mine!: () => void;
    run.turn = new Promise<void>((resolve) => (mine = resolve));
    let reading = true;
    const decided = () => {
      if (reading) run.reading--;
      reading = false;
      mine();
    };
    try {
      await before;
      await run.sentEnded();
      return await go(decided);
    } finally {
      decided();
    }
  }

  /**
   * SPEC PERF-7: the batch decided on what the node remembers of its board (`KnownBoards`), with
   * no read, its writes sent in one round trip (`ShardRows.oneTripBatch`: one statement, PERF-11,
   * or BEGIN … COMMIT), each stating the row it counts on. A conflict is answered on memory only
   * with a statement that checks the card is still as remembered at commit. Answers undefined when the batch must
   * read first: a card not remembered, or ever fenced (its lease is checked on fresh reads), a
   * write that would not apply otherwise (a refusal, a write lost to newer fields is answered on
   * fresh reads, never on memory), or nothing to log; null when the shard refused the batch (a
   * row changed since, a card or mutationId that exists: a replay), which then reads too. The
   * lease reader is not asked: a card never fenced needs no lease (LOCK-7), and the card
   * statement states it is unfenced.
   *
   * SPEC PERF-8: the memory is updated as the batch is sent, to what it will leave if it commits,
   * so the lane's next batch may be decided on it and sent at once, behind it on the board's
   * connection. If a batch fails, the memory is forgotten, and every batch sent behind it fails
   * too in the shard (it counts on a head that batch would have left); none is sent once the
   * memory it was decided on has been forgotten.
   */
  private async runOneTrip(batch: Write[], run: BoardRun, holds: () => void): Promise<{ outcomes: PromiseSettledResult<Outcome>[]; trips: 1 } | null | undefined> {
    const board = batch[0]!.board;
    const store = this.shardOf(board);
    const epoch = store.epoch;
    const known = this.known.get(board.id, epoch);
    if (!known) return undefined;
    const generation = run.forgotten;
    const cards = new Map<string, CardState | null>();
    for (const { mutation: m } of batch) {
      if (m.cardId === undefined) return undefined;
      const card = known.cards.get(m.cardId);
      // A new card's id need not be known: its INSERT fails if the id exists.
      if (card === undefined && m.kind !== "create") return undefined;
      if (card && needsLease(card)) return undefined;
      cards.set(m.cardId, card ?? null);
    }
    const from = known.head;
    const b: Batch = { size: batch.length, seq: from, closed: null, results: new Map(), cards, changes: [], applied: [], writes: [] };
    const out: Outcome[] = [];
    for (const w of batch) {
      const seen = b.cards.get(w.mutation.cardId!);
      const o = await this.applyOne(b, w);
      if (o.kind === "rejected") {
        // A conflict decided on memory is answered only if the card is as remembered at commit.
        if (o.error.code !== "CONFLICT" || !seen) return undefined;
        b.writes.push({ kind: "check", id: seen.id, from: seen.version });
      } else if (o.kind !== "applied" || !o.change) return undefined;
      out.push(o);
    }
    // Nothing to log: every write a conflict, answered as well on fresh reads.
    if (b.changes.length === 0) return undefined;
    run.sending++;
    try {
      await store.oneTrip(
        board.id,
        store.oneTripBatch(board.id, from, b.writes, b.changes, b.applied),
        () => {
          // What it will leave, for the next batch to be decided on (PERF-8).
          this.known.committed(board.id, epoch, from, b.seq, b.cards);
          // A small batch (a quiet board) lets the next start at once and go right behind it; a
          // larger one (a busy board) lets the writes arriving meanwhile gather for the next
          // until it ends: fewer, larger transactions.
          if (batch.length <= SMALL_BATCH) run.whenRoom(holds);
        },
        // Nothing forgotten since it was decided, and nobody reading the board meanwhile.
        () => run.forgotten === generation && run.reading === 0,
      );
    } catch (thrown) {
      this.forget(board.id);
      if (thrown instanceof Stale) return null;
      // A busy board or an unreachable shard is answered as on the two-trip path (PERF-1).
      if (isLockTimeout(thrown)) return { outcomes: batch.map(() => ({ status: "rejected", reason: new ConcordError("UNAVAILABLE", "the board is busy; try again") })), trips: 1 };
      if (isUnavailable(thrown)) return { outcomes: batch.map(() => ({ status: "rejected", reason: thrown })), trips: 1 };
      return null;
    } finally {
      run.sent();
    }
    return { outcomes: out.map((value) => ({ status: "fulfilled", value })), trips: 1 };
  }

  /**
   * SPEC PERF-1 in two round trips (`ShardStore.pipelined`): BEGIN, the head lock, the batch's
   * cards locked and its mutationIds' earlier results, pipelined; then every card statement, the
   * log rows, the new head and the applied mutations, pipelined with COMMIT. If the batch fails
   * as a whole (a database error), each write is run again in a batch of its own (the lane puts
   * it behind the batches started since, PERF-6) so one bad write cannot fail its neighbours.
   * `decided` tells its turn and the lane it is decided and holds the head: the next batch may
   * start (PERF-6, PERF-8).
   */
  private async runTwoTrips(batch: Write[], decided: () => void): Promise<PromiseSettledResult<Outcome>[]> {
    const board = batch[0]!.board;
    const store = this.shardOf(board);
    const epoch = store.epoch;
    const cardIds = [...new Set(batch.map((w) => w.mutation.cardId).filter((id): id is string => id !== undefined))];
    const learn = this.oneTrip && this.learning(board.id, epoch) ? LEARN_CARDS : 0;
    try {
      const outcomes = await store.pipelined(
        // The board's head row lock first: one writer per board at a time, on every node (FEED-1).
        (q) => store.batchReads<WriteResult>(q, board.id, batch.map((w) => w.mutation.mutationId), cardIds, learn),
        async ({ head, results, cards, board: all }) => {
          if (head === undefined) throw new ConcordError("NOT_FOUND", "board has no head on its shard");
          const b: Batch = { size: batch.length, seq: head.seq, closed: head.closed, results, cards, changes: [], applied: [], writes: [] };
          const out: Outcome[] = [];
          for (const w of batch) out.push(await this.applyOne(b, w));
          // What it will leave, for the next batch to be decided on (PERF-8), with the board's
          // other cards if it read them (PERF-7). The head is locked: the lane's next batch may
          // start and wait for it in the shard (PERF-6). A closed board is not remembered: its
          // writes read, and are refused (BOARD-8).
          const left = new Map<string, CardState | null>(all.map((c) => [c.id, c]));
          for (const [id, c] of b.cards) left.set(id, c);
          if (head.closed) this.forget(board.id);
          else this.known.committed(board.id, epoch, head.seq, b.seq, left);
          decided();
          return { value: out, writes: (q: Q) => store.batchWrites(q, board.id, b.writes, b.changes, b.applied) };
        },
      );
      return outcomes.map((value) => ({ status: "fulfilled", value }));
    } catch (thrown) {
      this.forget(board.id);
      // The head held past the batch's lock timeout (a move's prepared part, another node's
      // batch): the board is busy, try again (SPEC PERF-1).
      const err = isLockTimeout(thrown) ? new ConcordError("UNAVAILABLE", "the board is busy; try again") : thrown;
      // Only a database error of one write is worth retrying each write alone; a busy board or
      // an unreachable shard fails every write of the batch the same way.
      if (batch.length === 1 || err instanceof ConcordError || isUnavailable(err)) return batch.map(() => ({ status: "rejected", reason: err }));
      // Each write again in a batch of its own, behind the batches the lane has started since (PERF-6).
      return batch.map(() => ({ status: "rejected", reason: new RunAlone(err) }));
    }
  }

  private async applyOne(b: Batch, { board, writer, mutation: m }: Write): Promise<Outcome> {
    // IDEM-1: a mutationId seen before answers its first result and applies nothing.
    const replay = replayOf(b.results.get(m.mutationId), writer.id);
    if (replay instanceof ConcordError) return { kind: "rejected", error: replay };
    if (replay) return { kind: "replayed", result: replay };
    // BOARD-8: the head, read under its lock, says the board takes no new writes.
    if (b.closed) return { kind: "rejected", error: closedError(b.closed) };
    const state = (m.cardId !== undefined && b.cards.get(m.cardId)) || null;
    const lease = m.kind !== "create" && needsLease(state) && state!.boardId === board.id ? await this.leases.live(state!.id) : null;
    const d = decideWrite(state, m, { board, writer, now: Date.now(), stamp: () => this.clock.now(), lease });
    if (d.kind !== "applied") return { kind: "rejected", error: decisionError(d, board.policy) };
    // LWW-2: the node's clock merges every timestamp it accepts.
    if (board.policy === "lww" && m.kind !== "delete" && m.hlc !== undefined) this.clock.receive(m.hlc);
    const cardId = d.next?.id ?? state!.id;
    if (d.effect === "none") {
      // lww: every field lost to a newer one; nothing changes, nothing is logged.
      return this.answer(b, m.mutationId, writer, cardId, { card: toWireCard(state!, board.policy), seq: b.seq, ignored: d.ignored, batch: b.size });
    }
    if (d.effect === "insert") b.writes.push({ kind: "insert", card: d.next! });
    else if (d.effect === "update") b.writes.push({ kind: "update", card: d.next!, from: state!.version });
    else if (d.effect === "delete") b.writes.push({ kind: "delete", id: cardId, from: state!.version });
    else throw new Error(`a ${d.effect} is not a record write`);
    b.cards.set(cardId, d.next);
    const card = d.next ? toWireCard(d.next, board.policy) : null;
    const entry: ChangeEntry = {
      boardId: board.id, seq: ++b.seq, type: card ? "card.upsert" : "card.delete", card, cardId, mutationId: m.mutationId, by: writer.id,
      at: new Date().toISOString(),
    };
    b.changes.push(entry);
    const result: WriteResult = card
      ? { card, seq: entry.seq, ...(d.ignored ? { ignored: d.ignored } : {}), ...(d.dropped ? { dropped: d.dropped } : {}), batch: b.size }
      : { seq: entry.seq, batch: b.size };
    const outcome = this.answer(b, m.mutationId, writer, cardId, result);
    return { ...outcome, change: changeRecord(entry) };
  }

  /** Stores the result under the mutationId (at the batch's end) and answers it. */
  private answer(b: Batch, mutationId: string, writer: Writer, cardId: string, result: WriteResult): Extract<Outcome, { kind: "applied" }> {
    const row: AppliedRow<WriteResult> = { mutationId, userId: writer.id, cardId, result };
    b.applied.push(row);
    b.results.set(mutationId, row);
    return { kind: "applied", result };
  }
}
