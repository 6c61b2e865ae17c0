import type { Server } from "socket.io";
import type { Change, ClientToServerEvents, ServerToClientEvents } from "../../lib/protocol";

export const boardRoom = (boardId: string) => `board:${boardId}`;
export const batchRoom = (boardId: string) => `batch:${boardId}`;

/**
 * Sends committed changes to every socket on the board, on every node (through the adapter).
 * Plain clients get one `change` each; clients that opted in to `batch` get one `changes` array
 * per tick, so a burst of writes costs them one message (SPEC PERF-2).
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
