import { io as defaultIo } from "socket.io-client";
import type {
  Board,
  Card,
  Change,
  FieldName,
  Fields,
  Lock,
  Patch,
  Policy,
  PresenceUser,
  RequestEvent,
  RequestPayload,
  ResultMap,
  User,
  Visibility,
  WireError,
} from "../protocol";
import { HybridClock } from "../sync/hlc";
import { BoardReplica, MAX_BUFFERED } from "./board-replica";
import { newCardId, newMutationId, uuid } from "./ids";
import { Network, type ClientSocket, type IoFactory } from "./network";
import { Outbox, backoffMs, failureAction, rebaseAfterAck } from "./outbox";
import { MemoryStorage, type ReplicaStorage } from "./storage";
import type {
  BoardState,
  ClientState,
  Conflict,
  ConnectionState,
  InspectorEvent,
  Notice,
  PendingMutation,
  SyncClientApi,
} from "./types";
import { computeView } from "./view";

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

/** A request that the server refused (or that could not be sent), with its error code. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** The result of sending one outbox mutation. */
type MutationOutcome =
  | { kind: "ok"; card?: Card; seq?: number; ignored?: string[]; txId?: string }
  | { kind: "error"; error: WireError }
  | { kind: "timeout" | "dropped" | "offline" };

/** Per-board state that is not the change log's: broadcasts about locks and presence, highlights. */
interface BoardExtras {
  highlights: Record<string, number>;
  locks: Record<string, Lock>;
  presence: PresenceUser[];
}

const MAX_EVENTS = 100;
const NOTICE_MS = 6_000;
const HIGHLIGHT_MS = 3_000;
/** How long an acknowledged lww write is remembered, to tell the person when someone newer replaces it. */
const RECENT_LWW_MS = 10_000;
const PERSIST_DELAY_MS = 100;

/**
 * The framework-free sync client: one replica (one browser tab) of the boards it joined.
 *
 * - Confirmed state per board follows the server's change log strictly in `seq` order
 *   (BoardReplica); gaps are filled by a catch-up `board:join { since }`.
 * - Every local write goes through a durable outbox (stored before it is sent), is shown at once
 *   on top of the confirmed state, is sent strictly in order one at a time, and is removed only
 *   on a definitive answer. Replays keep the original mutationId, so the server applies it once.
 * - After any reconnect: catch up every joined board, then replay the outbox.
 * - The state is an immutable snapshot for `useSyncExternalStore`; listeners are notified once
 *   per microtask.
 */
export class SyncClient implements SyncClientApi {
  private readonly opts: Required<Pick<SyncClientOptions, "url" | "token" | "user" | "replicaId">> & SyncClientOptions;
  private readonly storage: ReplicaStorage;
  private readonly ioFactory: IoFactory;
  private readonly now: () => number;
  private readonly clock: HybridClock;
  private readonly net = new Network();
  private readonly outbox = new Outbox();
  private readonly listeners = new Set<() => void>();
  private state: ClientState;
  private notifyQueued = false;

  private socket: ClientSocket | null = null;
  /** Bumped on every (re)connect: work started on an older connection must not be mistaken for current. */
  private epoch = 0;
  private closed = false;

  private readonly replicas = new Map<string, BoardReplica>();
  private readonly joined = new Set<string>();
  private readonly extras = new Map<string, BoardExtras>();
  private readonly catchUps = new Map<string, Promise<void>>();
  private readonly joinWaiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  private readonly connectWaiters: (() => void)[] = [];
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Storage writes, serialized so a put and a later delete of one mutation land in that order. */
  private storageChain: Promise<void> = Promise.resolve();
  /** Per mutation: the storage write that must finish before it may be sent. */
  private readonly saved = new Map<string, Promise<void>>();
  private readonly dirtyBoards = new Set<string>();
  private persistTimer: ReturnType<typeof setTimeout> | null = null;

  private inflight: { mutationId: string; token: number } | null = null;
  private sendToken = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly myLocks = new Map<string, Lock>();
  private readonly recentLww = new Map<string, { hlc: string; at: number }>();
  /** Names of every user seen in presence or lock broadcasts: someone offline now still has a name. */
  private readonly knownUsers = new Map<string, string>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: SyncClientOptions) {
    this.opts = options;
    this.storage = options.storage ?? new MemoryStorage();
    this.ioFactory = options.io ?? defaultIo;
    this.now = options.now ?? Date.now;
    this.clock = new HybridClock(options.replicaId, this.now);
    this.state = {
      user: options.user,
      replicaId: options.replicaId,
      nodeId: null,
      connection: "offline",
      catchingUp: 0,
      boards: {},
      boardList: [],
      pending: [],
      conflicts: [],
      notices: [],
      events: [],
      network: { offline: false, latencyMs: 0, dropNextAck: false },
      lastTx: null,
      authError: false,
    };
  }

  // ---------------------------------------------------------------- store (useSyncExternalStore)

  /** Registers a listener called (once per microtask) after the snapshot changed. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current immutable snapshot: a new object after every change, the same one otherwise. */
  getSnapshot(): ClientState {
    return this.state;
  }

  private setState(patch: Partial<ClientState>): void {
    this.state = { ...this.state, ...patch };
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const l of [...this.listeners]) l();
    });
  }

  private setConnection(connection: ConnectionState): void {
    if (this.state.connection !== connection) this.setState({ connection, ...(connection === "catching-up" ? { catchingUp: 0 } : {}) });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Restores boards (with their cursors), the pending outbox and the HLC from storage. Call it
   * before `connect()`, so a reload while offline still shows the board and the pending edits.
   */
  async load(): Promise<void> {
    const snap = await this.storage.loadAll();
    if (snap.clock) this.receiveHlc(snap.clock);
    for (const stored of snap.boards) {
      this.replicas.set(stored.board.id, new BoardReplica(stored));
      for (const card of Object.values(stored.confirmed)) this.receiveCard(card);
    }
    this.outbox.restore(snap.outbox);
    for (const m of snap.outbox) {
      this.saved.set(m.mutationId, Promise.resolve());
      if (m.hlc) this.receiveHlc(m.hlc);
    }
    this.outboxChanged([...this.replicas.keys()]);
    this.log("local", "load", `${snap.boards.length} boards, ${snap.outbox.length} pending`);
  }

  /** Opens the socket (socket.io reconnects by itself after a drop). */
  connect(): void {
    this.closed = false;
    if (this.socket) {
      if (!this.socket.connected && !this.net.offline) this.socket.connect();
      return;
    }
    const { url, token, replicaId, batch } = this.opts;
    const socket: ClientSocket = this.ioFactory(url, {
      auth: { token, replicaId, ...(batch ? { batch: true } : {}) },
      transports: ["websocket"],
      // One connection per client, even for several clients of one URL in one page or test.
      forceNew: true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 3_000,
      autoConnect: !this.net.offline,
    });
    this.socket = socket;
    this.setConnection(this.net.offline ? "offline" : "connecting");
    socket.on("connect", () => this.onConnect());
    socket.on("disconnect", (reason) => this.onDisconnect(reason));
    socket.on("connect_error", (err) => this.onConnectError(err));
    socket.on("hello", (p) => this.net.deliver(() => {
      this.log("in", "hello", `node ${p.nodeId}, protocol ${p.protocol}`);
      this.setState({ nodeId: p.nodeId });
    }));
    socket.on("change", (c) => this.net.deliver(() => this.onChanges([c])));
    socket.on("changes", (cs) => this.net.deliver(() => this.onChanges(cs)));
    socket.on("lock", (p) => this.net.deliver(() => {
      this.log("in", "lock", `${p.cardId} ${p.lock ? `held by ${p.lock.holder.name} (token ${p.lock.token})` : "released"}`);
      this.setLock(p.boardId, p.cardId, p.lock);
    }));
    socket.on("presence", (p) => this.net.deliver(() => {
      this.log("in", "presence", `${p.users.length} on board`);
      for (const u of p.users) this.knownUsers.set(u.id, u.name);
      this.updateExtras(p.boardId, (x) => ({ ...x, presence: p.users }));
    }));
    socket.on("tx", (p) => this.net.deliver(() => {
      this.log("in", "tx", `${p.txId.slice(0, 8)} ${p.phase} (${p.shards.join(", ")})`);
      this.setState({ lastTx: { txId: p.txId, phase: p.phase, shards: p.shards } });
    }));
  }

  /** Closes the socket and stops every timer; stored state stays for the next session. */
  close(): void {
    this.closed = true;
    this.socket?.disconnect();
    this.socket?.removeAllListeners();
    this.socket = null;
    this.net.clear();
    for (const t of [...this.timers, ...this.gapTimers.values()]) clearTimeout(t);
    this.timers.clear();
    this.gapTimers.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.flushBoards();
    this.setConnection("offline");
  }

  /** Resolves once every queued storage write has finished (tests, and before a planned reload). */
  async flush(): Promise<void> {
    this.flushBoards();
    await this.storageChain;
  }

  private isConnected(): boolean {
    return this.socket?.connected === true;
  }

  private onConnect(): void {
    this.epoch++;
    const epoch = this.epoch;
    this.inflight = null; // whatever was in flight belongs to the old connection; it is replayed below
    for (const resolve of this.connectWaiters.splice(0)) resolve();
    this.log("local", "connect", `connected (epoch ${epoch})`);
    this.setState({ authError: false });
    this.setConnection(this.joined.size > 0 ? "catching-up" : "online");
    void this.resync(epoch);
  }

  /** SPEC FEED-4 then OUTBOX-3: after any (re)connect, catch up every joined board, then replay the outbox. */
  private async resync(epoch: number): Promise<void> {
    await Promise.all([...this.joined].map((id) => this.catchUp(id)));
    if (epoch !== this.epoch || !this.isConnected()) return;
    this.setConnection("online");
    this.pump();
  }

  private onDisconnect(reason: string): void {
    this.inflight = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const t of this.gapTimers.values()) clearTimeout(t);
    this.gapTimers.clear();
    this.log("local", "disconnect", reason);
    this.setConnection(this.net.offline || this.closed ? "offline" : "reconnecting");
  }

  private onConnectError(err: Error): void {
    if (err.message === "UNAUTHORIZED") {
      // socket.io does not retry a handshake the server refused: the person must sign in again.
      this.log("in", "connect_error", "UNAUTHORIZED");
      this.setState({ authError: true });
      this.setConnection("offline");
      this.notice({ boardId: "", kind: "error", text: "Your session is no longer valid: please sign in again." });
      return;
    }
    this.log("in", "connect_error", err.message);
    if (!this.net.offline) this.setConnection("reconnecting");
  }

  // ---------------------------------------------------------------- plain requests

  /** Sends a request once connected (waits up to the timeout) and returns its result, or throws a RequestError. */
  private async call<E extends RequestEvent>(event: E, payload: RequestPayload<E>, summary: string): Promise<ResultMap[E]> {
    const timeoutMs = this.opts.ackTimeoutMs ?? 10_000;
    await this.whenConnected(timeoutMs);
    this.log("out", event, summary);
    const out = await this.net.request(this.socket, event, payload, timeoutMs);
    if (out.kind !== "reply") throw new RequestError(out.kind === "timeout" ? "TIMEOUT" : "OFFLINE", `${event}: ${out.kind}`);
    if (!out.reply.ok) {
      this.log("in", event, `→ ${out.reply.error.code}`);
      throw new RequestError(out.reply.error.code, out.reply.error.message, out.reply.error.details);
    }
    this.log("in", event, "→ ok");
    return out.reply;
  }

  private whenConnected(timeoutMs: number): Promise<void> {
    if (this.isConnected()) return Promise.resolve();
    if (this.net.offline || !this.socket) return Promise.reject(new RequestError("OFFLINE", "not connected"));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        const i = this.connectWaiters.indexOf(done);
        if (i >= 0) this.connectWaiters.splice(i, 1);
        reject(new RequestError("OFFLINE", "not connected"));
      }, timeoutMs);
      this.timers.add(t);
      const done = () => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve();
      };
      this.connectWaiters.push(done);
    });
  }

  /** Loads the boards the user may see into `boardList`. */
  async refreshBoards(): Promise<Board[]> {
    const { boards } = await this.call("board:list", {}, "");
    this.setState({ boardList: boards });
    return boards;
  }

  /** Creates a board and adds it to `boardList`. */
  async createBoard(input: { name: string; policy: Policy; shard?: string; visibility?: Visibility }): Promise<Board> {
    const { board } = await this.call("board:create", input, `${input.name} (${input.policy})`);
    this.setState({ boardList: [...this.state.boardList.filter((b) => b.id !== board.id), board] });
    return board;
  }

  /** Makes an invite code for a private board (owner only). */
  async invite(boardId: string): Promise<string> {
    return (await this.call("board:invite", { boardId }, boardId)).code;
  }

  /** Accepts an invite code; the board joins `boardList`. */
  async accept(code: string): Promise<Board> {
    const { board } = await this.call("board:accept", { code }, "invite");
    this.setState({ boardList: [...this.state.boardList.filter((b) => b.id !== board.id), board] });
    return board;
  }

  /** The change history of a card. */
  async history(cardId: string): Promise<Change[]> {
    return (await this.call("card:history", { cardId }, cardId)).entries;
  }

  /** Takes the lease on a card; its fencing token goes with this client's writes to it. */
  async lock(cardId: string): Promise<Lock> {
    const { lock } = await this.call("lock:acquire", { cardId }, cardId);
    this.myLocks.set(cardId, lock);
    const boardId = this.findCard(cardId)?.boardId;
    if (boardId) this.setLock(boardId, cardId, lock);
    return lock;
  }

  /** Releases this client's lease on a card (no-op when it holds none). */
  async unlock(cardId: string): Promise<void> {
    const lock = this.myLocks.get(cardId);
    if (!lock) return;
    this.myLocks.delete(cardId);
    await this.call("lock:release", { cardId, token: lock.token }, cardId);
  }

  /** Tells the board which card this person looks at (presence). */
  focusCard(boardId: string, cardId: string | null): void {
    this.log("out", "presence:set", cardId ?? "none");
    this.net.emit(this.socket, "presence:set", { boardId, cardId });
  }

  // ---------------------------------------------------------------- boards and catch-up

  /**
   * Subscribes to a board. Resolves once its state is loaded: at once when a stored copy exists
   * and the client is offline (it catches up on connect), else after the join. Rejects with
   * FORBIDDEN / NOT_FOUND.
   */
  joinBoard(boardId: string): Promise<void> {
    this.joined.add(boardId);
    if (this.replicas.has(boardId) && !this.isConnected()) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      const list = this.joinWaiters.get(boardId) ?? [];
      list.push({ resolve, reject });
      this.joinWaiters.set(boardId, list);
    });
    if (this.isConnected()) void this.catchUp(boardId);
    return done;
  }

  /**
   * Stops following a board. Its stored copy is kept, so a later join catches up from its
   * cursor instead of loading everything again; pending writes to it are still sent.
   */
  leaveBoard(boardId: string): void {
    if (!this.joined.delete(boardId)) return;
    const t = this.gapTimers.get(boardId);
    if (t) clearTimeout(t);
    this.gapTimers.delete(boardId);
    if (this.isConnected()) {
      this.log("out", "board:leave", boardId);
      void this.net.request(this.socket, "board:leave", { boardId }, 10_000);
    }
  }

  /** One catch-up per board at a time; callers share the running one. */
  private catchUp(boardId: string): Promise<void> {
    const running = this.catchUps.get(boardId);
    if (running) return running;
    const p = this.runCatchUp(boardId).finally(() => {
      this.catchUps.delete(boardId);
      // Changes that arrived past a gap the reply did not cover get their own (later) catch-up.
      if ((this.replicas.get(boardId)?.buffered ?? 0) > 0) this.scheduleGapCheck(boardId);
    });
    this.catchUps.set(boardId, p);
    return p;
  }

  /**
   * `board:join`, with `since` when we hold a cursor: applies exactly the returned changes, or
   * replaces everything on `reset`. A join is also what puts this socket in the board's room,
   * so if the connection changed while it ran, it is done again on the new one.
   */
  private async runCatchUp(boardId: string): Promise<void> {
    for (;;) {
      if (!this.isConnected() || !this.joined.has(boardId)) return;
      const epoch = this.epoch;
      const since = this.replicas.get(boardId)?.seq;
      this.log("out", "board:join", since === undefined ? boardId : `${boardId} since ${since}`);
      const out = await this.net.request(
        this.socket,
        "board:join",
        since === undefined ? { boardId } : { boardId, since },
        this.opts.ackTimeoutMs ?? 10_000,
      );
      if (out.kind === "offline" || out.kind === "dropped") {
        if (this.isConnected() && epoch !== this.epoch) continue;
        return; // the next connect catches up
      }
      if (out.kind === "timeout") {
        this.scheduleGapCheck(boardId, 1_000, true);
        return;
      }
      const reply = out.reply;
      if (!reply.ok) {
        this.log("in", "board:join", `→ ${reply.error.code}`);
        if (reply.error.code === "FORBIDDEN" || reply.error.code === "NOT_FOUND") {
          this.dropBoard(boardId, new RequestError(reply.error.code, reply.error.message));
        } else {
          this.scheduleGapCheck(boardId, 1_000, true);
        }
        return;
      }
      if (!this.joined.has(boardId)) return;
      let replica = this.replicas.get(boardId);
      let applied: Change[];
      if ("changes" in reply) {
        this.log("in", "board:join", `→ ${reply.changes.length} changes to seq ${reply.seq}`);
        replica ??= new BoardReplica({ board: reply.board, seq: reply.seq, confirmed: {} });
        applied = replica.catchUp(reply.changes);
      } else {
        this.log("in", "board:join", `→ ${reply.reset ? "reset: " : ""}${reply.cards.length} cards at seq ${reply.seq}`);
        for (const card of reply.cards) this.receiveCard(card);
        replica ??= new BoardReplica({ board: reply.board, seq: reply.seq, confirmed: {} });
        applied = replica.reset(reply.board, reply.seq, reply.cards);
      }
      this.replicas.set(boardId, replica);
      this.afterApply(boardId, applied, "changes" in reply ? reply.changes.length : 0);
      for (const w of this.joinWaiters.get(boardId) ?? []) w.resolve();
      this.joinWaiters.delete(boardId);
      if (epoch === this.epoch) return;
    }
  }

  /** The board is gone or no longer ours: forget it everywhere. */
  private dropBoard(boardId: string, err: RequestError): void {
    this.joined.delete(boardId);
    this.replicas.delete(boardId);
    this.extras.delete(boardId);
    this.persist(() => this.storage.deleteBoard(boardId));
    for (const w of this.joinWaiters.get(boardId) ?? []) w.reject(err);
    this.joinWaiters.delete(boardId);
    const boards = { ...this.state.boards };
    delete boards[boardId];
    this.setState({ boards });
  }

  /**
   * SPEC FEED-2: wait briefly for a gap to fill by itself, then catch up with `since`. With
   * `retry` (a join that timed out or failed), catch up even without a known gap: the socket's
   * room membership depends on a successful join.
   */
  private scheduleGapCheck(boardId: string, delayMs = this.opts.gapWaitMs ?? 250, retry = false): void {
    if (this.gapTimers.has(boardId) || this.closed) return;
    const t = setTimeout(() => {
      this.gapTimers.delete(boardId);
      const replica = this.replicas.get(boardId);
      if (!this.joined.has(boardId)) return;
      if (retry || (replica?.buffered ?? 0) > 0) void this.catchUp(boardId);
    }, delayMs);
    this.gapTimers.set(boardId, t);
  }

  private onChanges(changes: Change[]): void {
    for (const change of changes) {
      if (this.net.takeDropChange()) {
        this.log("in", "change", `seq ${change.seq} DROPPED by the simulator`);
        continue;
      }
      const replica = this.replicas.get(change.boardId);
      this.log("in", "change", `seq ${change.seq} ${change.type} ${change.cardId ?? change.card?.id ?? ""}${change.card ? ` v${change.card.version}` : ""}`);
      if (!replica || !this.joined.has(change.boardId)) continue;
      if (change.card) this.receiveCard(change.card);
      const r = replica.offer(change);
      if (r.kind === "applied") this.afterApply(change.boardId, r.applied, 0);
      if (replica.buffered >= MAX_BUFFERED) void this.catchUp(change.boardId);
      else if (replica.buffered > 0) this.scheduleGapCheck(change.boardId);
    }
  }

  /** Side effects of applied changes: highlights, lww notices, settling acked writes, storage, view. */
  private afterApply(boardId: string, applied: Change[], catchUpCount: number): void {
    if (this.state.connection === "catching-up" && catchUpCount > 0) this.setState({ catchingUp: this.state.catchingUp + catchUpCount });
    const now = this.now();
    const highlights: Record<string, number> = {};
    for (const c of applied) {
      const cardId = c.card?.id ?? c.cardId;
      if (cardId && c.by !== this.opts.user.id) highlights[cardId] = now;
      if (c.card) this.checkLwwReplaced(boardId, c);
    }
    if (Object.keys(highlights).length > 0) {
      this.updateExtras(boardId, (x) => ({
        ...x,
        highlights: {
          ...Object.fromEntries(Object.entries(x.highlights).filter(([, at]) => now - at < HIGHLIGHT_MS)),
          ...highlights,
        },
      }));
    }
    const settled = this.settle(boardId);
    this.markDirty(boardId);
    if (settled) this.outboxChanged([boardId]);
    else this.refresh([boardId, ...this.boardsMovingFrom(boardId)]);
  }

  /** Boards with a pending move of a card out of `boardId` (their view borrows its card). */
  private boardsMovingFrom(boardId: string): string[] {
    return this.outbox.overlay().filter((m) => m.kind === "move" && m.boardId === boardId && m.toBoardId).map((m) => m.toBoardId!);
  }

  /**
   * Removes acknowledged writes whose effect the confirmed state now shows: its seq was
   * reached, or (moves answer no seq) the card has left the source board.
   */
  private settle(boardId: string): boolean {
    const replica = this.replicas.get(boardId);
    return this.outbox.settle((e) => {
      if (e.mutation.boardId !== boardId) return false;
      if (!replica || !this.joined.has(boardId)) return true;
      return e.acked?.seq !== undefined ? replica.seq >= e.acked.seq : !(e.mutation.cardId in replica.confirmed);
    });
  }

  // ---------------------------------------------------------------- local writes

  /** Optimistic create with a client-made id, through the outbox. */
  createCard(boardId: string, fields: Partial<Fields>): string {
    const policy = this.replicas.get(boardId)?.board.policy;
    const cardId = newCardId();
    this.enqueue({ kind: "create", boardId, cardId, patch: { ...fields }, ...(policy === "lww" ? { hlc: this.clock.now() } : {}) });
    return cardId;
  }

  /**
   * Optimistic update. Stamps what the policy needs at edit time: occ the confirmed version the
   * edit is based on, lww an HLC, mvr the card clock seen.
   */
  updateCard(cardId: string, patch: Patch, basedOn?: Card): void {
    const found = this.findCard(cardId);
    if (!found) return this.notice({ boardId: "", cardId, kind: "error", text: "That card is not here any more." });
    const replica = this.replicas.get(found.boardId)!;
    const confirmed = replica.confirmed[cardId];
    // An edit made in an editor opened on an older version is based on that version, so that a
    // newer save by someone else to the same field conflicts (occ) or stays a sibling (mvr)
    // instead of being overwritten silently.
    const base = basedOn && confirmed && basedOn.version > 0 && basedOn.version < confirmed.version ? basedOn : confirmed;
    this.enqueue({ kind: "update", boardId: found.boardId, cardId, patch: { ...patch }, ...this.basis(replica.board.policy, base) });
  }

  /** Optimistic delete. */
  deleteCard(cardId: string): void {
    const found = this.findCard(cardId);
    if (!found) return;
    const replica = this.replicas.get(found.boardId)!;
    const { baseVersion, base } = this.basis(replica.board.policy, replica.confirmed[cardId]);
    this.enqueue({ kind: "delete", boardId: found.boardId, cardId, baseVersion, ...(base ? { base } : {}) });
  }

  /** Optimistic move to another board (two-phase commit on the server when it crosses shards). */
  moveCard(cardId: string, toBoardId: string): void {
    const found = this.findCard(cardId);
    if (!found || found.boardId === toBoardId) return;
    const replica = this.replicas.get(found.boardId)!;
    const { baseVersion, base } = this.basis(replica.board.policy, replica.confirmed[cardId]);
    this.enqueue({ kind: "move", boardId: found.boardId, cardId, toBoardId, baseVersion, ...(base ? { base } : {}) });
  }

  /** What a write is based on, fixed when the person makes it (not when it is sent). */
  private basis(policy: Policy, confirmed: Card | undefined): Pick<PendingMutation, "baseVersion" | "hlc" | "context" | "base"> {
    return {
      baseVersion: confirmed?.version ?? 0,
      ...(policy === "occ" && confirmed ? { base: confirmed } : {}),
      ...(policy === "lww" ? { hlc: this.clock.now() } : {}),
      ...(policy === "mvr" ? { context: confirmed?.clock ?? {} } : {}),
    };
  }

  /** Sends the person's resolution based on the newest confirmed version, and closes the conflict. */
  resolveConflict(conflictId: string, resolution: Patch): void {
    const c = this.state.conflicts.find((x) => x.id === conflictId);
    if (!c) return;
    const confirmed = this.replicas.get(c.boardId)?.confirmed[c.cardId];
    const base = confirmed && confirmed.version >= c.theirs.version ? confirmed : c.theirs;
    this.setState({ conflicts: this.state.conflicts.filter((x) => x.id !== conflictId) });
    if (Object.keys(resolution).length === 0) return;
    this.enqueue({ kind: "update", boardId: c.boardId, cardId: c.cardId, patch: { ...resolution }, baseVersion: base.version, base });
  }

  /** Drops a conflict, keeping the server's state. */
  discardConflict(conflictId: string): void {
    this.setState({ conflicts: this.state.conflicts.filter((x) => x.id !== conflictId) });
  }

  /** Where a card is shown (pending creates and moves included). */
  private findCard(cardId: string): { boardId: string; card: Card } | undefined {
    for (const [boardId, b] of Object.entries(this.state.boards)) {
      const card = b.cards[cardId];
      if (card) return { boardId, card };
    }
    return undefined;
  }

  /** Adds a local write to the outbox: stored first (sending waits for it), shown at once, then sent in order. */
  private enqueue(m: Omit<PendingMutation, "mutationId" | "createdAt" | "attempts" | "order">): void {
    const mutation = this.outbox.add({ ...m, mutationId: newMutationId(), createdAt: new Date(this.now()).toISOString(), attempts: 0 });
    this.saved.set(mutation.mutationId, this.persist(() => this.storage.putMutation(mutation)));
    this.log("local", `card:${m.kind}`, describeMutation(mutation));
    this.outboxChanged([m.boardId, ...(m.toBoardId ? [m.toBoardId] : [])]);
    this.pump();
  }

  // ---------------------------------------------------------------- sending the outbox

  /** Sends the oldest pending mutation if nothing is in flight and the client is online. */
  private pump(): void {
    if (this.inflight || this.retryTimer || this.closed || this.state.connection !== "online" || !this.isConnected()) return;
    const m = this.outbox.pending()[0];
    if (!m) return;
    const token = ++this.sendToken;
    this.inflight = { mutationId: m.mutationId, token };
    void this.send(m.mutationId, token);
  }

  private async send(mutationId: string, token: number): Promise<void> {
    await this.saved.get(mutationId); // SPEC OUTBOX-1: durable before it leaves
    const current = this.outbox.get(mutationId);
    if (this.inflight?.token !== token || !current) {
      if (this.inflight?.token === token) this.inflight = null;
      return this.pump();
    }
    const m: PendingMutation = { ...current, attempts: current.attempts + 1 };
    this.outbox.replace(m);
    this.persist(() => this.storage.putMutation(m));
    this.setState({ pending: this.outbox.pending() });
    this.log("out", `card:${m.kind}`, `${describeMutation(m)}${m.attempts > 1 ? ` (replay #${m.attempts - 1})` : ""}`);
    const outcome = await this.sendMutation(m);
    const current2 = this.inflight?.token === token;
    if (current2) this.inflight = null;
    this.onOutcome(m, outcome, current2);
    this.pump();
  }

  /** The wire request for a mutation (the original mutationId, hlc and context on every replay). */
  private async sendMutation(m: PendingMutation): Promise<MutationOutcome> {
    const timeout = this.opts.ackTimeoutMs ?? 10_000;
    const lockToken = this.myLocks.get(m.cardId)?.token;
    const lock = lockToken === undefined ? {} : { lockToken };
    const base = m.baseVersion ?? 0;
    const o = { droppable: true };
    switch (m.kind) {
      case "create": {
        const out = await this.net.request(this.socket, "card:create", {
          mutationId: m.mutationId, boardId: m.boardId, cardId: m.cardId, fields: m.patch ?? {}, ...(m.hlc ? { hlc: m.hlc } : {}),
        }, timeout, o);
        return out.kind !== "reply" ? out : out.reply.ok ? { kind: "ok", card: out.reply.card, seq: out.reply.seq } : { kind: "error", error: out.reply.error };
      }
      case "update": {
        const out = await this.net.request(this.socket, "card:update", {
          mutationId: m.mutationId, cardId: m.cardId, baseVersion: base, patch: m.patch ?? {},
          ...(m.hlc ? { hlc: m.hlc } : {}), ...(m.context ? { context: m.context } : {}), ...lock,
        }, timeout, o);
        return out.kind !== "reply" ? out : out.reply.ok
          ? { kind: "ok", card: out.reply.card, seq: out.reply.seq, ...(out.reply.ignored ? { ignored: out.reply.ignored } : {}) }
          : { kind: "error", error: out.reply.error };
      }
      case "delete": {
        const out = await this.net.request(this.socket, "card:delete", { mutationId: m.mutationId, cardId: m.cardId, baseVersion: base, ...lock }, timeout, o);
        return out.kind !== "reply" ? out : out.reply.ok ? { kind: "ok", seq: out.reply.seq } : { kind: "error", error: out.reply.error };
      }
      case "move": {
        const out = await this.net.request(this.socket, "card:move", {
          mutationId: m.mutationId, cardId: m.cardId, toBoardId: m.toBoardId ?? "", baseVersion: base, ...lock,
        }, timeout, o);
        return out.kind !== "reply" ? out : out.reply.ok
          ? { kind: "ok", card: out.reply.card, ...(out.reply.txId ? { txId: out.reply.txId } : {}) }
          : { kind: "error", error: out.reply.error };
      }
    }
  }

  /**
   * SPEC OUTBOX-5. ok → acknowledged; CONFLICT → a Conflict for the person; definitive errors →
   * dropped with a notice; retryable errors and timeouts → kept and retried with backoff; a lost
   * or dropped ack → kept and replayed (same mutationId) after a reconnect.
   */
  private onOutcome(m: PendingMutation, out: MutationOutcome, isCurrentSend: boolean): void {
    const stillPending = this.outbox.get(m.mutationId) !== undefined;
    const tag = `card:${m.kind}`;
    if (out.kind === "ok" || out.kind === "error") {
      if (!stillPending) return; // answered already (a replay raced a late ack): nothing to do twice
      if (out.kind === "ok") return this.onAck(m, out);
      const action = failureAction(out.error.code);
      this.log("in", tag, `${describeMutation(m)} → ${out.error.code}`);
      if (action === "retry") return this.scheduleRetry(m);
      this.removePending(m);
      if (action === "conflict") return this.onConflict(m, out.error);
      this.notice({ boardId: m.boardId, cardId: m.cardId, kind: "error", text: `${describeWrite(m)} was refused: ${out.error.message} (${out.error.code})` });
      return;
    }
    if (!isCurrentSend || !stillPending) return;
    if (out.kind === "timeout") {
      this.log("local", tag, `${describeMutation(m)} → no ack in time, kept`);
      this.scheduleRetry(m);
    } else if (out.kind === "dropped") {
      // The server applied it but we never heard: reconnect now so the replay proves exactly-once.
      this.log("in", tag, `${describeMutation(m)} → ack DROPPED by the simulator; reconnecting`);
      this.setState({ network: { ...this.state.network, dropNextAck: false } });
      if (this.socket && !this.net.offline) {
        this.socket.disconnect();
        this.socket.connect();
      }
    }
  }

  private onAck(m: PendingMutation, out: Extract<MutationOutcome, { kind: "ok" }>): void {
    this.log("in", `card:${m.kind}`, `${describeMutation(m)} → ok${out.seq !== undefined ? ` seq ${out.seq}` : ""}${out.card ? ` v${out.card.version}` : ""}${out.ignored?.length ? ` ignored ${out.ignored.join(",")}` : ""}`);
    this.outbox.ack(m.mutationId, out.seq);
    this.persist(() => this.storage.deleteMutation(m.mutationId));
    this.saved.delete(m.mutationId);
    if (out.card) {
      this.receiveCard(out.card);
      for (const r of rebaseAfterAck(m, out.card, this.outbox.pending(), this.opts.replicaId)) {
        this.outbox.replace(r);
        this.persist(() => this.storage.putMutation(r));
      }
    }
    const policy = this.replicas.get(m.boardId)?.board.policy;
    if (policy === "lww" && m.kind === "update" && m.hlc && m.patch) {
      const ignored = out.ignored ?? [];
      if (ignored.length > 0) {
        const by = this.nameOf(m.boardId, out.card?.updatedBy);
        this.notice({ boardId: m.boardId, cardId: m.cardId, kind: "lww-replaced", text: `Your edit to ${ignored.join(", ")} was replaced by ${by}'s newer edit` });
      }
      for (const f of Object.keys(m.patch)) {
        if (!ignored.includes(f)) this.recentLww.set(`${m.cardId}:${f}`, { hlc: m.hlc, at: this.now() });
      }
    }
    this.settle(m.boardId);
    this.outboxChanged([m.boardId, ...(m.toBoardId ? [m.toBoardId] : [])]);
  }

  private onConflict(m: PendingMutation, error: WireError): void {
    const details = error.details as { current?: Card; fields?: FieldName[] } | undefined;
    if (m.kind === "update" && details?.current) {
      const conflict: Conflict = {
        id: uuid(),
        boardId: m.boardId,
        cardId: m.cardId,
        fields: details.fields ?? (Object.keys(m.patch ?? {}) as FieldName[]),
        base: m.base ?? details.current,
        mine: m.patch ?? {},
        theirs: details.current,
      };
      this.receiveCard(details.current);
      this.setState({ conflicts: [...this.state.conflicts, conflict] });
    } else {
      this.notice({ boardId: m.boardId, cardId: m.cardId, kind: "error", text: `${describeWrite(m)} was refused: the card changed meanwhile` });
    }
  }

  private removePending(m: PendingMutation): void {
    this.outbox.remove(m.mutationId);
    this.saved.delete(m.mutationId);
    this.persist(() => this.storage.deleteMutation(m.mutationId));
    this.outboxChanged([m.boardId, ...(m.toBoardId ? [m.toBoardId] : [])]);
  }

  private scheduleRetry(m: PendingMutation): void {
    if (this.retryTimer || this.closed) return;
    const delay = backoffMs(m.attempts);
    this.log("local", `card:${m.kind}`, `retry in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delay);
  }

  // ---------------------------------------------------------------- clocks, notices, inspector

  /** Moves the HLC past every timestamp seen on a card, so our next edit sorts after it. */
  private receiveCard(card: Card): void {
    for (const h of Object.values(card.hlc ?? {})) if (h) this.receiveHlc(h);
  }

  private receiveHlc(h: string): void {
    try {
      this.clock.receive(h);
    } catch {
      /* a malformed timestamp from the wire is ignored; the server never stores one */
    }
  }

  /** lww: someone's newer write replaced a field we wrote moments ago: tell the person. */
  private checkLwwReplaced(boardId: string, c: Change): void {
    const stamps = c.card?.hlc;
    if (!stamps || this.recentLww.size === 0) return;
    const now = this.now();
    for (const [key, rec] of this.recentLww) if (now - rec.at > RECENT_LWW_MS) this.recentLww.delete(key);
    const replaced: string[] = [];
    for (const [field, h] of Object.entries(stamps)) {
      const key = `${c.card!.id}:${field}`;
      const rec = this.recentLww.get(key);
      if (!rec || !h || h <= rec.hlc || h.endsWith(`:${this.opts.replicaId}`)) continue;
      this.recentLww.delete(key);
      replaced.push(field);
    }
    if (replaced.length > 0) {
      this.notice({
        boardId,
        cardId: c.card!.id,
        kind: "lww-replaced",
        text: `Your edit to ${replaced.join(", ")} was replaced by ${this.nameOf(boardId, c.by)}'s newer edit`,
      });
    }
  }

  private nameOf(boardId: string, userId: string | undefined): string {
    const present = this.extras.get(boardId)?.presence.find((u) => u.id === userId)?.name;
    return present ?? (userId ? this.knownUsers.get(userId) : undefined) ?? "another editor";
  }

  /** Adds a short-lived notice (removed after about 6 s). */
  private notice(n: Omit<Notice, "id" | "at">): void {
    const notice: Notice = { ...n, id: uuid(), at: new Date(this.now()).toISOString() };
    this.setState({ notices: [...this.state.notices, notice] });
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.setState({ notices: this.state.notices.filter((x) => x.id !== notice.id) });
    }, NOTICE_MS);
    this.timers.add(t);
  }

  private log(direction: InspectorEvent["direction"], event: string, summary: string): void {
    const e: InspectorEvent = { at: new Date(this.now()).toISOString(), direction, event, summary };
    this.setState({ events: [...this.state.events.slice(-(MAX_EVENTS - 1)), e] });
  }

  // ---------------------------------------------------------------- snapshot building

  private updateExtras(boardId: string, fn: (x: BoardExtras) => BoardExtras): void {
    this.extras.set(boardId, fn(this.extras.get(boardId) ?? { highlights: {}, locks: {}, presence: [] }));
    this.refresh([boardId]);
  }

  private setLock(boardId: string, cardId: string, lock: Lock | null): void {
    if (lock) this.knownUsers.set(lock.holder.id, lock.holder.name);
    if (!lock || lock.holder.id !== this.opts.user.id) {
      const mine = this.myLocks.get(cardId);
      if (mine && (!lock || lock.token > mine.token)) this.myLocks.delete(cardId);
    }
    this.updateExtras(boardId, (x) => {
      const locks = { ...x.locks };
      if (lock) locks[cardId] = lock;
      else delete locks[cardId];
      return { ...x, locks };
    });
  }

  /** The outbox changed: new `pending` list, and the views of the boards it touches. */
  private outboxChanged(boardIds: string[]): void {
    this.setState({ pending: this.outbox.pending() });
    this.refresh(boardIds);
  }

  /** Rebuilds the snapshots of these boards (only these get a new identity). */
  private refresh(boardIds: Iterable<string>): void {
    const boards = { ...this.state.boards };
    let changed = false;
    for (const id of new Set(boardIds)) {
      const built = this.buildBoard(id);
      if (built) boards[id] = built;
      else if (id in boards) delete boards[id];
      else continue;
      changed = true;
    }
    if (changed) this.setState({ boards });
  }

  private buildBoard(boardId: string): BoardState | undefined {
    const replica = this.replicas.get(boardId);
    if (!replica) return undefined;
    const x = this.extras.get(boardId) ?? { highlights: {}, locks: {}, presence: [] };
    const cards = computeView(boardId, replica.board.policy, replica.confirmed, this.outbox.overlay(), this.opts.user.id, (cardId) => {
      for (const r of this.replicas.values()) if (r.confirmed[cardId]) return r.confirmed[cardId];
      return undefined;
    });
    return {
      board: replica.board,
      seq: replica.seq,
      confirmed: replica.confirmed,
      cards,
      highlights: x.highlights,
      locks: x.locks,
      presence: x.presence,
    };
  }

  // ---------------------------------------------------------------- storage

  /** Queues a storage write behind the earlier ones; failures are logged, never thrown at the UI. */
  private persist(fn: () => Promise<void>): Promise<void> {
    this.storageChain = this.storageChain.then(fn).catch((err: unknown) => {
      this.log("local", "storage", `write failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.storageChain;
  }

  /** Board snapshots are a cache of the server's log, so they are saved in batches (every 100 ms). */
  private markDirty(boardId: string): void {
    this.dirtyBoards.add(boardId);
    if (this.persistTimer || this.closed) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      this.flushBoards();
    }, PERSIST_DELAY_MS);
  }

  private flushBoards(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = null;
    for (const id of this.dirtyBoards) {
      const replica = this.replicas.get(id);
      if (replica) {
        const stored = replica.toStored();
        this.persist(() => this.storage.saveBoard(stored));
      }
    }
    this.dirtyBoards.clear();
    const hlc = this.clock.peek();
    this.persist(() => this.storage.saveMeta({ hlc }));
  }

  // ---------------------------------------------------------------- network simulator

  /** Simulated outage: disconnects the real socket and keeps it down until `setOffline(false)`. */
  setOffline(offline: boolean): void {
    this.net.offline = offline;
    this.setState({ network: { ...this.state.network, offline } });
    this.log("local", "network", offline ? "offline" : "online");
    if (offline) {
      this.socket?.disconnect();
      this.setConnection("offline");
    } else if (this.socket && !this.socket.connected) {
      this.setConnection("connecting");
      this.socket.connect();
    }
  }

  /** Delays every outgoing emit and every incoming event or ack by `ms`. */
  setLatency(ms: number): void {
    this.net.latencyMs = Math.max(0, ms);
    this.setState({ network: { ...this.state.network, latencyMs: this.net.latencyMs } });
  }

  /** Discards the next write ack (the server applied it); the client reconnects and replays. */
  dropNextAck(): void {
    this.net.dropAck = true;
    this.setState({ network: { ...this.state.network, dropNextAck: true } });
  }

  /** Added by lib/client: discards the next `change` broadcast, so the gap detection must catch up. */
  dropNextChange(): void {
    this.net.dropChange = true;
  }

  /** Closes the transport abruptly; socket.io notices and reconnects by itself. */
  killSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.log("local", "network", "socket killed");
    if (socket.connected) {
      socket.io.engine?.close();
    } else if (!this.net.offline) {
      // Nothing live to kill: closing an engine mid-handshake would leave socket.io's manager
      // stuck "opening" forever (found by the convergence property test), so restart the attempt.
      socket.disconnect();
      socket.connect();
    }
  }
}

/** Short inspector text for a mutation, e.g. `update c_1234 title v3`. */
function describeMutation(m: PendingMutation): string {
  const fields = m.patch ? ` ${Object.keys(m.patch).join(",")}` : "";
  const to = m.toBoardId ? ` → ${m.toBoardId}` : "";
  return `${m.cardId.slice(0, 10)}${fields}${m.kind === "create" ? "" : ` v${m.baseVersion ?? 0}`}${to}`;
}

/** Human text for a write, for notices. */
function describeWrite(m: PendingMutation): string {
  switch (m.kind) {
    case "create":
      return "Your new card";
    case "update":
      return `Your edit to ${Object.keys(m.patch ?? {}).join(", ")}`;
    case "delete":
      return "Your delete";
    case "move":
      return "Your move";
  }
}
