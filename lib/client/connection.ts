import type { Ack, RequestEvent, RequestPayload, ResultMap } from "../protocol";
import type { Log } from "./inspector";
import type { ClientSocket, IoFactory, Link, RequestOutcome, TransportEvents } from "./network";
import { mark } from "./marks";

export interface ConnectionParams {
  url: string;
  token: string;
  replicaId: string;
  batch?: boolean;
}

/** The untyped view of the socket used for generic requests (the event maps are checked at `request`). */
interface RawSocket {
  connected: boolean;
  timeout(ms: number): { emit(event: string, payload: unknown, ack: (err: Error | null, reply: unknown) => void): void };
  emit(event: string, payload: unknown, ack?: (reply: unknown) => void): void;
}

const NO_EVENTS: TransportEvents = {
  connect() {}, disconnect() {}, connectError() {}, hello() {}, changes() {}, lock() {}, presence() {}, presenceDelta() {}, tx() {}, board() {}, txStep() {},
};

/**
 * The client's one Socket.IO connection (socket.io reconnects it by itself after a drop). A
 * request or emit made while the socket is down is not sent at all: socket.io-client would
 * otherwise buffer it and send it after a reconnect, behind the outbox's own replay.
 */
export class Connection implements Link {
  private socket: ClientSocket | null = null;
  private epochCount = 0;
  private closedFlag = false;
  private events: TransportEvents = NO_EVENTS;
  /** A handshake the server refused, to be tried again (socket.io does not: see `open`). */
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private refusals = 0;

  constructor(
    private readonly ioFactory: IoFactory,
    private readonly params: ConnectionParams,
    private readonly log: Log,
  ) {}

  get epoch(): number {
    return this.epochCount;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** The real socket is never off on purpose (the simulator's outage is `SimulatedNetwork`'s). */
  get offline(): boolean {
    return false;
  }

  isConnected(): boolean {
    return this.socket?.connected === true;
  }

  hasSocket(): boolean {
    return this.socket !== null;
  }

  isDown(): boolean {
    return this.socket !== null && !this.socket.connected;
  }

  listen(events: TransportEvents): void {
    this.events = events;
  }

  /** Opens the socket; with `connectNow` false a new socket waits for `connect()`. */
  open(connectNow = true): boolean {
    this.closedFlag = false;
    if (this.socket) {
      if (!this.socket.connected && connectNow) this.socket.connect();
      return false;
    }
    const { url, token, replicaId, batch } = this.params;
    const socket: ClientSocket = this.ioFactory(url, {
      // presenceDelta (SPEC PRES-1): presence comes as small deltas, the full list only at a join.
      auth: { token, replicaId, presenceDelta: true, ...(batch ? { batch: true } : {}) },
      transports: ["websocket"],
      // One connection per client, even for several clients of one URL in one page or test.
      forceNew: true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 3_000,
      autoConnect: connectNow,
    });
    this.socket = socket;
    socket.on("connect", () => {
      mark("socket connected");
      this.refusals = 0;
      this.epochCount++;
      this.events.connect();
    });
    socket.on("disconnect", (reason) => this.events.disconnect(reason));
    socket.on("connect_error", (err) => {
      this.events.connectError(err);
      // socket.io retries a connection that failed by itself, but not a handshake the server's
      // middleware refused (the socket is no longer `active` then). UNAUTHORIZED stays down (the
      // person signs in again); anything else (UNAVAILABLE: the sessions' database away for a
      // moment) is tried again, backing off as socket.io would.
      if (!socket.active && err.message !== "UNAUTHORIZED") this.retryRefused(socket);
    });
    socket.on("hello", (p) => this.events.hello(p));
    socket.on("change", (c) => this.events.changes([c]));
    socket.on("changes", (cs) => this.events.changes(cs));
    socket.on("lock", (p) => this.events.lock(p));
    socket.on("presence", (p) => this.events.presence(p));
    socket.on("presence:delta", (p) => this.events.presenceDelta(p));
    socket.on("tx", (p) => this.events.tx(p));
    socket.on("board", (p) => this.events.board(p));
    socket.on("tx:step", (p) => this.events.txStep(p));
    return true;
  }

  private retryRefused(socket: ClientSocket): void {
    if (this.retryTimer) return;
    const delay = Math.min(3_000, 250 * 2 ** this.refusals++) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.socket === socket && !this.closedFlag && !socket.connected && !socket.active) socket.connect();
    }, delay);
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  close(): void {
    this.closedFlag = true;
    this.cancelRetry();
    this.socket?.disconnect();
    this.socket?.removeAllListeners();
    this.socket = null;
  }

  /** Disconnects the socket (it stays down until `connect()`). */
  disconnect(): void {
    this.cancelRetry();
    this.socket?.disconnect();
  }

  /** Connects the existing socket again. */
  connect(): void {
    this.socket?.connect();
  }

  reconnect(): void {
    if (this.socket) {
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  kill(): void {
    const socket = this.socket;
    if (!socket) return;
    this.log("local", "network", "socket killed", { type: "network", what: "killed" });
    if (socket.connected) {
      socket.io.engine?.close();
    } else {
      // Nothing live to kill: closing an engine mid-handshake would leave socket.io's manager
      // stuck "opening" forever (found by the convergence property test), so restart the attempt.
      socket.disconnect();
      socket.connect();
    }
  }

  request<E extends RequestEvent>(event: E, payload: RequestPayload<E>, timeoutMs: number): Promise<RequestOutcome<E>> {
    return new Promise((resolve) => {
      const raw = this.socket as unknown as RawSocket | null;
      if (!raw?.connected) return resolve({ kind: "offline" });
      raw.timeout(timeoutMs).emit(event, payload, (err, reply) => {
        if (err) return resolve(raw.connected ? { kind: "timeout" } : { kind: "offline" });
        // The server is the trusted side of the protocol: its replies have the ResultMap shapes.
        resolve({ kind: "reply", reply: reply as Ack<ResultMap[E]> });
      });
    });
  }

  emit(event: string, payload: unknown): void {
    const raw = this.socket as unknown as RawSocket | null;
    if (raw?.connected) raw.emit(event, payload, () => {});
  }
}
