/**
 * A workload client: one user, a plain socket.io-client socket to one node at a time (another
 * node after a loss), every request recorded in the history as invoke then complete or lost.
 * Writes are replayed with the same mutationId until a definite answer (SPEC IDEM-1, OUTBOX-3).
 */
import { io, type Socket } from "socket.io-client";
import { isDefinite, type Answer, type HistoryWriter, type OpKind, type Policy } from "./history";
import type { Rng } from "./rng";

export interface Session {
  token: string;
  user: { id: string; name: string };
}

/** `POST /api/session` (few per run: sign-in is rate-limited per address, SPEC SEC-4). */
export async function signIn(url: string, name: string): Promise<Session> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${url}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) }).catch(() => null);
    if (res?.ok) return (await res.json()) as Session;
    if (attempt >= 20) throw new Error(`sign-in at ${url} failed: ${res ? res.status : "unreachable"}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

export interface OpMeta {
  /** Long strings (large bodies) are kept in the history as their length only. */
  shrink?: boolean;
  kind: OpKind;
  policy?: Policy;
  boardId?: string;
  cardId?: string;
  mutationId?: string;
}

/** What the client does to one request on purpose (a fault). */
export type RequestFault = "drop-socket" | "drop-ack" | null;

const REQUEST_TIMEOUT_MS = 20_000;

/** A copy with every string longer than 256 characters replaced by a note of its length. */
export function shrink<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "string" && v.length > 256 ? `<${v.length} characters>` : v))) as T;
}

export class VClient {
  socket: Socket | null = null;
  nodeIndex: number;
  /** A fault to apply to the next request (set by the fault scheduler). */
  pendingFault: RequestFault = null;
  onFault: (kind: string, detail: string) => void = () => {};
  closed = false;
  /** Called with every change broadcast (observers). */
  onChange: ((c: unknown) => void) | null = null;
  onDisconnect: (() => void) | null = null;

  constructor(
    readonly name: string,
    readonly session: Session,
    private readonly urls: () => string[],
    private readonly history: HistoryWriter,
    readonly rng: Rng,
  ) {
    this.nodeIndex = rng.int(urls().length);
  }

  get node(): string {
    return `node-${this.nodeIndex + 1}`;
  }

  /** Connects to the current node, moving on to the next one until one answers. */
  async connect(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      if (this.socket?.connected) return;
      const url = this.urls()[this.nodeIndex]!;
      const s = io(url, { auth: { token: this.session.token, replicaId: `v-${this.name}` }, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 4000 });
      // The handshake may also hang (a node whose database is restarting never answers it).
      const ok = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 6000);
        s.once("connect", () => {
          clearTimeout(t);
          resolve(true);
        });
        s.once("connect_error", () => {
          clearTimeout(t);
          resolve(false);
        });
      });
      if (ok) {
        this.socket = s;
        s.on("change", (c: unknown) => this.onChange?.(c));
        s.on("disconnect", () => {
          if (this.socket === s) this.socket = null;
          this.onDisconnect?.();
        });
        return;
      }
      s.close();
      this.nodeIndex = (this.nodeIndex + 1) % this.urls().length;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * (attempt + 1))));
    }
  }

  /** Drops the socket and moves to another node (after a lost answer, as a client would). */
  switchNode(): void {
    const s = this.socket;
    this.socket = null;
    s?.close();
    this.nodeIndex = (this.nodeIndex + 1 + this.rng.int(Math.max(1, this.urls().length - 1))) % this.urls().length;
  }

  /** Sends one request and records it; null when no answer came. `keep` trims what the history keeps of the answer. */
  async request(event: string, payload: Record<string, unknown>, meta: OpMeta, keep?: (a: Answer) => Answer): Promise<Answer | null> {
    await this.connect();
    const s = this.socket;
    const id = this.history.id();
    const { shrink: small, ...what } = meta;
    this.history.write({ type: "invoke", id, client: this.name, user: this.session.user.id, node: this.node, ...what, req: small ? shrink(payload) : payload, at: Date.now() });
    if (!s) {
      this.history.write({ type: "lost", id, at: Date.now(), reason: "not connected" });
      return null;
    }
    const fault = this.pendingFault;
    this.pendingFault = null;
    const answer = await new Promise<Answer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), REQUEST_TIMEOUT_MS);
      const gone = () => {
        clearTimeout(timer);
        resolve(null);
      };
      s.once("disconnect", gone);
      s.emit(event, payload, (a: Answer) => {
        clearTimeout(timer);
        s.off("disconnect", gone);
        resolve(fault === "drop-ack" ? null : a);
      });
      if (fault === "drop-socket") setTimeout(() => s.disconnect(), this.rng.int(5));
    });
    if (fault) this.onFault(fault, `${this.name} ${event} #${id} on ${this.node}`);
    if (answer) this.history.write({ type: "complete", id, at: Date.now(), answer: keep ? keep(answer) : small ? shrink(answer) : answer });
    else {
      this.history.write({ type: "lost", id, at: Date.now(), reason: fault ?? (s.connected ? "timeout" : "disconnected") });
      this.switchNode();
    }
    return answer;
  }

  /**
   * A write, replayed with the same payload (same mutationId) after a lost answer or a retryable
   * error, possibly on another node, until a definite answer; null when none came.
   */
  async write(event: string, payload: Record<string, unknown>, meta: OpMeta, stopAt: number): Promise<Answer | null> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const a = await this.request(event, payload, meta);
      if (isDefinite(a)) return a;
      if (Date.now() > stopAt || this.closed) return null;
      if (a && !a.ok) this.switchNode();
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1) + this.rng.int(200)));
    }
    return null;
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
    this.socket = null;
  }
}
