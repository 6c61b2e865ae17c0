import type { Server } from "socket.io";
import type { Change, ClientToServerEvents, Lock, PresenceUser, ServerToClientEvents, TxPhase } from "../../lib/protocol";

export const boardRoom = (boardId: string) => `board:${boardId}`;
export const batchRoom = (boardId: string) => `batch:${boardId}`;

/**
 * The one way out: every broadcast (changes, locks, presence, tx phases) leaves through here, to
 * every socket on the board, on every node (through the adapter), and only after the commit it
 * reports. Plain clients get one `change` each; clients that opted in to `batch` get one
 * `changes` array per tick, so a burst of writes costs them one message (SPEC PERF-2).
 */
export class Broadcaster {
  private readonly pending = new Map<string, Change[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly io: Server<ClientToServerEvents, ServerToClientEvents>,
    private readonly tickMs = 16,
  ) {}

  change(change: Change): void {
    this.io.to(boardRoom(change.boardId)).emit("change", change);
    let list = this.pending.get(change.boardId);
    if (!list) this.pending.set(change.boardId, (list = []));
    list.push(change);
    this.timer ??= setTimeout(() => this.flush(), this.tickMs);
  }

  /** A lease granted, renewed, released or run out (`lock: null`) on a card of the board. */
  lock(boardId: string, cardId: string, lock: Lock | null): void {
    this.board(boardId).emit("lock", { boardId, cardId, lock });
  }

  /** Who is on the board now. */
  presence(boardId: string, users: PresenceUser[]): void {
    this.board(boardId).emit("presence", { boardId, users });
  }

  /** A phase of a cross-shard move, to the boards involved. */
  tx(txId: string, phase: TxPhase, shards: string[], boards: string[]): void {
    this.io.to(boards.flatMap((b) => [boardRoom(b), batchRoom(b)])).emit("tx", { txId, phase, shards });
  }

  /** Both rooms of a board: plain and batch sockets. */
  private board(boardId: string) {
    return this.io.to([boardRoom(boardId), batchRoom(boardId)]);
  }

  flush(): void {
    this.timer = null;
    for (const [boardId, list] of this.pending) this.io.to(batchRoom(boardId)).emit("changes", list);
    this.pending.clear();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
