import type { Lock } from "../protocol";
import type { BoardExtrasMap } from "./board-extras";
import type { Log } from "./inspector";
import { RequestError, type Requests } from "./requests";

/** Renewal never waits less than this, however close the expiry (or skewed the clocks). */
const MIN_RENEW_MS = 1_000;

export interface LeaseKeeperDeps {
  requests: Pick<Requests, "call">;
  /** Where this client's own leases are kept (their tokens go with its writes). */
  extras: Pick<BoardExtrasMap, "holdLock" | "releaseMyLock" | "lockToken">;
  log: Log;
  /** Wall clock (ms), to read `expiresAt`. */
  now: () => number;
}

/**
 * The leases the person took in this tab (SPEC LOCK-1): each is renewed with `lock:renew` when
 * half of its remaining time has passed, for as long as the person keeps it, so a card locked
 * for editing does not slip away after the lease's TTL. Renewal stops when the person releases
 * it, the tab closes, or the lease is no longer this client's (a newer grant ended it: the server
 * answers STALE_LOCK or LOCKED, LOCK-7). A renewal that could not be sent is tried again shortly.
 */
export class LeaseKeeper {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: LeaseKeeperDeps) {}

  /** The person took this lease: keep it, and renew it before it expires. */
  hold(lock: Lock): void {
    this.deps.extras.holdLock(lock.cardId, lock);
    this.schedule(lock);
  }

  /** The person lets go of the lease on a card: no more renewals; returns it (undefined when none). */
  release(cardId: string): Lock | undefined {
    this.stop(cardId);
    return this.deps.extras.releaseMyLock(cardId);
  }

  /** Stops every renewal (on close: the leases then expire by themselves). */
  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(lock: Lock, delayMs = (Date.parse(lock.expiresAt) - this.deps.now()) / 2): void {
    this.stop(lock.cardId);
    const t = setTimeout(() => {
      this.timers.delete(lock.cardId);
      void this.renew(lock);
    }, Math.max(MIN_RENEW_MS, delayMs || 0));
    this.timers.set(lock.cardId, t);
  }

  private async renew(lock: Lock): Promise<void> {
    const { extras, requests, log } = this.deps;
    if (extras.lockToken(lock.cardId) !== lock.token) return; // ended meanwhile
    try {
      const { lock: renewed } = await requests.call("lock:renew", { cardId: lock.cardId, token: lock.token }, lock.cardId);
      if (extras.lockToken(lock.cardId) !== lock.token) return; // released while the renewal ran
      this.hold(renewed);
    } catch (err) {
      const code = err instanceof RequestError ? err.code : "INTERNAL";
      if (code === "CLOSED") return;
      if (code === "STALE_LOCK" || code === "LOCKED" || code === "NOT_FOUND" || code === "FORBIDDEN") {
        log("local", "lock:renew", `${lock.cardId} → ${code}: the lease is not ours any more`);
        if (extras.lockToken(lock.cardId) === lock.token) extras.releaseMyLock(lock.cardId);
        return;
      }
      // Not sent or not answered (offline, timeout, a server error): try again while it may still live.
      if (Date.parse(lock.expiresAt) > this.deps.now()) this.schedule(lock, MIN_RENEW_MS);
    }
  }

  private stop(cardId: string): void {
    const t = this.timers.get(cardId);
    if (t) clearTimeout(t);
    this.timers.delete(cardId);
  }
}
