import type { Board, Card, Change } from "../protocol";
import { BoardReplica } from "./board-replica";
import { cardRecord } from "./card-table";
import type { BoardExtrasMap } from "./board-extras";
import type { FeedListener } from "./board-feed";
import type { Notices } from "./notices";
import type { Outbox } from "./outbox";
import type { Acked } from "./outbox-sender";
import { touchedBoards } from "./pending";
import type { Persistence } from "./persistence";
import type { Replicas } from "./replicas";
import { boardsMovingFrom, type BoardSnapshots } from "./snapshot";
import type { ClientStore } from "./store";
import type { PendingMutation } from "./types";

export interface ConfirmationsDeps {
  store: ClientStore;
  now: () => number;
  userId: string;
  replicas: Replicas;
  outbox: Outbox;
  extras: BoardExtrasMap;
  notices: Notices;
  persistence: Persistence;
  snapshots: BoardSnapshots;
}

/**
 * What follows when the server confirms something: changes applied to a board's confirmed state
 * (BoardFeed) and acks of this tab's writes (OutboxSender). Both may settle outbox entries whose
 * effect the confirmed state now shows (SPEC OUTBOX-2); each rebuilds the views it touches once.
 */
export class Confirmations implements FeedListener {
  constructor(private readonly deps: ConfirmationsDeps) {}

  /** Changes were applied in seq order: highlights, lww notices, settling, storage, one rebuild of the view. */
  applied(boardId: string, applied: Change[], catchUpCount: number): void {
    const { store, now: clock, userId, extras, notices, persistence, snapshots, outbox } = this.deps;
    const state = store.get();
    if (state.connection === "catching-up" && catchUpCount > 0) store.set({ catchingUp: state.catchingUp + catchUpCount });
    const now = clock();
    snapshots.batch(() => {
      const highlights: Record<string, number> = {};
      for (const c of applied) {
        const cardId = c.card?.id ?? c.cardId;
        if (cardId && c.by !== userId) highlights[cardId] = now;
        if (c.card) notices.lwwChanged(boardId, c);
      }
      if (Object.keys(highlights).length > 0) extras.highlight(boardId, highlights, now);
      if (this.settle(boardId)) snapshots.outboxChanged([boardId]);
      snapshots.refresh([boardId, ...boardsMovingFrom(outbox.overlay(), boardId)]);
    });
    persistence.markDirty(boardId);
  }

  /** SPEC FEED-7: shown until the board's replica exists (BoardSnapshots drops it then). */
  preview(boardId: string, board: Board, seq: number, cards: readonly Card[]): void {
    this.deps.snapshots.preview(boardId, new BoardReplica({ board, seq, confirmed: cardRecord(cards) }));
  }

  /** The board is gone or no longer ours (the feed forgot it already): forget the rest. */
  dropped(boardId: string): void {
    this.deps.snapshots.forgetPreview(boardId);
    const { store, extras, persistence } = this.deps;
    extras.delete(boardId);
    persistence.deleteBoard(boardId);
    const boards = { ...store.get().boards };
    delete boards[boardId];
    store.set({ boards });
  }

  /** An ack was recorded (OutboxSender): lww and mvr notices, then settle what the confirmed state already shows. */
  acked(m: PendingMutation, out: Acked): void {
    const { notices, replicas, snapshots } = this.deps;
    notices.lwwAcked(m, replicas.get(m.boardId)?.board.policy, out);
    notices.mvrAcked(m, out);
    this.settle(m.boardId);
    snapshots.outboxChanged(touchedBoards(m));
  }

  /**
   * Removes acknowledged writes whose effect the confirmed state now shows (SPEC OUTBOX-2): the
   * board reached the seq of its change (a move's: its `fromSeq`, the delete on this board), or,
   * without a seq, the card has left the board.
   */
  private settle(boardId: string): boolean {
    const { replicas, outbox } = this.deps;
    const replica = replicas.get(boardId);
    return outbox.settle((e) => {
      if (e.mutation.boardId !== boardId) return false;
      if (!replica || !replicas.isJoined(boardId)) return true;
      return e.acked?.seq !== undefined ? replica.seq >= e.acked.seq : !(e.mutation.cardId in replica.confirmed);
    });
  }
}
