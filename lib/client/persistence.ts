import type { HybridClock } from "../sync/hlc";
import type { Log } from "./inspector";
import type { Transport } from "./network";
import type { Replicas } from "./replicas";
import type { ReplicaStorage } from "./storage";
import type { PendingMutation } from "./types";

const PERSIST_DELAY_MS = 100;

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
 * Mirrors the replica to ReplicaStorage (SPEC REPLICA-2). Writes are serialized, so a put and a
 * later delete of one mutation land in that order; failures are logged, never thrown at the UI.
 */
export class Persistence {
  private chain: Promise<void> = Promise.resolve();
  /** Per mutation: the storage write that must finish before it may be sent. */
  private readonly saved = new Map<string, Promise<void>>();
  private readonly dirtyBoards = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: PersistenceDeps) {}

  /** A new outbox mutation: stored first, and sending it waits for that (`whenSaved`). */
  addMutation(m: PendingMutation): void {
    this.saved.set(m.mutationId, this.persist(() => this.deps.storage.putMutation(m)));
  }

  /** A mutation restored from storage is saved already. */
  restored(m: PendingMutation): void {
    this.saved.set(m.mutationId, Promise.resolve());
  }

  /** The storage write a mutation must wait for before it is sent (SPEC OUTBOX-1). */
  whenSaved(mutationId: string): Promise<void> | undefined {
    return this.saved.get(mutationId);
  }

  /** Stores a changed pending mutation (attempts, rebase). */
  putMutation(m: PendingMutation): void {
    this.persist(() => this.deps.storage.putMutation(m));
  }

  /** The mutation was answered definitively: it leaves storage. */
  deleteMutation(mutationId: string): void {
    this.persist(() => this.deps.storage.deleteMutation(mutationId));
    this.saved.delete(mutationId);
  }

  deleteBoard(boardId: string): void {
    this.persist(() => this.deps.storage.deleteBoard(boardId));
  }

  /** Board snapshots are a cache of the server's log, so they are saved in batches (every 100 ms). */
  markDirty(boardId: string): void {
    this.dirtyBoards.add(boardId);
    if (this.timer || this.deps.transport.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushBoards();
    }, PERSIST_DELAY_MS);
  }

  /** Saves the dirty boards and the HLC now. */
  flushBoards(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const id of this.dirtyBoards) {
      const replica = this.deps.replicas.get(id);
      if (replica) {
        const stored = replica.toStored();
        this.persist(() => this.deps.storage.saveBoard(stored));
      }
    }
    this.dirtyBoards.clear();
    const hlc = this.deps.clock.peek();
    this.persist(() => this.deps.storage.saveMeta({ hlc }));
  }

  /** Resolves once every queued storage write has finished. */
  async flush(): Promise<void> {
    this.flushBoards();
    await this.chain;
  }

  /** Queues a storage write behind the earlier ones. */
  private persist(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch((err: unknown) => {
      this.deps.log("local", "storage", `write failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.chain;
  }
}
