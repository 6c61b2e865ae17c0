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
 * Durable state of one replica (one browser tab). Every method is async and the client awaits
 * `putMutation` before it sends that mutation, so a write that reached the server is always
 * also in the outbox until acknowledged (the exactly-once replay relies on it).
 */
export interface ReplicaStorage {
  loadAll(): Promise<ReplicaSnapshot>;
  saveBoard(state: StoredBoard): Promise<void>;
  deleteBoard(boardId: string): Promise<void>;
  /** Inserts or replaces (by mutationId): also used to record attempts and rebases. */
  putMutation(m: PendingMutation): Promise<void>;
  deleteMutation(mutationId: string): Promise<void>;
  saveMeta(meta: ReplicaMeta): Promise<void>;
  /** Releases resources (for example the IndexedDB connection). */
  close?(): void;
}

/** The default storage: in memory, so it lasts as long as the page (no offline reload). */
export class MemoryStorage implements ReplicaStorage {
  private readonly boards = new Map<string, StoredBoard>();
  private readonly outbox = new Map<string, PendingMutation>();
  private meta: ReplicaMeta = {};

  async loadAll(): Promise<ReplicaSnapshot> {
    return {
      boards: structuredClone([...this.boards.values()]),
      outbox: sortOutbox(structuredClone([...this.outbox.values()])),
      ...(this.meta.hlc ? { clock: this.meta.hlc } : {}),
    };
  }
  async saveBoard(state: StoredBoard): Promise<void> {
    this.boards.set(state.board.id, structuredClone(state));
  }
  async deleteBoard(boardId: string): Promise<void> {
    this.boards.delete(boardId);
  }
  async putMutation(m: PendingMutation): Promise<void> {
    this.outbox.set(m.mutationId, structuredClone(m));
  }
  async deleteMutation(mutationId: string): Promise<void> {
    this.outbox.delete(mutationId);
  }
  async saveMeta(meta: ReplicaMeta): Promise<void> {
    this.meta = { ...this.meta, ...meta };
  }
}
