import type { Server } from "socket.io";
import type { BoardBroadcast, Change, ClientToServerEvents, Lock, PresenceDelta, PresenceUser, ServerToClientEvents, TxPhase, TxStepBroadcast, Visibility } from "../../lib/protocol";

export const boardRoom = (boardId: string) => `board:${boardId}`;
export const batchRoom = (boardId: string) => `batch:${boardId}`;
/** The board's sockets that take presence as deltas (SPEC PRES-1). */
export const presenceRoom = (boardId: string) => `presence:${boardId}`;
/** Every socket of one person (SPEC BOARD-6: their board list hears of boards they can see). */
export const userRoom = (userId: string) => `user:${userId}`;

/** What one node hands the others: a change (each node batches for its own sockets), or an emit to rooms. */
type Relay =
  | { t: "change"; change: Change }
  | { t: "emit"; rooms: string[]; except?: string[]; event: keyof ServerToClientEvents; payload: unknown };

/** The TCP socket under a Socket.IO socket on the WebSocket transport (none while it polls). */
function rawSocket(socket: { conn?: unknown } | undefined): import("node:net").Socket | null {
  const ws = (socket?.conn as { transport?: { name?: string; socket?: { _socket?: import("node:net").Socket } } } | undefined)?.transport;
  return ws?.name === "websocket" ? (ws.socket?._socket ?? null) : null;
}

/** What PERF-4 touches of an engine.io socket: the packets it holds back, and its transport. */
interface EngineConn {
  readyState: string;
  writeBuffer: unknown[];
  transport: { name: string; writable: boolean };
  flush(): void;
}

/** A socket corked for this turn (PERF-4): its TCP socket and its engine.io connection. */
interface Corked {
  tcp: import("node:net").Socket;
  conn: EngineConn;
  /** Its transport took packets when corked: nothing of an earlier turn was still being sent. */
  wasWritable: boolean;
}

/** The server-side event nodes relay broadcasts with (SPEC REPL-1). */
const RELAY = "concord:broadcast";
/** SPEC PERF-5: relays of one turn travel together, in messages of at most this many bytes of JSON (the Postgres adapter's NOTIFY carries 8 000; more goes through a table). */
const RELAY_BYTES = 7_000;
/** SPEC PERF-3: relays stop once no other node was heard for this long (more than a heartbeat's 5 s). */
export const RELAY_ALONE_AFTER_MS = 6_000;

/** What the broadcaster reports to the metrics (server/metrics.ts). */
export interface BroadcastObserver {
  /** Sockets on this node one broadcast reached. */
  fanout(event: string, sockets: number): void;
}

/**
 * The one way out: every broadcast (changes, locks, presence, tx phases) leaves through here, to
 * every socket on the board, on every node, and only after the commit it reports. Sockets on this
 * node get it at once (`io.local`); other nodes get it relayed through the adapter (a server-side
 * event, not a room broadcast, so local delivery never waits for the adapter's round trip) and
 * deliver it to their own sockets the same way (SPEC REPL-1, PERF-3). Socket.IO encodes each
 * broadcast once for all its receivers. Plain clients get one `change` each; clients that opted
 * in to `batch` get one `changes` array per board at most once per tick, the first after a quiet
 * tick without waiting (SPEC PERF-2). Board events (`boardChanged`, `userLeft`) go as adapter
 * room broadcasts instead: they are rare, and must also empty rooms on every node.
 */
export class Broadcaster {
  private readonly pending = new Map<string, Change[]>();
  private timer: { cancel(): void } | null = null;
  private lastFlush = -Infinity;
  private readonly relay: ((list: Relay[]) => void) | null;
  /** Relays of this turn, sent together when it ends (SPEC PERF-5). */
  private readonly outgoing: Relay[] = [];

  constructor(
    private readonly io: Server<ClientToServerEvents, ServerToClientEvents>,
    opts: {
      tickMs?: number; cluster?: boolean; observer?: BroadcastObserver;
      /** How many other nodes the adapter knows (its heartbeats); none: nothing to relay (SPEC PERF-3). */
      peers?: () => number;
      /** How long no other node must have been known before relays stop: a heartbeat's interval and more. */
      aloneAfterMs?: number;
      now?: () => number;
    } = {},
  ) {
    this.tickMs = opts.tickMs ?? 16;
    this.peers = opts.peers ?? (() => 1);
    this.aloneAfterMs = opts.aloneAfterMs ?? RELAY_ALONE_AFTER_MS;
    this.now = opts.now ?? Date.now;
    this.peerSeenAt = this.now(); // at start nobody was heard yet: relay until the heartbeats had time
    this.observer = opts.observer;
    const cluster = io as unknown as Server<Record<string, never>, Record<string, never>, { [RELAY]: (list: Relay[] | Relay) => void }>;
    this.relay = opts.cluster ? (list) => cluster.serverSideEmit(RELAY, list) : null;
    if (opts.cluster) cluster.on(RELAY, (list) => (Array.isArray(list) ? list : [list]).forEach((m) => this.deliver(m)));
  }

  private readonly tickMs: number;
  private readonly peers: () => number;
  private readonly aloneAfterMs: number;
  private readonly now: () => number;
  private peerSeenAt: number;
  private readonly observer: BroadcastObserver | undefined;

  change(change: Change): void {
    this.send({ t: "change", change });
  }

  /** A lease granted, renewed, released or run out (`lock: null`) on a card of the board. */
  lock(boardId: string, cardId: string, lock: Lock | null): void {
    this.send({ t: "emit", rooms: [boardRoom(boardId), batchRoom(boardId)], event: "lock", payload: { boardId, cardId, lock } });
  }

  /** Who is on the board now (at most LIMITS.presenceListed of them; `total`: everyone), to the sockets that did not opt in to deltas. */
  presence(boardId: string, users: PresenceUser[], total: number): void {
    this.send({
      t: "emit", rooms: [boardRoom(boardId), batchRoom(boardId)], except: [presenceRoom(boardId)], event: "presence", payload: { boardId, users, total },
    });
  }

  /** The (capped) list to one socket of this node that just joined (SPEC PRES-1); not through the adapter. */
  presenceTo(socketId: string, boardId: string, users: PresenceUser[], total: number): void {
    this.deliver({ t: "emit", rooms: [socketId], event: "presence", payload: { boardId, users, total } });
  }

  /** What changed in who is on the board, to the sockets that take deltas (SPEC PRES-1). */
  presenceDelta(boardId: string, delta: Omit<PresenceDelta, "boardId">): void {
    this.send({ t: "emit", rooms: [presenceRoom(boardId)], event: "presence:delta", payload: { boardId, ...delta } });
  }

  /** A phase of a cross-shard move, to the boards involved. */
  tx(txId: string, phase: TxPhase, shards: string[], boards: string[]): void {
    this.send({ t: "emit", rooms: boards.flatMap((b) => [boardRoom(b), batchRoom(b)]), event: "tx", payload: { txId, phase, shards } });
  }

  /** One step of a cross-shard move (SPEC TX-10), to the boards involved. */
  txStep(step: TxStepBroadcast, boards: string[]): void {
    this.send({ t: "emit", rooms: boards.flatMap((b) => [boardRoom(b), batchRoom(b)]), event: "tx:step", payload: step });
  }

  /**
   * SPEC BOARD-6: a board was renamed, archived, restored or deleted. Everyone who may see it
   * hears it: every socket for an open board; the owner's and members' sockets and the board's
   * rooms for a private one. A deleted board's rooms are emptied afterwards.
   */
  boardChanged(board: { id: string; visibility: Visibility; ownerId: string }, payload: BoardBroadcast, memberIds: string[]): void {
    const to = board.visibility === "open" ? this.io : this.io.to([userRoom(board.ownerId), ...memberIds.map(userRoom), boardRoom(board.id), batchRoom(board.id)]);
    to.emit("board", payload);
    const rooms = [boardRoom(board.id), batchRoom(board.id), presenceRoom(board.id)];
    if (payload.removed === "deleted") this.io.in(rooms).socketsLeave(rooms);
  }

  /** SPEC BOARD-5: one person left a board: their sockets hear it and (private boards) leave its rooms. */
  userLeft(userId: string, board: { id: string; visibility: Visibility }): void {
    this.io.to(userRoom(userId)).emit("board", { boardId: board.id, removed: "left" });
    if (board.visibility === "private") this.io.in(userRoom(userId)).socketsLeave([boardRoom(board.id), batchRoom(board.id), presenceRoom(board.id)]);
  }

  /** Here at once, then to the other nodes, with the rest of this turn's broadcasts (SPEC PERF-5). */
  private send(m: Relay): void {
    this.deliver(m);
    if (!this.relay || this.alone()) return;
    if (this.outgoing.push(m) === 1) setImmediate(() => this.sendRelays());
  }

  /**
   * SPEC PERF-3: no other node was known for `aloneAfterMs` (the adapter hears every node's
   * heartbeat every 5 s; a starting node announces itself before it serves): nobody to relay to.
   */
  private alone(): boolean {
    const now = this.now();
    if (this.peers() > 0) this.peerSeenAt = now;
    return now - this.peerSeenAt >= this.aloneAfterMs;
  }

  /** This turn's relays, in order, in as few adapter messages as fit under RELAY_BYTES each. */
  private sendRelays(): void {
    const all = this.outgoing.splice(0);
    let chunk: Relay[] = [];
    let bytes = 0;
    for (const m of all) {
      const size = JSON.stringify(m).length;
      if (chunk.length > 0 && bytes + size > RELAY_BYTES) {
        this.relay!(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(m);
      bytes += size;
    }
    if (chunk.length > 0) this.relay!(chunk);
  }

  /** SPEC REPL-2: the highest seq of each board this node's sockets were sent or answered at join. */
  private readonly sentSeq = new Map<string, number>();

  /**
   * A join on this node answered the board up to `seq`, its last page (SPEC REPL-2). It sets the mark only for a
   * board this node did not follow yet: sockets already here may be behind it (a lost relay),
   * and raising the mark would hide that from the repair.
   */
  answered(boardId: string, seq: number): void {
    if (!this.sentSeq.has(boardId)) this.sentSeq.set(boardId, seq);
  }

  /** SPEC REPL-2: boards with sockets on this node and the seq this node brought them to; forgets the rest. */
  followed(): Map<string, number> {
    const rooms = this.io.sockets.adapter.rooms;
    for (const id of this.sentSeq.keys()) {
      if (!(rooms.get(boardRoom(id))?.size || rooms.get(batchRoom(id))?.size)) this.sentSeq.delete(id);
    }
    return new Map(this.sentSeq);
  }

  /** SPEC REPL-2: committed changes this node's sockets never got (their relay was lost), to them only. */
  repair(changes: Change[]): void {
    for (const change of changes) if (change.seq > (this.sentSeq.get(change.boardId) ?? -1)) this.deliver({ t: "change", change });
  }

  /** To this node's sockets. */
  private deliver(m: Relay): void {
    if (m.t === "change") {
      if (m.change.seq > (this.sentSeq.get(m.change.boardId) ?? -1)) this.sentSeq.set(m.change.boardId, m.change.seq);
      const room = boardRoom(m.change.boardId);
      this.emit([room], undefined, "change", m.change);
      let list = this.pending.get(m.change.boardId);
      if (!list) this.pending.set(m.change.boardId, (list = []));
      list.push(m.change);
      this.schedule();
      return;
    }
    this.emit(m.rooms, m.except, m.event, m.payload);
  }

  private emit(rooms: string[], except: string[] | undefined, event: string, payload: unknown): void {
    this.cork(rooms);
    let op = this.io.local.to(rooms);
    if (except) op = op.except(except);
    (op.emit as (e: string, p: unknown) => boolean)(event, payload);
    if (this.observer) {
      const r = this.io.sockets.adapter.rooms;
      this.observer.fanout(event, rooms.reduce((n, room) => n + (r.get(room)?.size ?? 0), 0));
    }
  }

  /** Rooms whose sockets are corked until the end of this turn of the event loop. */
  private readonly corkedRooms = new Set<string>();
  private readonly corked: Corked[] = [];

  /**
   * SPEC PERF-4: the sockets of `rooms` hold their writes until this turn of the event loop ends,
   * so a batch's changes (and their acks) leave in one write per socket, not one each.
   */
  private cork(rooms: string[]): void {
    let fresh = false;
    for (const room of rooms) {
      if (this.corkedRooms.has(room)) continue;
      const ids = this.io.sockets.adapter.rooms.get(room);
      if (!ids || ids.size === 0) continue;
      this.corkedRooms.add(room);
      fresh = true;
      for (const id of ids) {
        const socket = this.io.sockets.sockets.get(id);
        const tcp = rawSocket(socket);
        if (!tcp || tcp.writableCorked > 0) continue;
        tcp.cork();
        const conn = socket!.conn as unknown as EngineConn;
        this.corked.push({ tcp, conn, wasWritable: conn.transport?.writable === true });
      }
    }
    if (fresh && !this.uncorkScheduled) {
      this.uncorkScheduled = true;
      setImmediate(() => {
        this.uncorkScheduled = false;
        this.corkedRooms.clear();
        for (const { tcp, conn, wasWritable } of this.corked.splice(0)) {
          // engine.io's websocket transport sends one list of packets at a time and holds the
          // rest back until that write's callback, which a corked socket gives only after the
          // uncork: without this, the turn's first packet would leave alone and every other one
          // in a write of its own. Handed to the transport now, all leave in the one write below.
          // Only when the send it waits for is this turn's own (corked): a slow client's earlier
          // send still pending keeps engine.io's flow control. (Shapes checked: these are
          // engine.io internals; cork.int.test.ts notices if they change.)
          if (wasWritable && conn.readyState === "open" && conn.transport?.name === "websocket" && conn.transport.writable === false && Array.isArray(conn.writeBuffer) && conn.writeBuffer.length > 0 && typeof conn.flush === "function") {
            try {
              conn.transport.writable = true;
              conn.flush();
            } catch {
              // engine.io closes a socket whose write failed; the others must still be uncorked
            }
          }
          tcp.uncork();
        }
      });
    }
  }
  private uncorkScheduled = false;

  /** The next `changes` flush: right after this turn's changes when the last was a tick ago, else at the tick. */
  private schedule(): void {
    if (this.timer) return;
    const wait = this.lastFlush + this.tickMs - performance.now();
    if (wait <= 0) {
      const h = setImmediate(() => this.flush());
      this.timer = { cancel: () => clearImmediate(h) };
    } else {
      const h = setTimeout(() => this.flush(), wait);
      this.timer = { cancel: () => clearTimeout(h) };
    }
  }

  flush(): void {
    this.timer = null;
    this.lastFlush = performance.now();
    for (const [boardId, list] of this.pending) this.emit([batchRoom(boardId)], undefined, "changes", list);
    this.pending.clear();
  }

  close(): void {
    // What this turn still holds for the other nodes goes now, while the adapter is still up.
    if (this.outgoing.length > 0) {
      try {
        this.sendRelays();
      } catch {
        this.outgoing.length = 0;
      }
    }
    this.timer?.cancel();
    this.timer = null;
  }
}
