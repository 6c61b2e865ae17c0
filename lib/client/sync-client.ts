import { io as defaultIo } from "socket.io-client";
import type { Board, Card, Change, Fields, Lock, Patch, Policy, User, Visibility } from "../protocol";
import { HybridClock } from "../sync/hlc";
import { BoardExtrasMap } from "./board-extras";
import { BoardFeed } from "./board-feed";
import { receiveCard, receiveHlc } from "./clock";
import { Connection } from "./connection";
import { inspectorLog, type Log } from "./inspector";
import { LocalWrites } from "./local-writes";
import type { IoFactory } from "./network";
import { Notices } from "./notices";
import { Outbox } from "./outbox";
import { OutboxSender, type Acked } from "./outbox-sender";
import { Persistence } from "./persistence";
import { RequestError, Requests } from "./requests";
import { touchedBoards } from "./pending";
import { BoardSnapshots, boardsMovingFrom, findCard } from "./snapshot";
import { MemoryStorage, type ReplicaStorage } from "./storage";
import { ClientStore, initialState } from "./store";
import type { ClientState, ConnectionState, InviteCode, PendingMutation, SyncClientApi } from "./types";

export { RequestError };

/** Options of `new SyncClient(...)`. */
export interface SyncClientOptions {
  url: string;
  token: string;
  user: User;
  /** This tab's replica id: its vector-clock entry (mvr) and HLC tie-breaker (lww). [A-Za-z0-9_-]{1,64}. */
  replicaId: string;
  /** Durable storage; in memory when absent (call `load()` first when it holds a previous session). */
  storage?: ReplicaStorage;
  io?: IoFactory;
  /** Wall clock for HLC stamps and timestamps (tests drive it). */
  now?: () => number;
  /** Opt in to coalesced `changes` delivery (PROTOCOL.md `batch`). */
  batch?: boolean;
  /** How long to wait for a write's ack before keeping it pending and retrying (default 10 s). */
  ackTimeoutMs?: number;
  /** How long a gap in `seq` may stay open before catching up with `since` (default 250 ms). */
  gapWaitMs?: number;
}

/**
 * The framework-free sync client: one replica (one browser tab) of the boards it joined.
 *
 * - Confirmed state per board follows the server's change log strictly in `seq` order
 *   (BoardFeed, BoardReplica); gaps are filled by a catch-up `board:join { since }`.
 * - Every local write goes through a durable outbox (LocalWrites; stored before it is sent), is
 *   shown at once on top of the confirmed state, is sent strictly in order one at a time
 *   (OutboxSender), and is removed only on a definitive answer. Replays keep the original
 *   mutationId, so the server applies it once.
 * - After any reconnect: catch up every joined board, then replay the outbox.
 * - The state is an immutable snapshot for `useSyncExternalStore` (ClientStore); listeners are
 *   notified once per microtask.
 *
 * This class wires those parts together and reacts to the connection's lifecycle; each part
 * gets only what it uses.
 */
export class SyncClient implements SyncClientApi {
  private readonly opts: Required<Pick<SyncClientOptions, "url" | "token" | "user" | "replicaId">> & SyncClientOptions;
  private readonly storage: ReplicaStorage;
  private readonly now: () => number;
  private readonly clock: HybridClock;
  private readonly outbox = new Outbox();
  private readonly store: ClientStore;
  private readonly log: Log;
  private readonly conn: Connection;
  private readonly notices: Notices;
  private readonly extras: BoardExtrasMap;
  private readonly snapshots: BoardSnapshots;
  private readonly requests: Requests;
  private readonly persistence: Persistence;
  private readonly feed: BoardFeed;
  private readonly sender: OutboxSender;
  private readonly writes: LocalWrites;

  constructor(options: SyncClientOptions) {
    this.opts = options;
    this.storage = options.storage ?? new MemoryStorage();
    this.now = options.now ?? Date.now;
    this.clock = new HybridClock(options.replicaId, this.now);
    const store = (this.store = new ClientStore(initialState(options.user, options.replicaId)));
    const log = (this.log = inspectorLog(store, this.now));
    const { outbox, now } = this;
    const { replicaId } = options;
    const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    const replica = (boardId: string) => this.feed.replica(boardId);
    const receive = (card: Card) => receiveCard(this.clock, card);
    const outboxChanged = (boardIds: string[]) => this.snapshots.outboxChanged(boardIds);
    const notices = { add: (...a: Parameters<Notices["add"]>) => this.notices.add(...a) };

    const conn = (this.conn = new Connection(options.io ?? defaultIo, options, log, {
      connect: () => this.onConnect(),
      disconnect: (reason) => this.onDisconnect(reason),
      connectError: (err) => this.onConnectError(err),
      hello: (p) => {
        log("in", "hello", `node ${p.nodeId}, protocol ${p.protocol}`);
        store.set({ nodeId: p.nodeId });
      },
      changes: (changes) => this.feed.onChanges(changes),
      lock: (p) => {
        log("in", "lock", `${p.cardId} ${p.lock ? `held by ${p.lock.holder.name} (token ${p.lock.token})` : "released"}`);
        this.setLock(p.boardId, p.cardId, p.lock);
      },
      presence: (p) => {
        log("in", "presence", `${p.users.length} on board`);
        for (const u of p.users) this.notices.rememberUser(u.id, u.name);
        this.extras.setPresence(p.boardId, p.users);
      },
      tx: (p) => {
        log("in", "tx", `${p.txId.slice(0, 8)} ${p.phase} (${p.shards.join(", ")})`);
        store.set({ lastTx: { txId: p.txId, phase: p.phase, shards: p.shards } });
      },
    }));
    this.extras = new BoardExtrasMap((boardId) => this.snapshots.refresh([boardId]));
    this.notices = new Notices({ store, now, replicaId, presence: (boardId) => this.extras.presence(boardId) });
    this.snapshots = new BoardSnapshots({
      store, outbox, userId: options.user.id, replica, replicas: () => this.feed.all(), extras: (boardId) => this.extras.get(boardId),
    });
    this.requests = new Requests({ conn, log, timeoutMs: ackTimeoutMs });
    this.persistence = new Persistence({ storage: this.storage, log, replica, hlc: () => this.clock.peek(), isClosed: () => conn.closed });
    this.feed = new BoardFeed({
      conn, log, ackTimeoutMs, gapWaitMs: options.gapWaitMs ?? 250, receiveCard: receive,
      applied: (boardId, applied, catchUpCount) => this.afterApply(boardId, applied, catchUpCount),
      dropped: (boardId) => this.forgetBoard(boardId),
      lockMark: () => this.extras.lockMark(),
      leases: (boardId, leases, mark) => {
        for (const l of leases) this.notices.rememberUser(l.holder.id, l.holder.name);
        this.extras.setLeases(boardId, leases, mark, options.user.id);
      },
    });
    this.sender = new OutboxSender({
      outbox, persistence: this.persistence, conn, replicaId, ackTimeoutMs, log, notices, outboxChanged, receiveCard: receive,
      canSend: () => store.get().connection === "online" && conn.isConnected(),
      lockToken: (cardId) => this.extras.lockToken(cardId),
      pendingChanged: () => store.set({ pending: outbox.pending() }),
      acked: (m, out) => this.afterAck(m, out),
      conflict: (c) => store.set({ conflicts: [...store.get().conflicts, c] }),
      ackDropped: () => {
        store.set({ network: { ...store.get().network, dropNextAck: false } });
        conn.reconnect();
      },
    });
    this.writes = new LocalWrites({
      outbox, persistence: this.persistence, store, log, now, replica, notices, outboxChanged,
      stamp: () => this.clock.now(),
      send: () => this.sender.pump(),
    });
  }

  // ---------------------------------------------------------------- store (useSyncExternalStore)

  /** Registers a listener called (once per microtask) after the snapshot changed. */
  subscribe(listener: () => void): () => void {
    return this.store.subscribe(listener);
  }

  /** The current immutable snapshot: a new object after every change, the same one otherwise. */
  getSnapshot(): ClientState {
    return this.store.get();
  }

  private setConnection(connection: ConnectionState): void {
    if (this.store.get().connection !== connection) this.store.set({ connection, ...(connection === "catching-up" ? { catchingUp: 0 } : {}) });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Restores boards (with their cursors), the pending outbox and the HLC from storage. Call it
   * before `connect()`, so a reload while offline still shows the board and the pending edits.
   */
  async load(): Promise<void> {
    const snap = await this.storage.loadAll();
    if (snap.clock) receiveHlc(this.clock, snap.clock);
    for (const stored of snap.boards) {
      this.feed.restore(stored);
      for (const card of Object.values(stored.confirmed)) receiveCard(this.clock, card);
    }
    this.outbox.restore(snap.outbox);
    for (const m of snap.outbox) {
      this.persistence.restored(m);
      if ((m.kind === "create" || m.kind === "update") && m.hlc) receiveHlc(this.clock, m.hlc);
    }
    this.snapshots.outboxChanged(this.feed.boardIds());
    this.log("local", "load", `${snap.boards.length} boards, ${snap.outbox.length} pending`);
  }

  /** Opens the socket (socket.io reconnects by itself after a drop). */
  connect(): void {
    if (this.conn.open()) this.setConnection(this.conn.net.offline ? "offline" : "connecting");
  }

  /** Closes the socket and stops every timer; stored state stays for the next session. */
  close(): void {
    this.conn.close();
    this.notices.clear();
    this.requests.clear();
    this.feed.cancelGapChecks();
    this.sender.cancelRetry();
    this.persistence.flushBoards();
    this.setConnection("offline");
  }

  /** Resolves once every queued storage write has finished (tests, and before a planned reload). */
  flush(): Promise<void> {
    return this.persistence.flush();
  }

  private onConnect(): void {
    const epoch = this.conn.epoch;
    this.sender.forgetInflight(); // whatever was in flight belongs to the old connection; it is replayed below
    this.requests.connected();
    this.log("local", "connect", `connected (epoch ${epoch})`);
    this.store.set({ authError: false });
    this.setConnection(this.feed.hasJoined() ? "catching-up" : "online");
    void this.resync(epoch);
  }

  /** SPEC FEED-4 then OUTBOX-3: after any (re)connect, catch up every joined board, then replay the outbox. */
  private async resync(epoch: number): Promise<void> {
    await this.feed.catchUpAll();
    if (epoch !== this.conn.epoch || !this.conn.isConnected()) return;
    this.setConnection("online");
    this.sender.pump();
  }

  private onDisconnect(reason: string): void {
    this.sender.forgetInflight();
    this.sender.cancelRetry();
    this.feed.cancelGapChecks();
    this.log("local", "disconnect", reason);
    this.setConnection(this.conn.net.offline || this.conn.closed ? "offline" : "reconnecting");
  }

  private onConnectError(err: Error): void {
    if (err.message === "UNAUTHORIZED") {
      // socket.io does not retry a handshake the server refused: the person must sign in again.
      this.log("in", "connect_error", "UNAUTHORIZED");
      this.store.set({ authError: true });
      this.setConnection("offline");
      this.notices.add({ boardId: "" }, { code: "session-invalid" });
      return;
    }
    this.log("in", "connect_error", err.message);
    if (!this.conn.net.offline) this.setConnection("reconnecting");
  }

  // ---------------------------------------------------------------- plain requests

  /** Loads the boards the user may see into `boardList`. */
  async refreshBoards(): Promise<Board[]> {
    const { boards } = await this.requests.call("board:list", {}, "");
    this.store.set({ boardList: boards });
    return boards;
  }

  /** Creates a board and adds it to `boardList`. */
  async createBoard(input: { name: string; policy: Policy; shard?: string; visibility?: Visibility }): Promise<Board> {
    const { board } = await this.requests.call("board:create", input, `${input.name} (${input.policy})`);
    this.store.set({ boardList: [...this.store.get().boardList.filter((b) => b.id !== board.id), board] });
    return board;
  }

  /** Makes an invite code for a private board (owner only); it expires and may have a use limit (SPEC ACCESS-3). */
  async invite(boardId: string, opts: { ttlMs?: number; maxUses?: number } = {}): Promise<InviteCode> {
    const { code, expiresAt, maxUses } = await this.requests.call("board:invite", { boardId, ...opts }, boardId);
    return { code, expiresAt, maxUses };
  }

  /** Withdraws an invite code (owner only): nobody can accept it afterwards (SPEC ACCESS-3). */
  async revokeInvite(code: string): Promise<void> {
    await this.requests.call("board:revokeInvite", { code }, "invite");
  }

  /** Accepts an invite code; the board joins `boardList`. */
  async accept(code: string): Promise<Board> {
    const { board } = await this.requests.call("board:accept", { code }, "invite");
    this.store.set({ boardList: [...this.store.get().boardList.filter((b) => b.id !== board.id), board] });
    return board;
  }

  /** The change history of a card. */
  async history(cardId: string): Promise<Change[]> {
    return (await this.requests.call("card:history", { cardId }, cardId)).entries;
  }

  /** Takes the lease on a card; its fencing token goes with this client's writes to it. */
  async lock(cardId: string): Promise<Lock> {
    const { lock } = await this.requests.call("lock:acquire", { cardId }, cardId);
    this.extras.holdLock(cardId, lock);
    const boardId = findCard(this.store.get().boards, cardId)?.boardId;
    if (boardId) this.setLock(boardId, cardId, lock);
    return lock;
  }

  /** Releases this client's lease on a card (no-op when it holds none). */
  async unlock(cardId: string): Promise<void> {
    const lock = this.extras.releaseMyLock(cardId);
    if (!lock) return;
    await this.requests.call("lock:release", { cardId, token: lock.token }, cardId);
  }

  /** Tells the board which card this person looks at (presence). */
  focusCard(boardId: string, cardId: string | null): void {
    this.log("out", "presence:set", cardId ?? "none");
    this.conn.emit("presence:set", { boardId, cardId });
  }

  private setLock(boardId: string, cardId: string, lock: Lock | null): void {
    if (lock) this.notices.rememberUser(lock.holder.id, lock.holder.name);
    this.extras.setLock(boardId, cardId, lock, this.opts.user.id);
  }

  // ---------------------------------------------------------------- boards (BoardFeed)

  /**
   * Subscribes to a board. Resolves once its state is loaded: at once when a stored copy exists
   * and the client is offline (it catches up on connect), else after the join. Rejects with
   * FORBIDDEN / NOT_FOUND.
   */
  joinBoard(boardId: string): Promise<void> {
    return this.feed.join(boardId);
  }

  /**
   * Stops following a board. Its stored copy is kept, so a later join catches up from its
   * cursor instead of loading everything again; pending writes to it are still sent.
   */
  leaveBoard(boardId: string): void {
    this.feed.leave(boardId);
  }

  /** The board is gone or no longer ours (the feed forgot it already): forget the rest. */
  private forgetBoard(boardId: string): void {
    this.extras.delete(boardId);
    this.persistence.deleteBoard(boardId);
    const boards = { ...this.store.get().boards };
    delete boards[boardId];
    this.store.set({ boards });
  }

  /** Side effects of applied changes: highlights, lww notices, settling acked writes, storage, view. */
  private afterApply(boardId: string, applied: Change[], catchUpCount: number): void {
    const state = this.store.get();
    if (state.connection === "catching-up" && catchUpCount > 0) this.store.set({ catchingUp: state.catchingUp + catchUpCount });
    const now = this.now();
    const highlights: Record<string, number> = {};
    for (const c of applied) {
      const cardId = c.card?.id ?? c.cardId;
      if (cardId && c.by !== this.opts.user.id) highlights[cardId] = now;
      if (c.card) this.notices.lwwChanged(boardId, c);
    }
    if (Object.keys(highlights).length > 0) this.extras.highlight(boardId, highlights, now);
    const settled = this.settle(boardId);
    this.persistence.markDirty(boardId);
    if (settled) this.snapshots.outboxChanged([boardId]);
    else this.snapshots.refresh([boardId, ...boardsMovingFrom(this.outbox.overlay(), boardId)]);
  }

  /** An ack was recorded (OutboxSender): lww notices, then settle what the confirmed state already shows. */
  private afterAck(m: PendingMutation, out: Acked): void {
    this.notices.lwwAcked(m, this.feed.replica(m.boardId)?.board.policy, out);
    this.notices.mvrAcked(m, out);
    this.settle(m.boardId);
    this.snapshots.outboxChanged(touchedBoards(m));
  }

  /**
   * Removes acknowledged writes whose effect the confirmed state now shows (SPEC OUTBOX-2): its
   * seq was reached, or (moves answer no seq) the card has left the source board.
   */
  private settle(boardId: string): boolean {
    const replica = this.feed.replica(boardId);
    return this.outbox.settle((e) => {
      if (e.mutation.boardId !== boardId) return false;
      if (!replica || !this.feed.isJoined(boardId)) return true;
      return e.acked?.seq !== undefined ? replica.seq >= e.acked.seq : !(e.mutation.cardId in replica.confirmed);
    });
  }

  // ---------------------------------------------------------------- local writes (LocalWrites)

  /** Optimistic create with a client-made id, through the outbox; returns the new card's id. */
  createCard(boardId: string, fields: Partial<Fields>): string {
    return this.writes.create(boardId, fields);
  }

  /** Optimistic update; `basedOn`: the card as the person saw it when they started editing (SPEC OUTBOX-6). */
  updateCard(cardId: string, patch: Patch, basedOn?: Card): void {
    this.writes.update(cardId, patch, basedOn);
  }

  /** Optimistic delete. */
  deleteCard(cardId: string): void {
    this.writes.delete(cardId);
  }

  /** Optimistic move to another board (two-phase commit on the server when it crosses shards). */
  moveCard(cardId: string, toBoardId: string): void {
    this.writes.move(cardId, toBoardId);
  }

  /** Sends the person's resolution based on the newest confirmed version, and closes the conflict. */
  resolveConflict(conflictId: string, resolution: Patch): void {
    this.writes.resolveConflict(conflictId, resolution);
  }

  /** Drops a conflict, keeping the server's state. */
  discardConflict(conflictId: string): void {
    this.store.set({ conflicts: this.store.get().conflicts.filter((x) => x.id !== conflictId) });
  }

  /** SPEC OUTBOX-7: sends a set-aside write again, in its place before its card's later writes. */
  retryWrite(mutationId: string): void {
    this.sender.retry(mutationId);
  }

  /** SPEC OUTBOX-7: drops a set-aside write; the writes of its card held behind it go ahead. */
  discardWrite(mutationId: string): void {
    this.sender.discard(mutationId);
  }

  // ---------------------------------------------------------------- network simulator

  /** Simulated outage: disconnects the real socket and keeps it down until `setOffline(false)`. */
  setOffline(offline: boolean): void {
    this.conn.net.offline = offline;
    this.store.set({ network: { ...this.store.get().network, offline } });
    this.log("local", "network", offline ? "offline" : "online");
    if (offline) {
      this.conn.disconnect();
      this.setConnection("offline");
    } else if (this.conn.isDown()) {
      this.setConnection("connecting");
      this.conn.connect();
    }
  }

  /** Delays every outgoing emit and every incoming event or ack by `ms`. */
  setLatency(ms: number): void {
    this.conn.net.latencyMs = Math.max(0, ms);
    this.store.set({ network: { ...this.store.get().network, latencyMs: this.conn.net.latencyMs } });
  }

  /** Discards the next write ack (the server applied it); the client reconnects and replays. */
  dropNextAck(): void {
    this.conn.net.dropAck = true;
    this.store.set({ network: { ...this.store.get().network, dropNextAck: true } });
  }

  /** Discards the next `change` broadcast, so the gap detection must catch up. */
  dropNextChange(): void {
    this.conn.net.dropChange = true;
  }

  /** Closes the transport abruptly; socket.io notices and reconnects by itself. */
  killSocket(): void {
    this.conn.kill();
  }
}
