import { io as defaultIo } from "socket.io-client";
import type { Board, Card, Change, CrashPoint, Fields, Lock, Patch, Policy, User, Visibility } from "../protocol";
import { HybridClock } from "../sync/hlc";
import { BoardExtrasMap } from "./board-extras";
import { BoardFeed } from "./board-feed";
import { receiveHlc } from "./clock";
import { Confirmations } from "./confirmations";
import { Connection } from "./connection";
import { inspectorLog, type Log } from "./inspector";
import { LeaseKeeper } from "./lease-keeper";
import { LocalWrites } from "./local-writes";
import type { MutationOutcome } from "./mutation-request";
import { SimulatedNetwork, type IoFactory } from "./network";
import { Notices } from "./notices";
import { Outbox } from "./outbox";
import { OutboxSender } from "./outbox-sender";
import { Persistence } from "./persistence";
import { Replicas } from "./replicas";
import { RequestError, Requests } from "./requests";
import { BoardSnapshots, findCard } from "./snapshot";
import { MemoryStorage, type ReplicaStorage } from "./storage";
import { ClientStore, initialState } from "./store";
import { Transactions } from "./transactions";
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
 * The framework-free sync client: one replica (one browser tab) of the boards it joined. This
 * class is the composition root: it builds the parts below, each from the parts built before it,
 * connects the socket's events to them, and answers the UI (SyncClientApi).
 *
 * - `SimulatedNetwork` around `Connection`: the socket, as a Transport with the network simulator.
 * - `Replicas` (with `BoardFeed`): each board's confirmed state, following the server's change log
 *   strictly in `seq` order; gaps are filled by a catch-up `board:join { since }` (SPEC FEED-4).
 * - `Outbox`, `LocalWrites`, `OutboxSender`: every local write is stored before it is sent
 *   (SPEC OUTBOX-1), shown at once on top of the confirmed state (`BoardSnapshots`, OUTBOX-2),
 *   sent pipelined in order (one write in flight per card, SPEC OUTBOX-8) with its original
 *   mutationId on every replay, and removed only on a definitive answer (`Confirmations`
 *   settles it once the confirmed state shows it).
 * - `BoardExtrasMap` (locks, leases, presence, highlights), `LeaseKeeper` (renews the person's
 *   leases), `Notices` (what the person is told, as data), `Persistence` (batched storage, SPEC
 *   REPLICA-2), `Requests` (plain request/reply calls).
 * - After any reconnect: catch up every joined board, then replay the outbox (SPEC OUTBOX-3).
 * - The state is an immutable snapshot for `useSyncExternalStore` (ClientStore); listeners are
 *   notified once per microtask.
 */
export class SyncClient implements SyncClientApi {
  private readonly storage: ReplicaStorage;
  private readonly clock: HybridClock;
  private readonly store: ClientStore;
  private readonly log: Log;
  private readonly net: SimulatedNetwork;
  private readonly replicas = new Replicas();
  private readonly outbox = new Outbox();
  private readonly extras: BoardExtrasMap;
  private readonly notices: Notices;
  private readonly snapshots: BoardSnapshots;
  private readonly persistence: Persistence;
  private readonly requests: Requests;
  private readonly feed: BoardFeed;
  private readonly sender: OutboxSender;
  private readonly writes: LocalWrites;
  private readonly leases: LeaseKeeper;

  constructor(options: SyncClientOptions) {
    const { user, replicaId } = options;
    const now = options.now ?? Date.now;
    const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    const { replicas, outbox } = this;
    const storage = (this.storage = options.storage ?? new MemoryStorage());
    const clock = (this.clock = new HybridClock(replicaId, now));
    const store = (this.store = new ClientStore(initialState(user, replicaId)));
    const log = (this.log = inspectorLog(store, now));
    const link = new Connection(options.io ?? defaultIo, options, log);
    const transport = (this.net = new SimulatedNetwork(link, { log, changed: (network) => store.set({ network }) }));
    const extras = (this.extras = new BoardExtrasMap(user.id));
    const notices = (this.notices = new Notices({ store, now, replicaId, userId: user.id, names: extras }));
    const snapshots = (this.snapshots = new BoardSnapshots({ store, outbox, user, replicaId, now, replicas, extras }));
    const persistence = (this.persistence = new Persistence({ storage, log, replicas, clock, transport }));
    const requests = (this.requests = new Requests({ transport, log, timeoutMs: ackTimeoutMs }));
    const confirmations = new Confirmations({ store, now, userId: user.id, replicas, outbox, extras, notices, persistence, snapshots });
    this.feed = new BoardFeed({
      transport, log, replicas, clock, extras, listener: confirmations, ackTimeoutMs, gapWaitMs: options.gapWaitMs ?? 250,
      ownWrite: (mutationId) => outbox.get(mutationId) !== undefined,
    });
    const moves = new Transactions(store, now);
    const observer = {
      sent: (m: PendingMutation) => moves.sent(m),
      answered: (m: PendingMutation, out: MutationOutcome) => {
        moves.answered(m, out);
        // SPEC TX-10: the card arrived on its new board: say so, with a way to open it there.
        if (m.kind === "move" && out.kind === "ok" && out.card && store.get().pending.some((p) => p.mutationId === m.mutationId)) {
          const toBoardName = store.get().boardList.find((b) => b.id === m.toBoardId)?.name ?? null;
          notices.add({ boardId: m.boardId, cardId: m.cardId }, { code: "card-moved", title: out.card.title, toBoardId: m.toBoardId, toBoardName, crossShard: out.txId !== undefined });
        }
      },
    };
    const sender = (this.sender = new OutboxSender({
      outbox, persistence, transport, store, replicaId, clock, ackTimeoutMs, log, notices, snapshots, extras, confirmations, observer,
    }));
    this.writes = new LocalWrites({ outbox, persistence, store, replicas, log, now, clock, notices, snapshots, sender });
    const leases = (this.leases = new LeaseKeeper({
      requests, extras, log, now,
      changed: (held) => {
        // SPEC LOCK-9: announced before it happens: the first failed renewal of a lease says how long it has left.
        for (const [cardId, h] of Object.entries(held)) {
          if (h.health !== "retrying" || store.get().leases[cardId]?.health === "retrying") continue;
          const found = findCard(store.get().boards, cardId);
          notices.add({ boardId: found?.boardId ?? "", cardId }, {
            code: "lease-at-risk", title: found?.card.title ?? null, token: h.lock.token, expiresAt: h.lock.expiresAt, problem: h.problem ?? "no answer",
          });
        }
        store.set({ leases: held });
      },
      ended: ({ lock, reason, by, code }) => {
        const found = findCard(store.get().boards, lock.cardId);
        const boardId = found?.boardId ?? "";
        const title = found?.card.title ?? null;
        log("local", "lease", `${lock.cardId} token ${lock.token} lost (${reason}${by ? `: ${by.holder.name} holds token ${by.token}` : ""})`);
        notices.add({ boardId, cardId: lock.cardId }, {
          code: "lease-lost", title, reason, token: lock.token, by: by ? { name: by.holder.name, token: by.token } : null, ...(code ? { error: code } : {}),
        });
      },
    }));
    extras.onMine({ adopted: (lock) => leases.hold(lock), ended: (cardId, by) => leases.lost(cardId, by) });
    // Every part exists: the socket's events may reach them now.
    transport.listen({
      connect: () => this.onConnect(),
      disconnect: (reason) => this.onDisconnect(reason),
      connectError: (err) => this.onConnectError(err),
      hello: (p) => {
        log("in", "hello", `node ${p.nodeId}, protocol ${p.protocol}${p.faults ? `, demo faults: crash after ${p.faults.join(" or ")}` : ""}`, { type: "network", what: "hello", nodeId: p.nodeId, detail: `protocol ${p.protocol}` });
        store.set({ nodeId: p.nodeId, faults: p.faults ?? null });
        // The demo crash switch is the socket's: arm it again on this connection.
        const armed = store.get().crashArmed;
        if (armed && p.faults) this.net.emit("sim:crash", { after: armed });
      },
      // A `changes` batch rebuilds each board it touches once.
      changes: (changes) => snapshots.batch(() => this.feed.onChanges(changes)),
      lock: (p) => {
        log("in", "lock", `${p.cardId} ${p.lock ? `held by ${p.lock.holder.name} (token ${p.lock.token})` : "released"}`, {
          type: "lock", boardId: p.boardId, cardId: p.cardId, ...(p.lock ? { holder: p.lock.holder, token: p.lock.token, expiresAt: p.lock.expiresAt } : {}),
        });
        extras.setLock(p.boardId, p.cardId, p.lock);
      },
      presence: (p) => {
        log("in", "presence", `${p.total ?? p.users.length} on board`, {
          type: "presence", boardId: p.boardId, users: p.users.map((u) => u.name), total: p.total ?? p.users.length,
        });
        extras.setPresence(p.boardId, p.users, p.total ?? p.users.length);
      },
      presenceDelta: (p) => {
        log("in", "presence:delta", `${p.users.length ? `+${p.users.map((u) => u.name).join(", ")} ` : ""}${p.left.length ? `−${p.left.length} ` : ""}(${p.total} on board)`, {
          type: "presence", boardId: p.boardId, users: p.users.map((u) => u.name), total: p.total, left: p.left.length, delta: true,
        });
        extras.presenceDelta(p.boardId, p.users, p.left, p.total);
      },
      tx: (p) => {
        log("in", "tx", `${p.txId.slice(0, 8)} ${p.phase} (${p.shards.join(", ")})`, { type: "tx", txId: p.txId, phase: p.phase, shards: p.shards });
        store.set({ lastTx: { txId: p.txId, phase: p.phase, shards: p.shards } });
      },
      board: (p) => {
        log("in", "board", `${p.boardId} ${p.removed ?? (p.board ? `"${p.board.name}"${p.board.archived ? " (archived)" : ""}` : "")}`);
        if (p.board) this.boardUpdated(p.board);
        else if (p.removed) this.boardRemoved(p.boardId, p.removed);
      },
      txStep: (p) => {
        const what = p.kind === "log" ? `log ${p.state}` : p.kind === "part" ? `shard ${p.shard} ${p.state}` : `coordinator crashed after ${p.after}; recovery in ${p.recoveryInMs / 1000} s`;
        // Log states also come as `tx` (the contract's phases): only the parts, the crash and recovery's steps become timeline steps.
        const own = p.kind !== "log" || p.by === "recovery";
        log("in", "tx:step", `${p.txId.slice(0, 11)} ${p.by}: ${what}`, own ? { type: "tx", txId: p.txId, phase: p.kind === "log" ? p.state : "prepared", shards: p.shards, step: { label: what, by: p.by, ...(p.kind === "crash" ? { crash: true } : {}) } } : undefined);
        moves.step(p);
        if (p.kind === "crash") store.set({ crashArmed: null }); // the switch is spent
      },
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

  hlc(): string {
    return this.clock.peek();
  }

  private setConnection(connection: ConnectionState): void {
    if (this.store.get().connection !== connection) this.store.set({ connection, ...(connection === "catching-up" ? { catchingUp: 0 } : {}) });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Restores boards (with their cursors), the pending outbox and the HLC from storage. Call it
   * before `connect()`, so a reload while offline still shows the board and the pending edits.
   */
  /**
   * Restores the stored boards, outbox and clock. The socket may be opened (`connect()`) while
   * this runs: the client acts on the connection only once it is done (SPEC FEED-7).
   */
  load(): Promise<void> {
    const restoring = this.restore();
    this.net.holdConnect(restoring);
    return restoring;
  }

  private async restore(): Promise<void> {
    const snap = await this.storage.loadAll();
    if (snap.clock) receiveHlc(this.clock, snap.clock);
    for (const stored of snap.boards) {
      this.feed.restore(stored);
      this.persistence.restoredBoard(stored);
    }
    this.outbox.restore(snap.outbox);
    for (const m of snap.outbox) {
      this.persistence.restored(m);
      if ((m.kind === "create" || m.kind === "update") && m.hlc) receiveHlc(this.clock, m.hlc);
    }
    this.snapshots.outboxChanged(this.replicas.ids());
    this.log("local", "load", `${snap.boards.length} boards, ${snap.outbox.length} pending`);
  }

  /** Opens the socket (socket.io reconnects by itself after a drop). */
  connect(): void {
    if (this.net.open()) this.setConnection(this.net.offline ? "offline" : "connecting");
  }

  /** Closes the socket and stops every timer; stored state stays for the next session. */
  close(): void {
    this.net.close();
    this.leases.clear();
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
    const epoch = this.net.epoch;
    this.sender.forgetInflight(); // whatever was in flight belongs to the old connection; it is replayed below
    this.requests.connected();
    this.log("local", "connect", `connected (epoch ${epoch})`, { type: "network", what: "connected" });
    this.store.set({ authError: false });
    this.setConnection(this.replicas.joined().length > 0 ? "catching-up" : "online");
    void this.resync(epoch);
  }

  /** SPEC FEED-4 then OUTBOX-3: after any (re)connect, catch up every joined board, then replay the outbox. */
  private async resync(epoch: number): Promise<void> {
    await this.feed.catchUpAll();
    if (epoch !== this.net.epoch || !this.net.isConnected()) return;
    this.setConnection("online");
    this.sender.pump();
  }

  private onDisconnect(reason: string): void {
    this.sender.forgetInflight();
    this.sender.cancelRetry();
    this.feed.cancelGapChecks();
    this.log("local", "disconnect", reason, { type: "network", what: "disconnected", detail: reason });
    this.setConnection(this.net.offline || this.net.closed ? "offline" : "reconnecting");
  }

  private onConnectError(err: Error): void {
    if (err.message === "UNAUTHORIZED") {
      // socket.io does not retry a handshake the server refused: the person must sign in again.
      this.log("in", "connect_error", "UNAUTHORIZED", { type: "network", what: "refused", detail: "UNAUTHORIZED: sign in again" });
      this.store.set({ authError: true });
      this.setConnection("offline");
      this.notices.add({ boardId: "" }, { code: "session-invalid" });
      return;
    }
    this.log("in", "connect_error", err.message, { type: "network", what: "refused", detail: err.message });
    if (!this.net.offline) this.setConnection("reconnecting");
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
    const { [board.id]: _gone, ...removedBoards } = this.store.get().removedBoards;
    this.store.set({ boardList: [...this.store.get().boardList.filter((b) => b.id !== board.id), board], removedBoards });
    return board;
  }

  /** SPEC BOARD-1: renames a board (owner only). */
  async renameBoard(boardId: string, name: string): Promise<Board> {
    const { board } = await this.requests.call("board:rename", { boardId, name }, boardId);
    this.boardUpdated(board);
    return board;
  }

  /** SPEC BOARD-3: archives or restores a board (owner only). */
  async archiveBoard(boardId: string, archived: boolean): Promise<Board> {
    const { board } = await this.requests.call("board:archive", { boardId, archived }, boardId);
    this.boardUpdated(board);
    return board;
  }

  /** SPEC BOARD-4: deletes a board (owner only). */
  async deleteBoard(boardId: string): Promise<void> {
    await this.requests.call("board:delete", { boardId }, boardId);
    this.boardRemoved(boardId, "deleted");
  }

  /** SPEC BOARD-5: gives up one's membership of a board. */
  async quitBoard(boardId: string): Promise<void> {
    await this.requests.call("board:quit", { boardId }, boardId);
    this.boardRemoved(boardId, "left");
  }

  /** A board's new name or archived state (SPEC BOARD-6), in the list and on its open screen; list-only fields are kept. */
  private boardUpdated(board: Board): void {
    const state = this.store.get();
    const listed = state.boardList.find((b) => b.id === board.id);
    const merged = listed ? { ...listed, name: board.name, archived: board.archived } : undefined;
    if (merged && !board.archived) delete merged.archived;
    if (merged) this.store.set({ boardList: state.boardList.map((b) => (b.id === board.id ? merged : b)) });
    const replica = this.replicas.get(board.id);
    if (replica) {
      const next: Board = { ...replica.board, name: board.name };
      if (board.archived) next.archived = true;
      else delete next.archived;
      replica.board = next;
      this.snapshots.refresh([board.id]);
    }
  }

  /** A board deleted or left (SPEC BOARD-4, BOARD-5): gone from the list; an open screen says why. */
  private boardRemoved(boardId: string, why: "deleted" | "left"): void {
    const state = this.store.get();
    this.store.set({
      boardList: state.boardList.filter((b) => b.id !== boardId),
      removedBoards: { ...state.removedBoards, [boardId]: why },
    });
  }

  /** The change history of a card. */
  async history(cardId: string): Promise<Change[]> {
    return (await this.requests.call("card:history", { cardId }, cardId)).entries;
  }

  /**
   * Takes the lease on a card; its fencing token goes with this client's writes to it, and it is
   * renewed before it expires for as long as the person keeps it (until `unlock`). `ttlMs`: the
   * first grant's length (the server's default, 30 s, when absent; renewals use the default).
   */
  async lock(cardId: string, ttlMs?: number): Promise<Lock> {
    const { lock } = await this.requests.call("lock:acquire", ttlMs === undefined ? { cardId } : { cardId, ttlMs }, cardId);
    this.leases.hold(lock);
    const boardId = findCard(this.store.get().boards, cardId)?.boardId;
    if (boardId) this.extras.setLock(boardId, cardId, lock);
    return lock;
  }

  /** Releases this client's lease on a card (no-op when it holds none). */
  async unlock(cardId: string): Promise<void> {
    const lock = this.leases.release(cardId);
    if (!lock) return;
    await this.requests.call("lock:release", { cardId, token: lock.token }, cardId);
  }

  /** Tells the board which card this person looks at (presence). */
  focusCard(boardId: string, cardId: string | null): void {
    this.log("out", "presence:set", cardId ?? "none");
    this.net.emit("presence:set", { boardId, cardId });
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
    this.snapshots.forgetPreview(boardId);
    this.snapshots.refresh([boardId]);
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

  /** Removes a notice the person dismissed. */
  dismissNotice(noticeId: string): void {
    this.notices.dismiss(noticeId);
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
    const wasDown = this.net.isDown();
    this.net.setOffline(offline);
    if (offline) this.setConnection("offline");
    else if (wasDown) this.setConnection("connecting");
  }

  /** Delays every outgoing emit and every incoming event or ack by `ms`. */
  setLatency(ms: number): void {
    this.net.setLatency(ms);
  }

  /** Discards the next write ack (the server applied it); the client reconnects and replays. */
  dropNextAck(): void {
    this.net.dropNextAck();
  }

  /** Discards the next `change` broadcast, so the gap detection must catch up. */
  dropNextChange(): void {
    this.net.dropNextChange();
  }

  /** Closes the transport abruptly; socket.io notices and reconnects by itself. */
  killSocket(): void {
    this.net.kill();
  }

  /** The demo fault switch (SPEC TX-10): the next cross-shard move this tab sends crashes its coordinator there. */
  setCrash(after: CrashPoint | null): void {
    this.log("out", "sim:crash", after ? `crash the coordinator after ${after}` : "off");
    this.store.set({ crashArmed: after });
    this.net.emit("sim:crash", { after });
  }

  /** Lease simulator: the editor may send writes to cards someone else locked, so the server's LOCKED is seen. */
  setSendAnyway(on: boolean): void {
    this.log("local", "lease", on ? "send anyway: writes to cards others locked are sent" : "send anyway off");
    this.store.set({ leaseSim: { ...this.store.get().leaseSim, sendAnyway: on } });
  }

  /** Lease simulator: a paused holder stops renewing and keeps its tokens, even stale ones (SPEC LOCK-3). */
  setHolderPaused(paused: boolean): void {
    this.leases.setPaused(paused);
    this.store.set({ leaseSim: { ...this.store.get().leaseSim, paused } });
  }
}
