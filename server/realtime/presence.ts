import type { Server } from "socket.io";
import type { PresenceUser } from "../../lib/protocol";
import { batchRoom, boardRoom, type Broadcaster } from "./broadcaster";
import type { SocketData } from "./handlers";

/**
 * Presence is derived, not stored: who is on a board is whoever has a socket in its room, on
 * any node (fetchSockets goes through the adapter). Announcements are coalesced per board.
 */
export class PresenceTracker {
  private readonly due = new Map<string, NodeJS.Timeout>();

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly io: Server<any, any, any, SocketData>,
    private readonly broadcaster: Broadcaster,
  ) {}

  announce(boardId: string): Promise<void> {
    if (!this.due.has(boardId)) {
      this.due.set(boardId, setTimeout(() => void this.send(boardId), 50));
    }
    return Promise.resolve();
  }

  private async send(boardId: string): Promise<void> {
    this.due.delete(boardId);
    try {
      const sockets = await this.io.in([boardRoom(boardId), batchRoom(boardId)]).fetchSockets();
      const users = new Map<string, PresenceUser>();
      for (const s of sockets) {
        const data = s.data as SocketData | undefined;
        if (!data?.user) continue;
        const cardId = data.boards instanceof Map ? data.boards.get(boardId) : undefined;
        const prev = users.get(data.user.id);
        users.set(data.user.id, { id: data.user.id, name: data.user.name, ...(cardId ?? prev?.cardId ? { cardId: cardId ?? prev?.cardId } : {}) });
      }
      this.broadcaster.presence(boardId, [...users.values()]);
    } catch {
      /* presence is best effort; the next join or leave announces again */
    }
  }

  close(): void {
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
  }
}

/** Broadcasts `lock: null` when a lease this node granted or renewed runs out unrenewed. */
export class LockExpiryWatch {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly broadcaster: Broadcaster) {}

  watch(boardId: string, lock: { cardId: string; expiresAt: string }): void {
    const prev = this.timers.get(lock.cardId);
    if (prev) clearTimeout(prev);
    const ms = Math.max(0, new Date(lock.expiresAt).getTime() - Date.now()) + 50;
    this.timers.set(lock.cardId, setTimeout(() => {
      this.timers.delete(lock.cardId);
      this.broadcaster.lock(boardId, lock.cardId, null);
    }, ms).unref());
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
