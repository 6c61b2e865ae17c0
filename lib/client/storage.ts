import type { Board, Card } from "../protocol";
import { sortOutbox } from "./pending";
import type { PendingMutation } from "./types";

/** What a replica keeps of one board: enough to show it offline and to catch up from `seq`. */
export interface StoredBoard {
  board: Board;
  seq: number;
  confirmed: Record<string, Card>;
}

/** Replica-wide metadata: the HLC's last timestamp, so a reloaded tab never issues an older one. */
export interface ReplicaMeta {
  hlc?: string;
}

/** Everything a replica restores on start. `outbox` is in send order. */
export interface ReplicaSnapshot {
  boards: StoredBoard[];
  outbox: PendingMutation[];
  /** The HLC's last timestamp (ReplicaMeta.hlc), when one was saved. */
  clock?: string;
}

/**
 * Storage writes made together, applied in one transaction (all or nothing). Boards are stored
 * as their cursor plus one record per card, so a change rewrites the cards it changed, not the
 * board. Within a batch: board and card deletes first, then the puts.
 */
export interface StorageBatch {
  /** Boards whose cursor moved (`board`, `seq`); their cards come in `putCards` / `deleteCards`. */
  boards?: { board: Board; seq: number }[];
  putCards?: { boardId: string; card: Card }[];
  deleteCards?: { boardId: string; cardId: string }[];
  /** Boards forgotten, with all their cards. */
  deleteBoards?: string[];
  /** Inserts or replaces by mutationId (new writes, rebases, set-aside marks). */
  putMutations?: PendingMutation[];
  deleteMutations?: string[];
  meta?: ReplicaMeta;
}

/**
 * Durable state of one replica (one browser tab). The client awaits the batch holding a new
 * mutation before it sends that mutation, so a write that reached the server is always also in
 * the outbox until acknowledged (the exactly-once replay relies on it, SPEC OUTBOX-1).
 */
export interface ReplicaStorage {
  loadAll(): Promise<ReplicaSnapshot>;
  /** Applies a batch in one transaction. */
  write(batch: StorageBatch): Promise<void>;
  /** Releases resources (for example the IndexedDB connection). */
  close?(): void;
}

/** The default storage: in memory, so it lasts as long as the page (no offline reload). */
export class MemoryStorage implements ReplicaStorage {
  private readonly boards = new Map<string, { board: Board; seq: number; confirmed: Map<string, Card> }>();
  private readonly outbox = new Map<string, PendingMutation>();
  private meta: ReplicaMeta = {};

  async loadAll(): Promise<ReplicaSnapshot> {
    return structuredClone({
      boards: [...this.boards.values()].map((b) => ({ board: b.board, seq: b.seq, confirmed: Object.fromEntries(b.confirmed) })),
      outbox: sortOutbox([...this.outbox.values()]),
      ...(this.meta.hlc ? { clock: this.meta.hlc } : {}),
    });
  }

  async write(batch: StorageBatch): Promise<void> {
    const b = structuredClone(batch);
    for (const id of b.deleteBoards ?? []) this.boards.delete(id);
    for (const { board, seq } of b.boards ?? []) {
      const prev = this.boards.get(board.id);
      this.boards.set(board.id, { board, seq, confirmed: prev?.confirmed ?? new Map() });
    }
    for (const { boardId, cardId } of b.deleteCards ?? []) this.boards.get(boardId)?.confirmed.delete(cardId);
    for (const { boardId, card } of b.putCards ?? []) this.boards.get(boardId)?.confirmed.set(card.id, card);
    for (const id of b.deleteMutations ?? []) this.outbox.delete(id);
    for (const m of b.putMutations ?? []) this.outbox.set(m.mutationId, m);
    if (b.meta) this.meta = { ...this.meta, ...b.meta };
  }
}
