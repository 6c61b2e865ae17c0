import type { CardState } from "../../lib/sync/write";

/** What this node remembers of one board: its head and cards as they were at that head. */
export interface KnownBoard {
  /** The shard epoch the board was read under (SPEC STANDBY-3): a failover makes it stale. */
  epoch: number;
  head: number;
  /** Cards as they were at `head`; null: known to be absent. */
  cards: Map<string, CardState | null>;
  /** `approxBytes` of `cards`, summed. */
  bytes: number;
}

/** How much the node remembers at most, over every board: 16 MiB of cards, as `approxBytes` counts them. */
export const KNOWN_BYTES_MAX = 16 * 1024 * 1024;

/**
 * A card's memory, roughly: two bytes a character of its strings (and of its mvr registers as
 * JSON) and a fixed part for the object. A bound in bytes, not in cards: a card may carry a
 * 20 000-character body, and eight of them as mvr values.
 */
export function approxBytes(c: CardState | null): number {
  if (!c) return 64;
  let chars = c.id.length + c.boardId.length + c.title.length + c.body.length + c.position.length + c.updatedBy.length;
  for (const t of c.tags) chars += t.length;
  if (c.registers) chars += JSON.stringify(c.registers).length;
  if (c.clock) chars += JSON.stringify(c.clock).length;
  if (c.hlc) chars += JSON.stringify(c.hlc).length;
  return 512 + 2 * chars;
}

/**
 * The boards this node's batches last read and wrote (SPEC PERF-7), so that a batch on a board
 * nobody else wrote since can be decided without reading and sent in one round trip. Nothing
 * here is trusted: every write sent on it states the rows it counted on, and the shard refuses
 * the batch if one changed (`concord_expect`). Bounded: past `max` bytes (`approxBytes`), the
 * boards used longest ago are forgotten first, then the oldest cards of the one left.
 */
export class KnownBoards {
  /** In order of use, the least recent first (a Map keeps insertion order). */
  private readonly boards = new Map<string, KnownBoard>();
  private size = 0;
  private bytes = 0;

  constructor(private readonly max = KNOWN_BYTES_MAX) {}

  /** The board as remembered under `epoch`, or undefined. */
  get(boardId: string, epoch: number): KnownBoard | undefined {
    const known = this.boards.get(boardId);
    if (!known) return undefined;
    if (known.epoch !== epoch) {
      this.forget(boardId);
      return undefined;
    }
    this.boards.delete(boardId);
    this.boards.set(boardId, known);
    return known;
  }

  /**
   * A batch committed: the board went from head `from` to head `to`, and `cards` are as the
   * batch left them. What was remembered at `from` still holds and is kept; what was remembered
   * at another head is not (someone else wrote in between), and only `cards` are kept.
   */
  committed(boardId: string, epoch: number, from: number, to: number, cards: Map<string, CardState | null>): void {
    let known = this.boards.get(boardId);
    if (!known || known.epoch !== epoch || known.head !== from) {
      this.forget(boardId);
      known = { epoch, head: to, cards: new Map(), bytes: 0 };
    }
    this.boards.delete(boardId);
    this.boards.set(boardId, known);
    known.head = to;
    for (const [id, card] of cards) {
      this.drop(known, id);
      const b = approxBytes(card);
      known.cards.set(id, card);
      known.bytes += b;
      this.bytes += b;
      this.size++;
    }
    this.evict();
  }

  /** The board is not as remembered (a batch on it failed): nothing of it is kept. */
  forget(boardId: string): void {
    const known = this.boards.get(boardId);
    if (!known) return;
    this.size -= known.cards.size;
    this.bytes -= known.bytes;
    this.boards.delete(boardId);
  }

  /** Cards remembered over every board. */
  cardCount(): number {
    return this.size;
  }

  /** Their `approxBytes`, summed. */
  byteCount(): number {
    return this.bytes;
  }

  private drop(known: KnownBoard, id: string): void {
    if (!known.cards.has(id)) return;
    const b = approxBytes(known.cards.get(id) ?? null);
    known.cards.delete(id);
    known.bytes -= b;
    this.bytes -= b;
    this.size--;
  }

  private evict(): void {
    for (const [boardId, known] of this.boards) {
      if (this.bytes <= this.max) return;
      if (this.boards.size > 1) {
        this.forget(boardId);
        continue;
      }
      for (const id of known.cards.keys()) {
        if (this.bytes <= this.max) return;
        this.drop(known, id);
      }
    }
  }
}
