import type { Server } from "socket.io";
import { LIMITS, type PresenceUser } from "../../lib/protocol";
import { batchRoom, boardRoom, type Broadcaster } from "./broadcaster";
import type { SocketData } from "./handlers";

/** What happened on one board on this node since the last tick. */
interface BoardTick {
  /** Sockets that joined: each gets the full (capped) list once the tick is sent. */
  joiners: Set<string>;
  /** Users whose socket joined or whose focus changed: announced if they are (still) on the board. */
  touched: Set<string>;
  /** Users whose socket left: announced as gone if no socket of theirs is on the board any more. */
  leavers: Set<string>;
}

/**
 * Presence is derived, not stored: who is on a board is whoever has a socket in its room, on
 * any node (fetchSockets goes through the adapter). SPEC PRES-1: what changed on a board is
 * coalesced per tick into one small `presence:delta` (users who arrived or changed focus, users
 * who left, the total), checked against that truth so a second tab is no arrival and a closed
 * tab no departure while another stays; the full list, capped at LIMITS.presenceListed, goes
 * only to the sockets that joined. Sockets that did not opt in (`auth.presenceDelta`) get the
 * capped `presence` list instead, once per tick.
 */
export class PresenceTracker {
  private readonly ticks = new Map<string, BoardTick>();
  private timer: NodeJS.Timeout | null = null;
  /** People on the largest board at the last tick: a crowded board ticks less often (one delta reaches everyone on it). */
  private largest = 0;

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly io: Server<any, any, any, SocketData>,
    private readonly broadcaster: Broadcaster,
    private readonly tickMs = 50,
  ) {}

  /** A socket of `userId` joined the board. */
  joined(boardId: string, socketId: string, userId: string): void {
    const t = this.tick(boardId);
    t.joiners.add(socketId);
    t.touched.add(userId);
  }

  /** A socket of `userId` left the board (or disconnected). */
  left(boardId: string, userId: string): void {
    this.tick(boardId).leavers.add(userId);
  }

  /** `userId` looks at another card. */
  focused(boardId: string, userId: string): void {
    this.tick(boardId).touched.add(userId);
  }

  private tick(boardId: string): BoardTick {
    let t = this.ticks.get(boardId);
    if (!t) this.ticks.set(boardId, (t = { joiners: new Set(), touched: new Set(), leavers: new Set() }));
    // One delta costs a send per socket on the board: at most ~4 sends per ms of tick (2 000 people: 2 ticks/s).
    this.timer ??= setTimeout(() => void this.flush(), Math.min(1_000, Math.max(this.tickMs, Math.round(this.largest / 4))));
    return t;
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const ticks = [...this.ticks];
    this.ticks.clear();
    const sizes = await Promise.all(ticks.map(([boardId, t]) => this.send(boardId, t)));
    this.largest = Math.max(0, ...sizes);
  }

  /** Sends one board's tick; answers how many sockets are on the board. */
  private async send(boardId: string, t: BoardTick): Promise<number> {
    try {
      const sockets = await this.io.in([boardRoom(boardId), batchRoom(boardId)]).fetchSockets();
      const users = new Map<string, PresenceUser>();
      const plainIds = new Set<string>();
      for (const s of sockets) {
        const data = s.data as SocketData | undefined;
        if (!data?.user) continue;
        if (!data.presenceDelta) plainIds.add(s.id);
        const cardId = data.boards instanceof Map ? data.boards.get(boardId) : undefined;
        const prev = users.get(data.user.id);
        users.set(data.user.id, { id: data.user.id, name: data.user.name, ...(cardId ?? prev?.cardId ? { cardId: cardId ?? prev?.cardId } : {}) });
      }
      const total = users.size;
      const arrived = [...t.touched].flatMap((id) => users.get(id) ?? []);
      const gone = [...t.leavers].filter((id) => !users.has(id));
      if (arrived.length > 0 || gone.length > 0) this.broadcaster.presenceDelta(boardId, { users: arrived, left: gone, total });
      const listed = [...users.values()].slice(0, LIMITS.presenceListed);
      if (plainIds.size > 0) this.broadcaster.presence(boardId, listed, total);
      for (const id of t.joiners) if (!plainIds.has(id)) this.broadcaster.presenceTo(id, boardId, listed, total);
      return sockets.length;
    } catch {
      return 0; // presence is best effort; the next join or leave announces again
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ticks.clear();
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
