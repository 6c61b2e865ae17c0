import type { Card, User } from "../protocol";
import type { BoardExtras, BoardExtrasMap } from "./board-extras";
import type { BoardReplica } from "./board-replica";
import type { Outbox } from "./outbox";
import type { Replicas } from "./replicas";
import type { ClientStore } from "./store";
import type { BoardState, PendingMutation } from "./types";
import { computeView, type Lookup, type ViewWriter } from "./view";

export interface BoardSnapshotsDeps {
  store: ClientStore;
  outbox: Outbox;
  /** Who writes in this tab: the view decides its pending writes as theirs. */
  user: User;
  replicaId: string;
  now: () => number;
  replicas: Replicas;
  /** Per-board locks, presence and highlights; a change of them rebuilds that board. */
  extras: BoardExtrasMap;
}

/**
 * Keeps the snapshot's `boards` and `pending` in step with the replicas, their extras and the
 * outbox. Only the boards named are rebuilt, so only they get a new identity.
 */
export class BoardSnapshots {
  /** Inside `batch`: the boards to rebuild at its end. */
  private held: Set<string> | null = null;
  /** SPEC FEED-7: first pages shown for boards that have no replica yet. */
  private readonly previews = new Map<string, BoardReplica>();

  constructor(private readonly deps: BoardSnapshotsDeps) {
    deps.extras.onChange((boardId) => this.refresh([boardId]));
  }

  /** The outbox changed: new `pending` list, and the views of the boards it touches. */
  outboxChanged(boardIds: string[]): void {
    this.pendingChanged();
    this.refresh(boardIds);
  }

  /** Only the pending list changed (attempts, set-aside marks), not what any board shows. */
  pendingChanged(): void {
    this.deps.store.set({ pending: this.deps.outbox.pending() });
  }

  /**
   * Runs `fn`, rebuilding each board it refreshes once, at its end (an incoming change touches
   * highlights, the outbox and the confirmed state: one rebuild, not one per part).
   */
  batch(fn: () => void): void {
    if (this.held) return fn();
    this.held = new Set();
    try {
      fn();
    } finally {
      const ids = this.held;
      this.held = null;
      this.refresh(ids);
    }
  }

  /** SPEC FEED-7: shows `partial` (a first page) for a board with no replica yet, marked `loading`. */
  preview(boardId: string, partial: BoardReplica): void {
    if (this.deps.replicas.get(boardId)) return;
    this.previews.set(boardId, partial);
    this.refresh([boardId]);
  }

  forgetPreview(boardId: string): void {
    this.previews.delete(boardId);
  }

  /** Rebuilds the snapshots of these boards (only these get a new identity). */
  refresh(boardIds: Iterable<string>): void {
    if (this.held) {
      for (const id of boardIds) this.held.add(id);
      return;
    }
    const boards = rebuildBoards(this.deps.store.get().boards, boardIds, (id) => this.build(id));
    if (boards) this.deps.store.set({ boards });
  }

  private build(boardId: string): BoardState | undefined {
    const { replicas, extras, outbox, user, replicaId, now } = this.deps;
    const r = replicas.get(boardId);
    if (r) this.previews.delete(boardId);
    const shown = r ?? this.previews.get(boardId);
    if (!shown) return undefined;
    const writer = { id: user.id, name: user.name, replicaId, now: now() };
    const state = boardState(boardId, shown, extras.get(boardId), outbox.overlay(), writer, (cardId) => replicas.confirmedCard(cardId));
    return r ? state : { ...state, loading: true };
  }
}

/**
 * One board's snapshot: its confirmed state, the view (confirmed with the outbox on top, SPEC
 * OUTBOX-2) and its extras. `confirmedAnywhere` finds a card on any board (a pending move's view
 * borrows the card from its source board).
 */
function boardState(
  boardId: string,
  replica: BoardReplica,
  extras: BoardExtras,
  overlay: PendingMutation[],
  writer: ViewWriter,
  confirmedAnywhere: Lookup,
): BoardState {
  const cards = computeView(boardId, replica.board.policy, replica.confirmed, overlay, writer, confirmedAnywhere);
  return {
    board: replica.board,
    seq: replica.seq,
    confirmed: replica.confirmed,
    cards,
    highlights: extras.highlights,
    locks: extras.locks,
    presence: extras.presence,
    presenceTotal: extras.presenceTotal,
  };
}

/**
 * `boards` with these boards rebuilt by `build` (removed when it gives nothing), or undefined
 * when none changed. Only the rebuilt boards get a new identity.
 */
function rebuildBoards(
  boards: Record<string, BoardState>,
  boardIds: Iterable<string>,
  build: (boardId: string) => BoardState | undefined,
): Record<string, BoardState> | undefined {
  const next = { ...boards };
  let changed = false;
  for (const id of new Set(boardIds)) {
    const built = build(id);
    if (built) next[id] = built;
    else if (id in next) delete next[id];
    else continue;
    changed = true;
  }
  return changed ? next : undefined;
}

/** Boards with a pending move of a card out of `boardId` (their view borrows its card). */
export function boardsMovingFrom(overlay: readonly PendingMutation[], boardId: string): string[] {
  return overlay.flatMap((m) => (m.kind === "move" && m.boardId === boardId ? [m.toBoardId] : []));
}

/** Where a card is shown (pending creates and moves included). */
export function findCard(boards: Record<string, BoardState>, cardId: string): { boardId: string; card: Card } | undefined {
  for (const [boardId, b] of Object.entries(boards)) {
    const card = b.cards[cardId];
    if (card) return { boardId, card };
  }
  return undefined;
}
