import type { User } from "../protocol";
import type { ClientState } from "./types";

/** The state a client starts from: signed in as `user`, offline, nothing loaded. */
export function initialState(user: User, replicaId: string): ClientState {
  return {
    user,
    replicaId,
    nodeId: null,
    connection: "offline",
    catchingUp: 0,
    boards: {},
    boardList: [],
    pending: [],
    conflicts: [],
    notices: [],
    events: [],
    network: { offline: false, latencyMs: 0, dropNextAck: false },
    leases: {},
    leaseSim: { sendAnyway: false, paused: false },
    lastTx: null,
    moves: [],
    faults: null,
    crashArmed: null,
    authError: false,
    removedBoards: {},
  };
}

/**
 * The client's state as an immutable snapshot for `useSyncExternalStore`: every `set` makes a
 * new object, and listeners are notified once per microtask however many sets happened.
 */
export class ClientStore {
  private state: ClientState;
  private readonly listeners = new Set<() => void>();
  private notifyQueued = false;

  constructor(initial: ClientState) {
    this.state = initial;
  }

  /** The current snapshot (the same object until the next `set`). */
  get(): ClientState {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(patch: Partial<ClientState>): void {
    this.state = { ...this.state, ...patch };
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const l of [...this.listeners]) l();
    });
  }
}
