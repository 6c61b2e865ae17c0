import type { RequestEvent, RequestPayload, ResultMap } from "../protocol";
import type { Log, Trace } from "./inspector";
import type { Transport } from "./network";

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

export interface RequestsDeps {
  transport: Transport;
  log: Log;
  timeoutMs: number;
}

/**
 * Plain request/reply calls (board list, invites, history, leases): unlike outbox writes they
 * are not retried; they wait for a connection (up to the timeout) and then succeed or throw.
 */
export class Requests {
  private readonly connectWaiters: { go: () => void; fail: (err: RequestError) => void }[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: RequestsDeps) {}

  /** Sends a request once connected (waits up to the timeout) and returns its result, or throws a RequestError. */
  async call<E extends RequestEvent>(event: E, payload: RequestPayload<E>, summary: string): Promise<ResultMap[E]> {
    const { transport: conn, log, timeoutMs } = this.deps;
    await this.whenConnected(timeoutMs);
    const about = payload as { boardId?: string; cardId?: string };
    const trace = (answer?: string): Trace => ({
      type: "request", event, ...(about.boardId ? { boardId: about.boardId } : {}), ...(about.cardId ? { cardId: about.cardId } : {}), ...(answer ? { answer } : {}),
    });
    log("out", event, summary, trace());
    const out = await conn.request(event, payload, timeoutMs);
    if (out.kind !== "reply") {
      const code = out.kind === "timeout" ? "TIMEOUT" : "OFFLINE";
      log("in", event, `→ ${code}`, trace(code));
      throw new RequestError(code, `${event}: ${out.kind}`);
    }
    if (!out.reply.ok) {
      log("in", event, `→ ${out.reply.error.code}`, trace(out.reply.error.code));
      throw new RequestError(out.reply.error.code, out.reply.error.message, out.reply.error.details);
    }
    log("in", event, "→ ok", trace());
    return out.reply;
  }

  /** The socket connected: calls waiting for it go ahead. */
  connected(): void {
    for (const w of this.connectWaiters.splice(0)) w.go();
  }

  /** Stops the wait timers and fails the calls still waiting for a connection (on close). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.connectWaiters.splice(0)) w.fail(new RequestError("CLOSED", "the client was closed"));
  }

  private whenConnected(timeoutMs: number): Promise<void> {
    const { transport: conn } = this.deps;
    if (conn.isConnected()) return Promise.resolve();
    if (conn.offline || !conn.hasSocket()) return Promise.reject(new RequestError("OFFLINE", "not connected"));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        const i = this.connectWaiters.indexOf(waiter);
        if (i >= 0) this.connectWaiters.splice(i, 1);
        reject(new RequestError("OFFLINE", "not connected"));
      }, timeoutMs);
      this.timers.add(t);
      const waiter = {
        go: () => {
          clearTimeout(t);
          this.timers.delete(t);
          resolve();
        },
        fail: (err: RequestError) => {
          clearTimeout(t);
          reject(err);
        },
      };
      this.connectWaiters.push(waiter);
    });
  }
}
