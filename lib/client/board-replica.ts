import type { Board, Card, Change } from "../protocol";
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
  /** Immutable: replaced (never mutated) on every change, so snapshots can share it. */
  confirmed: Record<string, Card>;
  private readonly buffer = new Map<number, Change>();

  constructor(stored: StoredBoard) {
    this.board = stored.board;
    this.seq = stored.seq;
    this.confirmed = stored.confirmed;
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
    this.confirmed = Object.fromEntries(cards.map((c) => [c.id, c]));
    return this.applyRun([]);
  }

  /** Applies `first` then every buffered change that follows without a gap; drops stale buffer entries. */
  private applyRun(first: Change[]): Change[] {
    const applied: Change[] = [];
    let next = this.confirmed;
    const apply = (c: Change) => {
      next = applyChange(next, c);
      this.seq = c.seq;
      applied.push(c);
    };
    if (first.length > 0) next = { ...next };
    for (const c of first) apply(c);
    for (const s of [...this.buffer.keys()]) if (s <= this.seq) this.buffer.delete(s);
    for (let c = this.buffer.get(this.seq + 1); c; c = this.buffer.get(this.seq + 1)) {
      if (applied.length === 0) next = { ...next };
      this.buffer.delete(c.seq);
      apply(c);
    }
    if (applied.length > 0) {
      this.confirmed = next;
      this.board = { ...this.board, seq: this.seq };
    }
    return applied;
  }
}

/** Applies one change to a (fresh, owned) card record in place and returns it. */
function applyChange(cards: Record<string, Card>, c: Change): Record<string, Card> {
  if (c.type === "card.upsert" && c.card) {
    cards[c.card.id] = c.card;
  } else {
    const id = c.cardId ?? c.card?.id;
    if (id) delete cards[id];
  }
  return cards;
}
