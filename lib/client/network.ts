import type { io as ioFactory, Socket } from "socket.io-client";
import type { Ack, Change, ClientToServerEvents, RequestEvent, RequestPayload, ResultMap, ServerToClientEvents } from "../protocol";
import type { Log, WriteTrace } from "./inspector";
import type { NetworkSimulation } from "./types";

/** The `io` function of socket.io-client (injectable so tests and the UI pass their own import). */
export type IoFactory = typeof ioFactory;
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How a request ended: the server's reply, no reply in time, or not sent or not answered because the socket is down. */
export type RequestOutcome<E extends RequestEvent> =
  | { kind: "reply"; reply: Ack<ResultMap[E]> }
  | { kind: "timeout" }
  | { kind: "offline" };

type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** What the client does on socket events. */
export interface TransportEvents {
  connect(): void;
  disconnect(reason: string): void;
  connectError(err: Error): void;
  hello(p: Payload<"hello">): void;
  changes(changes: Change[]): void;
  lock(p: Payload<"lock">): void;
  presence(p: Payload<"presence">): void;
  presenceDelta(p: Payload<"presence:delta">): void;
  tx(p: Payload<"tx">): void;
  /** SPEC BOARD-6: a board was renamed, archived, restored, deleted or left. */
  board(p: Payload<"board">): void;
  /** SPEC TX-10: a step of a cross-shard move. */
  txStep(p: Payload<"tx:step">): void;
}

/**
 * The client's one connection to a server node, as the rest of the client sees it: requests with
 * an ack, fire-and-forget emits, server events, and the socket's lifecycle. `Connection` is the
 * socket itself; `SimulatedNetwork` wraps one to add the network simulator.
 */
export interface Transport {
  /** Bumped on every (re)connect: work started on an older connection must not be mistaken for current. */
  readonly epoch: number;
  /** True from `close()` until the next `open()`. */
  readonly closed: boolean;
  /** The network is off on purpose (a simulated outage): nothing tries to connect until it is back. */
  readonly offline: boolean;
  isConnected(): boolean;
  /** A socket exists (open() was called and close() was not). */
  hasSocket(): boolean;
  /** The socket exists but is not connected. */
  isDown(): boolean;
  /** Sets the handlers of server and lifecycle events (once, before `open`). */
  listen(events: TransportEvents): void;
  /** Opens the socket; true when a new one was made (an existing one is only reconnected when down). */
  open(): boolean;
  /** Closes the socket for good. */
  close(): void;
  /** Drops the connection and reconnects at once. */
  reconnect(): void;
  /** Closes the transport abruptly; socket.io notices and reconnects by itself. */
  kill(): void;
  /** Sends a request and resolves with its outcome; never rejects. Not sent while the socket is down. */
  request<E extends RequestEvent>(event: E, payload: RequestPayload<E>, timeoutMs: number): Promise<RequestOutcome<E>>;
  /** Emits a fire-and-forget event (for example `presence:set`). */
  emit(event: string, payload: unknown): void;
}

/** The socket as the simulator drives it: a Transport that can be opened without connecting. */
export interface Link extends Transport {
  open(connectNow?: boolean): boolean;
  disconnect(): void;
  connect(): void;
}

/**
 * A FIFO of callbacks each run no earlier than its due time and never before the ones queued
 * ahead of it, so added latency delays messages without reordering them (one timer at a time).
 */
export class DelayQueue {
  private readonly items: { due: number; fn: () => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** Runs `fn` after `delayMs` (at once when there is no delay and nothing queued). */
  push(delayMs: number, fn: () => void): void {
    if (delayMs <= 0 && this.items.length === 0) return fn();
    const last = this.items[this.items.length - 1]?.due ?? 0;
    this.items.push({ due: Math.max(Date.now() + delayMs, last), fn });
    this.schedule();
  }

  /** Drops everything queued. */
  clear(): void {
    this.items.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.items.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      while (this.items.length > 0 && this.items[0]!.due <= now) this.items.shift()!.fn();
      this.schedule();
    }, Math.max(0, this.items[0]!.due - Date.now()));
  }
}

/** The writes whose acks `dropNextAck` may discard. */
const WRITE_EVENTS: ReadonlySet<string> = new Set(["card:create", "card:update", "card:delete", "card:move"]);

export interface SimulatedNetworkDeps {
  log: Log;
  /** The simulator's settings changed (shown in the UI). */
  changed(network: NetworkSimulation): void;
}

/**
 * The network simulator: a Transport around the real socket, so the rest of the client never
 * knows it is there. It drives the REAL socket: `offline` disconnects it and keeps it down;
 * latency delays every outgoing emit and every incoming event and ack (in order); `dropNextAck`
 * discards the next write's ack after the server applied the write and drops the connection, as
 * a real lost ack would (the outbox then replays it: SPEC OUTBOX-3, IDEM-1); `dropNextChange`
 * discards the next `change` broadcast (to exercise gap detection, SPEC FEED-4).
 */
export class SimulatedNetwork implements Transport {
  private settings: NetworkSimulation = { offline: false, latencyMs: 0, dropNextAck: false };
  private dropChange = false;
  private readonly outgoing = new DelayQueue();
  private readonly incoming = new DelayQueue();

  constructor(
    private readonly link: Link,
    private readonly deps: SimulatedNetworkDeps,
  ) {}

  get epoch(): number {
    return this.link.epoch;
  }
  get closed(): boolean {
    return this.link.closed;
  }
  get offline(): boolean {
    return this.settings.offline;
  }
  isConnected(): boolean {
    return this.held === null && this.link.isConnected();
  }
  hasSocket(): boolean {
    return this.link.hasSocket();
  }

  /** Set while the client restores its stored state: the socket may connect, but nobody is told yet. */
  private held: Promise<void> | null = null;
  /** A `connect` that came while held, told once the hold ends (if the socket is still connected). */
  private connectHeld: (() => void) | null = null;

  /**
   * SPEC FEED-7: the socket connects while the tab restores its stored boards and outbox, but the
   * client hears of the connection (and so joins, catches up and replays: OUTBOX-3) only once
   * `until` settles, as if it had connected then.
   */
  holdConnect(until: Promise<unknown>): void {
    const gate = until.then(
      () => {},
      () => {},
    );
    this.held = gate;
    void gate.then(() => {
      if (this.held !== gate) return;
      this.held = null;
      const tell = this.connectHeld;
      this.connectHeld = null;
      if (tell && this.link.isConnected()) tell();
    });
  }
  isDown(): boolean {
    return this.link.isDown();
  }

  /** Server events arrive after the simulated latency; lifecycle events at once. */
  listen(events: TransportEvents): void {
    const later =
      <A>(fn: (a: A) => void) =>
      (a: A) =>
        this.deliver(() => fn(a));
    this.link.listen({
      connect: () => {
        if (this.held) this.connectHeld = () => events.connect();
        else events.connect();
      },
      disconnect: (reason) => {
        this.connectHeld = null;
        events.disconnect(reason);
      },
      connectError: (err) => events.connectError(err),
      hello: later(events.hello),
      changes: later((changes: Change[]) => {
        const kept = this.dropChange && changes.length > 0 ? changes.slice(1) : changes;
        if (kept !== changes) {
          this.dropChange = false;
          const c = changes[0]!;
          this.deps.log("in", "change", `seq ${c.seq} DROPPED by the simulator`, {
            type: "change", boardId: c.boardId, seq: c.seq, cardId: c.cardId ?? c.card?.id ?? "", mutationId: c.mutationId, by: c.by, deleted: c.type === "card.delete", dropped: true,
          });
        }
        if (kept.length > 0) events.changes(kept);
      }),
      lock: later(events.lock),
      presence: later(events.presence),
      presenceDelta: later(events.presenceDelta),
      tx: later(events.tx),
      board: later(events.board),
      txStep: later(events.txStep),
    });
  }

  open(): boolean {
    return this.link.open(!this.settings.offline);
  }

  close(): void {
    this.link.close();
    this.outgoing.clear();
    this.incoming.clear();
  }

  reconnect(): void {
    if (!this.settings.offline) this.link.reconnect();
  }

  kill(): void {
    if (this.settings.offline && !this.link.isConnected()) return;
    this.link.kill();
  }

  request<E extends RequestEvent>(event: E, payload: RequestPayload<E>, timeoutMs: number): Promise<RequestOutcome<E>> {
    return new Promise((resolve) => {
      this.outgoing.push(this.settings.latencyMs, () => {
        void this.link.request(event, payload, timeoutMs).then((out) =>
          this.deliver(() => {
            if (out.kind === "reply" && WRITE_EVENTS.has(event) && this.settings.dropNextAck) {
              // The server applied the write; we never hear it. A lost ack means a lost
              // connection: drop it, so the replay after reconnecting proves exactly-once.
              this.set({ dropNextAck: false });
              const sent = payload as { mutationId: string; cardId?: string; boardId?: string };
              const said = out.reply as { ok: boolean; seq?: number; fromSeq?: number };
              const seq = said.ok ? (said.fromSeq ?? said.seq) : undefined;
              this.deps.log("in", event, "ack DROPPED by the simulator; reconnecting", {
                type: "write", step: "ack-dropped", mutationId: sent.mutationId, kind: event.slice("card:".length) as WriteTrace["kind"],
                boardId: sent.boardId ?? "", cardId: sent.cardId ?? "", fields: [], ...(seq !== undefined ? { seq } : {}),
              });
              this.reconnect();
              return resolve({ kind: "offline" });
            }
            resolve(out);
          }),
        );
      });
    });
  }

  emit(event: string, payload: unknown): void {
    this.outgoing.push(this.settings.latencyMs, () => this.link.emit(event, payload));
  }

  // ---------------------------------------------------------------- the simulator's controls

  /** Simulated outage: disconnects the real socket and keeps it down until `setOffline(false)`. */
  setOffline(offline: boolean): void {
    this.set({ offline });
    this.deps.log("local", "network", offline ? "offline" : "online", { type: "network", what: offline ? "offline" : "online" });
    if (offline) this.link.disconnect();
    else if (this.link.isDown()) this.link.connect();
  }

  /** Delays every outgoing emit and every incoming event or ack by `ms`. */
  setLatency(ms: number): void {
    this.set({ latencyMs: Math.max(0, ms) });
  }

  /** Discards the next write ack (the server applied it); the client reconnects and replays. */
  dropNextAck(): void {
    this.set({ dropNextAck: true });
  }

  /** Discards the next `change` broadcast, so the gap detection must catch up. */
  dropNextChange(): void {
    this.dropChange = true;
  }

  private deliver(fn: () => void): void {
    this.incoming.push(this.settings.latencyMs, fn);
  }

  private set(patch: Partial<NetworkSimulation>): void {
    this.settings = { ...this.settings, ...patch };
    this.deps.changed(this.settings);
  }
}
