import type { io as ioFactory, Socket } from "socket.io-client";
import type { Ack, ClientToServerEvents, RequestEvent, RequestPayload, ResultMap, ServerToClientEvents } from "../protocol";

/** The `io` function of socket.io-client (injectable so tests and the UI pass their own import). */
export type IoFactory = typeof ioFactory;
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How a request ended: the server's reply, no reply in time, a reply the simulator dropped, or not sent (offline). */
export type RequestOutcome<E extends RequestEvent> =
  | { kind: "reply"; reply: Ack<ResultMap[E]> }
  | { kind: "timeout" }
  | { kind: "dropped" }
  | { kind: "offline" };

/** The untyped view of the socket used for generic requests (the event maps are checked at `request`). */
interface RawSocket {
  connected: boolean;
  timeout(ms: number): { emit(event: string, payload: unknown, ack: (err: Error | null, reply: unknown) => void): void };
  emit(event: string, payload: unknown, ack?: (reply: unknown) => void): void;
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

/**
 * The network simulator's state and plumbing. It drives the REAL socket: latency delays every
 * outgoing emit and every incoming event and ack (in order); `dropNextAck` discards the next
 * mutation ack after the server has applied the write; `dropNextChange` discards the next
 * `change` broadcast (to exercise gap detection).
 */
export class Network {
  latencyMs = 0;
  offline = false;
  dropAck = false;
  dropChange = false;
  private readonly outgoing = new DelayQueue();
  private readonly incoming = new DelayQueue();

  /** Runs an incoming event or ack handler after the simulated latency. */
  deliver(fn: () => void): void {
    this.incoming.push(this.latencyMs, fn);
  }

  /** Runs an outgoing emit after the simulated latency. */
  send(fn: () => void): void {
    this.outgoing.push(this.latencyMs, fn);
  }

  /** True (once) when the next mutation ack is to be discarded. */
  takeDropAck(): boolean {
    const d = this.dropAck;
    this.dropAck = false;
    return d;
  }

  /** True (once) when the next `change` broadcast is to be discarded. */
  takeDropChange(): boolean {
    const d = this.dropChange;
    this.dropChange = false;
    return d;
  }

  /**
   * Emits a request and resolves with its outcome; never rejects. The emit is skipped when the
   * socket is not connected at send time: socket.io-client would otherwise buffer it and send
   * it after a reconnect, behind the outbox's own replay.
   */
  request<E extends RequestEvent>(
    socket: ClientSocket | null,
    event: E,
    payload: RequestPayload<E>,
    timeoutMs: number,
    opts: { droppable?: boolean } = {},
  ): Promise<RequestOutcome<E>> {
    return new Promise((resolve) => {
      this.send(() => {
        const raw = socket as unknown as RawSocket | null;
        if (!raw?.connected) return resolve({ kind: "offline" });
        raw.timeout(timeoutMs).emit(event, payload, (err, reply) => {
          this.deliver(() => {
            if (err) return resolve(raw.connected ? { kind: "timeout" } : { kind: "offline" });
            if (opts.droppable && this.takeDropAck()) return resolve({ kind: "dropped" });
            // The server is the trusted side of the protocol: its replies have the ResultMap shapes.
            resolve({ kind: "reply", reply: reply as Ack<ResultMap[E]> });
          });
        });
      });
    });
  }

  /** Emits a fire-and-forget project event (for example `presence:set`). */
  emit(socket: ClientSocket | null, event: string, payload: unknown): void {
    this.send(() => {
      const raw = socket as unknown as RawSocket | null;
      if (raw?.connected) raw.emit(event, payload, () => {});
    });
  }

  /** Drops queued deliveries (on close). */
  clear(): void {
    this.outgoing.clear();
    this.incoming.clear();
  }
}
