/**
 * An observer: a client joined to every board that keeps a replica of each by applying changes
 * strictly in seq order (SPEC FEED-4: duplicates ignored, a jump buffered briefly then filled with
 * `board:join { since }`), re-joining after every reconnect (possibly to another node). What it
 * applies is recorded for the per-board log checker; its replicas are compared at the end.
 */
import type { VClient } from "./client";
import type { HistoryWriter, ObservedEntry, WireCardLike } from "./history";
import { applyChange, readBoard, type BoardInfo } from "./reads";

interface Replica {
  board: BoardInfo;
  seq: number;
  joined: boolean;
  syncing: boolean;
  cards: Map<string, WireCardLike>;
  buffer: Map<number, WireChange>;
  entries: ObservedEntry[];
  gapTimer: NodeJS.Timeout | null;
  synced: boolean;
}

interface WireChange {
  boardId: string;
  seq: number;
  type: "card.upsert" | "card.delete";
  cardId?: string;
  card?: WireCardLike | null;
  mutationId: string;
}

export class Observer {
  readonly replicas = new Map<string, Replica>();
  private stopped = false;

  constructor(
    readonly client: VClient,
    boards: BoardInfo[],
    private readonly history: HistoryWriter,
  ) {
    for (const b of boards) this.replicas.set(b.id, { board: b, seq: 0, joined: false, syncing: false, cards: new Map(), buffer: new Map(), entries: [], gapTimer: null, synced: false });
    client.onChange = (c) => this.heard(c as WireChange);
    client.onDisconnect = () => {
      for (const r of this.replicas.values()) r.joined = false;
      if (!this.stopped) setTimeout(() => void this.syncAll(), 200);
    };
  }

  private heard(c: WireChange): void {
    const r = this.replicas.get(c.boardId);
    if (!r || !r.joined || c.seq <= r.seq) return;
    r.buffer.set(c.seq, c);
    if (!r.syncing) this.drain(r);
  }

  private apply(r: Replica, c: WireChange): void {
    applyChange(r.cards, c);
    r.seq = c.seq;
    r.entries.push([c.seq, c.mutationId, c.type, c.cardId ?? c.card?.id ?? ""]);
  }

  private drain(r: Replica): void {
    for (const s of [...r.buffer.keys()]) if (s <= r.seq) r.buffer.delete(s);
    let next: WireChange | undefined;
    while ((next = r.buffer.get(r.seq + 1))) {
      r.buffer.delete(next.seq);
      this.apply(r, next);
    }
    if (r.buffer.size > 0 && !r.gapTimer) {
      r.gapTimer = setTimeout(() => {
        r.gapTimer = null;
        void this.sync(r);
      }, 300);
    }
  }

  /** Joins (or re-joins) one board: a snapshot the first time, else the changes since its seq. */
  async sync(r: Replica): Promise<boolean> {
    if (r.syncing || this.stopped) return false;
    r.syncing = true;
    try {
      const read = await readBoard(this.client, r.board, r.synced ? r.seq : undefined);
      if (!read.ok) return false;
      r.joined = true;
      r.synced = true;
      if (read.snapshot) {
        r.cards = new Map(read.cards);
        r.seq = read.snapshotSeq;
        r.entries.push(["reset", read.snapshotSeq]);
      }
      for (const ch of read.changes) if (ch.seq > r.seq) this.apply(r, { ...ch, boardId: r.board.id });
      return true;
    } finally {
      r.syncing = false;
      this.drain(r);
    }
  }

  async syncAll(): Promise<boolean> {
    let all = true;
    for (const r of this.replicas.values()) all = (await this.sync(r)) && all;
    return all;
  }

  /** Writes what was applied since the last flush to the history. */
  flush(): void {
    for (const r of this.replicas.values()) {
      if (r.entries.length === 0) continue;
      this.history.write({ type: "observed", observer: this.client.name, boardId: r.board.id, entries: r.entries });
      r.entries = [];
    }
  }

  stop(): void {
    this.stopped = true;
    this.flush();
  }
}
