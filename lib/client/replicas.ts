import type { Card, Policy } from "../protocol";
import type { BoardReplica } from "./board-replica";

/**
 * The boards this tab holds (each one's confirmed state, SPEC FEED-2) and which of them it
 * follows. BoardFeed keeps them up to date; the views, storage and settling read them.
 */
export class Replicas {
  private readonly boards = new Map<string, BoardReplica>();
  private readonly joinedIds = new Set<string>();

  get(boardId: string): BoardReplica | undefined {
    return this.boards.get(boardId);
  }

  set(replica: BoardReplica): void {
    this.boards.set(replica.board.id, replica);
  }

  /** Every board held (joined or not). */
  all(): IterableIterator<BoardReplica> {
    return this.boards.values();
  }

  ids(): string[] {
    return [...this.boards.keys()];
  }

  /** The confirmed card with this id, on whichever board holds it, and that board's policy. */
  confirmedCard(cardId: string): { card: Card; policy: Policy } | undefined {
    for (const r of this.boards.values()) {
      const card = r.confirmed[cardId];
      if (card) return { card, policy: r.board.policy };
    }
    return undefined;
  }

  join(boardId: string): void {
    this.joinedIds.add(boardId);
  }

  /** Stops following a board (its copy stays); false when it was not followed. */
  leave(boardId: string): boolean {
    return this.joinedIds.delete(boardId);
  }

  isJoined(boardId: string): boolean {
    return this.joinedIds.has(boardId);
  }

  joined(): string[] {
    return [...this.joinedIds];
  }

  /** Forgets a board entirely (gone, or no longer ours). */
  forget(boardId: string): void {
    this.joinedIds.delete(boardId);
    this.boards.delete(boardId);
  }
}
