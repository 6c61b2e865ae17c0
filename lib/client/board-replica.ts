import type { Board, Card, Change } from "../protocol";
import { cardRecord, withChanges } from "./card-table";
import type { StoredBoard } from "./storage";

/** Above this many buffered out-of-order changes, catch up at once instead of waiting for the gap to fill. */
export const MAX_BUFFERED = 64;

/** What offering a change did: applied (with every change it unblocked), a duplicate, or buffered behind a gap. */
export type OfferResult = { kind: "applied"; applied: Change[] } | { kind: "duplicate" } | { kind: "buffered" };

/**
 * The confirmed state of one board as the server's change log defines it (SPEC FEED-2): a
 * cursor `seq` and the cards after applying changes 1..seq, strictly in order. A change at or
 * below the cursor is a duplicate; one past a gap waits in a buffer until the gap is filled
 * (by a late broadcast, or by a catch-up `board:join { since }`).
 */
export class BoardReplica {
  board: Board;
  seq: number;
  /**
   * Immutable: replaced (never mutated) on every change, so snapshots can share it. A new version
   * shares every card bucket the change did not touch (card-table.ts, SPEC REPLICA-4): applying a
   * change does not copy the board.
   */
  confirmed: Record<string, Card>;
  private readonly buffer = new Map<number, Change>();

  constructor(stored: StoredBoard) {
    this.board = stored.board;
    this.seq = stored.seq;
    this.confirmed = withChanges(stored.confirmed, new Map());
  }

  /** The durable form (board, cursor, cards). */
  toStored(): StoredBoard {
    return { board: { ...this.board, seq: this.seq }, seq: this.seq, confirmed: this.confirmed };
  }

  /** Number of changes waiting behind a gap. */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Offers one change from the live stream. */
  offer(change: Change): OfferResult {
    if (change.seq <= this.seq) return { kind: "duplicate" };
    if (change.seq > this.seq + 1) {
      this.buffer.set(change.seq, change);
      return { kind: "buffered" };
    }
    return { kind: "applied", applied: this.applyRun([change]) };
  }

  /**
   * Applies the `changes` of a catch-up reply (everything after our cursor, in order), then
   * whatever buffered changes follow them. Changes at or below the cursor are skipped, since
   * live broadcasts may have delivered some of them meanwhile.
   */
  catchUp(changes: readonly Change[]): Change[] {
    const fresh = [...changes].sort((a, b) => a.seq - b.seq).filter((c) => c.seq > this.seq);
    for (const c of fresh) this.buffer.set(c.seq, c);
    return this.applyRun([]);
  }

  /** Replaces everything with a snapshot (first join, or `reset: true`), keeping later buffered changes. */
  reset(board: Board, seq: number, cards: readonly Card[]): Change[] {
    this.board = board;
    this.seq = seq;
    this.confirmed = cardRecord(cards);
    return this.applyRun([]);
  }

  /** Applies `first` then every buffered change that follows without a gap; drops stale buffer entries. */
  private applyRun(first: Change[]): Change[] {
    const applied: Change[] = [];
    /** The run's effect per card id (a card, or null: removed), applied as one new version. */
    const changed = new Map<string, Card | null>();
    const apply = (c: Change) => {
      if (c.type === "card.upsert" && c.card) changed.set(c.card.id, c.card);
      else {
        const id = c.cardId ?? c.card?.id;
        if (id) changed.set(id, null);
      }
      this.seq = c.seq;
      applied.push(c);
    };
    for (const c of first) apply(c);
    for (const s of [...this.buffer.keys()]) if (s <= this.seq) this.buffer.delete(s);
    for (let c = this.buffer.get(this.seq + 1); c; c = this.buffer.get(this.seq + 1)) {
      this.buffer.delete(c.seq);
      apply(c);
    }
    if (applied.length > 0) {
      this.confirmed = withChanges(this.confirmed, changed);
      this.board = { ...this.board, seq: this.seq };
    }
    return applied;
  }
}
