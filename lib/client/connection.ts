import type { Change, RequestEvent, RequestPayload, ServerToClientEvents } from "../protocol";
import type { Log } from "./inspector";
import { Network, type ClientSocket, type IoFactory, type RequestOutcome } from "./network";

type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** What the client does on socket events. Server events arrive after the simulated latency. */
export interface ConnectionEvents {
  connect(): void;
  disconnect(reason: string): void;
  connectError(err: Error): void;
  hello(p: Payload<"hello">): void;
  changes(changes: Change[]): void;
  lock(p: Payload<"lock">): void;
  presence(p: Payload<"presence">): void;
  tx(p: Payload<"tx">): void;
}

export interface ConnectionParams {
  url: string;
  token: string;
  replicaId: string;
  batch?: boolean;
}

/**
 * The client's one Socket.IO connection (socket.io reconnects it by itself after a drop) and the
 * network simulator that drives it. Requests and emits go through the simulator; one made while
 * the socket is down is not sent at all (see Network.request).
 */
export class Connection {
  readonly net = new Network();
  private socket: ClientSocket | null = null;
  private epochCount = 0;
  private closedFlag = false;

  constructor(
    private readonly ioFactory: IoFactory,
    private readonly params: ConnectionParams,
    private readonly log: Log,
    private readonly events: ConnectionEvents,
  ) {}

  /** Bumped on every (re)connect: work started on an older connection must not be mistaken for current. */
  get epoch(): number {
    return this.epochCount;
  }

  /** True from `close()` until the next `open()`. */
  get closed(): boolean {
    return this.closedFlag;
  }

  isConnected(): boolean {
    return this.socket?.connected === true;
  }

  /** A socket exists (open() was called and close() was not). */
  hasSocket(): boolean {
    return this.socket !== null;
  }

  /** The socket exists but is not connected. */
  isDown(): boolean {
    return this.socket !== null && !this.socket.connected;
  }

  /** Opens the socket; true when a new one was made (an existing one is only reconnected when down). */
  open(): boolean {
    this.closedFlag = false;
    if (this.socket) {
      if (!this.socket.connected && !this.net.offline) this.socket.connect();
      return false;
    }
    const { url, token, replicaId, batch } = this.params;
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
    const { events, net } = this;
    socket.on("connect", () => {
      this.epochCount++;
      events.connect();
    });
    socket.on("disconnect", (reason) => events.disconnect(reason));
    socket.on("connect_error", (err) => events.connectError(err));
    socket.on("hello", (p) => net.deliver(() => events.hello(p)));
    socket.on("change", (c) => net.deliver(() => events.changes([c])));
    socket.on("changes", (cs) => net.deliver(() => events.changes(cs)));
    socket.on("lock", (p) => net.deliver(() => events.lock(p)));
    socket.on("presence", (p) => net.deliver(() => events.presence(p)));
    socket.on("tx", (p) => net.deliver(() => events.tx(p)));
    return true;
  }

  /** Closes the socket for good and drops queued deliveries. */
  close(): void {
    this.closedFlag = true;
    this.socket?.disconnect();
    this.socket?.removeAllListeners();
    this.socket = null;
    this.net.clear();
  }

  /** Disconnects the socket (it stays down until `connect()`). */
  disconnect(): void {
    this.socket?.disconnect();
  }

  /** Connects the existing socket again. */
  connect(): void {
    this.socket?.connect();
  }

  /** Drops the connection and reconnects at once (not while offline). */
  reconnect(): void {
    if (this.socket && !this.net.offline) {
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  /** Closes the transport abruptly; socket.io notices and reconnects by itself. */
  kill(): void {
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

  /** Sends a request on the current socket (see Network.request); never rejects. */
  request<E extends RequestEvent>(event: E, payload: RequestPayload<E>, timeoutMs: number, opts?: { droppable?: boolean }): Promise<RequestOutcome<E>> {
    return this.net.request(this.socket, event, payload, timeoutMs, opts);
  }

  /** Emits a fire-and-forget event on the current socket. */
  emit(event: string, payload: unknown): void {
    this.net.emit(this.socket, event, payload);
  }
}
