import type { Card } from "../protocol";
import { diffCards } from "./card-table";
import type { HybridClock } from "../sync/hlc";
import type { Log } from "./inspector";
import type { Transport } from "./network";
import type { Replicas } from "./replicas";
import type { ReplicaStorage, StorageBatch, StoredBoard } from "./storage";
import type { PendingMutation } from "./types";

/** Board changes are a cache of the server's log: they are gathered this long before being stored. */
const BOARD_DELAY_MS = 100;

export interface PersistenceDeps {
  storage: ReplicaStorage;
  log: Log;
  replicas: Replicas;
  /** Its last timestamp is stored with the boards (SPEC LWW-2: never backwards after a reload). */
  clock: HybridClock;
  /** No timers are started once it is closed. */
  transport: Pick<Transport, "closed">;
}

/**
 * Mirrors the replica to ReplicaStorage (SPEC REPLICA-2) in batches: every outbox change made in
 * one task goes in one storage transaction at the end of it (a new write is sent only once its
 * batch is stored, SPEC OUTBOX-1); board changes are gathered for BOARD_DELAY_MS and store only
 * the cards that changed since the board was last stored. Batches are written one after the
 * other, so a put and a later delete of one mutation land in that order; failures are logged,
 * never thrown at the UI.
 */
export class Persistence {
  private chain: Promise<void> = Promise.resolve();
  /** Per mutation: the storage write that must finish before it may be sent. */
  private readonly saved = new Map<string, Promise<void>>();
  /** Outbox changes not yet written: a mutation to put, or null to delete it. */
  private readonly mutations = new Map<string, PendingMutation | null>();
  private readonly dirtyBoards = new Set<string>();
  private readonly deletedBoards = new Set<string>();
  /** Per board, its cards as last stored (the version then: BoardReplica makes a new one per change, sharing what did not change). */
  private readonly stored = new Map<string, Record<string, Card>>();
  /** The batch gathered in this task, written at its end. */
  private soon: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: PersistenceDeps) {}

  /** A new outbox mutation: stored first, and sending it waits for that (`whenSaved`). */
  addMutation(m: PendingMutation): void {
    this.mutations.set(m.mutationId, m);
    this.saved.set(m.mutationId, this.writeSoon());
  }

  /** A mutation restored from storage is saved already. */
  restored(m: PendingMutation): void {
    this.saved.set(m.mutationId, Promise.resolve());
  }

  /** A board restored from storage: what is stored of it, to store only what changes later. */
  restoredBoard(board: StoredBoard): void {
    this.stored.set(board.board.id, board.confirmed);
  }

  /** The storage write a mutation must wait for before it is sent (SPEC OUTBOX-1). */
  whenSaved(mutationId: string): Promise<void> | undefined {
    return this.saved.get(mutationId);
  }

  /** Stores a changed pending mutation (rebase, failures, set-aside mark). */
  putMutation(m: PendingMutation): void {
    this.mutations.set(m.mutationId, m);
    void this.writeSoon();
  }

  /** The mutation was answered definitively: it leaves storage. */
  deleteMutation(mutationId: string): void {
    this.mutations.set(mutationId, null);
    this.saved.delete(mutationId);
    void this.writeSoon();
  }

  deleteBoard(boardId: string): void {
    this.dirtyBoards.delete(boardId);
    this.stored.delete(boardId);
    this.deletedBoards.add(boardId);
    void this.writeSoon();
  }

  /** A board's confirmed state changed: stored with the next board batch (within BOARD_DELAY_MS). */
  markDirty(boardId: string): void {
    this.dirtyBoards.add(boardId);
    if (this.timer || this.deps.transport.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushBoards();
    }, BOARD_DELAY_MS);
  }

  /** Stores the dirty boards and the HLC now (with whatever else is waiting). */
  flushBoards(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.write(true);
  }

  /** Resolves once every queued storage write has finished. */
  async flush(): Promise<void> {
    this.flushBoards();
    await this.chain;
  }

  /** The batch of this task: written once the current task's changes are all in. */
  private writeSoon(): Promise<void> {
    this.soon ??= new Promise<void>((resolve) =>
      queueMicrotask(() => {
        this.soon = null;
        resolve(this.write(false));
      }),
    );
    return this.soon;
  }

  /** Writes what is waiting (boards too when `withBoards`) as one batch behind the earlier ones. */
  private write(withBoards: boolean): Promise<void> {
    const batch = this.take(withBoards);
    if (!batch) return this.chain;
    this.chain = this.chain
      .then(() => this.deps.storage.write(batch))
      .catch((err: unknown) => {
        this.deps.log("local", "storage", `write failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    return this.chain;
  }

  private take(withBoards: boolean): StorageBatch | null {
    const batch: StorageBatch = {};
    if (this.mutations.size > 0) {
      const all = [...this.mutations];
      batch.putMutations = all.flatMap(([, m]) => (m ? [m] : []));
      batch.deleteMutations = all.flatMap(([id, m]) => (m ? [] : [id]));
      this.mutations.clear();
    }
    if (this.deletedBoards.size > 0) {
      batch.deleteBoards = [...this.deletedBoards];
      this.deletedBoards.clear();
    }
    if (withBoards) {
      batch.boards = [];
      batch.putCards = [];
      batch.deleteCards = [];
      for (const id of this.dirtyBoards) {
        const replica = this.deps.replicas.get(id);
        if (!replica) continue;
        const { board, seq, confirmed } = replica.toStored();
        const before = this.stored.get(id) ?? {};
        batch.boards.push({ board, seq });
        // SPEC REPLICA-4: the versions share every untouched bucket, so this reads what changed, not the board.
        const puts = batch.putCards;
        const deletes = batch.deleteCards;
        diffCards(before, confirmed, (card) => puts.push({ boardId: id, card }), (cardId) => deletes.push({ boardId: id, cardId }));
        this.stored.set(id, confirmed);
      }
      this.dirtyBoards.clear();
      batch.meta = { hlc: this.deps.clock.peek() };
    }
    return Object.keys(batch).length > 0 ? batch : null;
  }
}
