import type { Lock } from "../protocol";
import type { BoardExtrasMap } from "./board-extras";
import type { Log } from "./inspector";
import { RequestError, type Requests } from "./requests";
import type { HeldLease } from "./types";

/** Renewal never waits less than this, however close the expiry (or skewed the clocks). */
const MIN_RENEW_MS = 1_000;

/** Why this tab no longer holds a lease it kept (the person did not release it). */
export type LeaseEnd = { lock: Lock; reason: "taken" | "expired" | "refused"; by: Lock | null; code?: string };

export interface LeaseKeeperDeps {
  requests: Pick<Requests, "call">;
  /** Where this client's own leases are kept (their tokens go with its writes). */
  extras: Pick<BoardExtrasMap, "holdLock" | "releaseMyLock" | "lockToken" | "pinMine">;
  log: Log;
  /** Wall clock (ms), to read `expiresAt`. */
  now: () => number;
  /** The kept leases changed (shown in the editor: token, countdown, renewal health). */
  changed?: (leases: Record<string, HeldLease>) => void;
  /** A kept lease ended without the person releasing it (the UI announces it). */
  ended?: (end: LeaseEnd) => void;
}

/**
 * The leases the person took in this tab (SPEC LOCK-1): each is renewed with `lock:renew` when
 * half of its remaining time has passed, for as long as the person keeps it, so a card locked
 * for editing does not slip away after the lease's TTL. Renewal stops when the person releases
 * it, the tab closes, or the lease is no longer this client's (a newer grant ended it: the server
 * answers STALE_LOCK or LOCKED, LOCK-7). A renewal that could not be sent is tried again every
 * second while the lease may still live, and the lease says so (`health: "retrying"`, with the
 * reason), so the person is warned before it runs out.
 *
 * `setPaused(true)` is the simulator's stalled holder (SPEC LOCK-3): no renewals, and the tab
 * keeps believing it holds its leases (their tokens still go with its writes) even after they
 * expire and someone else is granted a newer token, exactly as a paused process would.
 */
export class LeaseKeeper {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly held = new Map<string, HeldLease>();
  private paused = false;

  constructor(private readonly deps: LeaseKeeperDeps) {}

  /** The person took this lease (or it was adopted after a reload): keep it, and renew it before it expires. */
  hold(lock: Lock): void {
    this.deps.extras.holdLock(lock.cardId, lock);
    const prev = this.held.get(lock.cardId);
    const renewals = prev && prev.lock.token === lock.token ? prev.renewals : 0;
    this.held.set(lock.cardId, { lock, health: this.paused ? "paused" : "renewing", renewals, renewAt: null });
    if (this.paused) this.deps.extras.pinMine(lock.cardId, true);
    else this.schedule(lock);
    this.publish();
  }

  /** The person lets go of the lease on a card: no more renewals; returns it (undefined when none). */
  release(cardId: string): Lock | undefined {
    this.stop(cardId);
    this.deps.extras.pinMine(cardId, false);
    this.held.delete(cardId);
    this.publish();
    return this.deps.extras.releaseMyLock(cardId);
  }

  /**
   * The client learnt that a kept lease is over (a newer grant to someone else, or the lease ran
   * out: `by` null). Ignored while paused: a stalled holder hears nothing.
   */
  lost(cardId: string, by: Lock | null): void {
    const h = this.held.get(cardId);
    if (!h || this.paused) return;
    this.end(h.lock, by ? "taken" : "expired", by);
  }

  /** The simulator's "pause holder": stop renewing, keep the (possibly stale) tokens; resuming renews at once. */
  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.deps.log("local", "lease", paused ? "holder paused: no renewals, tokens kept as a stalled process would" : "holder resumed: renewing now");
    for (const [cardId, h] of this.held) {
      this.deps.extras.pinMine(cardId, paused);
      if (paused) {
        this.stop(cardId);
        this.held.set(cardId, { ...h, health: "paused", renewAt: null });
      } else {
        this.held.set(cardId, { ...h, health: "renewing" });
        this.schedule(h.lock, 0);
      }
    }
    this.publish();
  }

  /** Stops every renewal (on close: the leases then expire by themselves). */
  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(lock: Lock, delayMs = (Date.parse(lock.expiresAt) - this.deps.now()) / 2): void {
    this.stop(lock.cardId);
    const wait = Math.max(delayMs === 0 ? 0 : MIN_RENEW_MS, delayMs || 0);
    const t = setTimeout(() => {
      this.timers.delete(lock.cardId);
      void this.renew(lock);
    }, wait);
    this.timers.set(lock.cardId, t);
    const h = this.held.get(lock.cardId);
    if (h) this.held.set(lock.cardId, { ...h, renewAt: this.deps.now() + wait });
  }

  private async renew(lock: Lock): Promise<void> {
    const { extras, requests, log } = this.deps;
    if (extras.lockToken(lock.cardId) !== lock.token || this.paused) return; // ended or paused meanwhile
    try {
      const { lock: renewed } = await requests.call("lock:renew", { cardId: lock.cardId, token: lock.token }, lock.cardId);
      if (extras.lockToken(lock.cardId) !== lock.token || this.paused) return; // released or paused while the renewal ran
      const h = this.held.get(lock.cardId);
      this.held.set(lock.cardId, { lock: renewed, health: "renewing", renewals: (h?.renewals ?? 0) + 1, renewAt: null, lastRenewedAt: new Date(this.deps.now()).toISOString() });
      this.deps.extras.holdLock(lock.cardId, renewed);
      this.schedule(renewed);
      this.publish();
    } catch (err) {
      const code = err instanceof RequestError ? err.code : "INTERNAL";
      if (code === "CLOSED" || extras.lockToken(lock.cardId) !== lock.token) return;
      if (code === "STALE_LOCK" || code === "LOCKED" || code === "NOT_FOUND" || code === "FORBIDDEN") {
        log("local", "lock:renew", `${lock.cardId} → ${code}: the lease is not ours any more`);
        const details = err instanceof RequestError ? (err.details as { lock?: Lock } | undefined) : undefined;
        this.end(lock, "refused", details?.lock ?? null, code);
        return;
      }
      // Not sent or not answered (offline, timeout, a server error): try again while it may still live, and say so.
      const h = this.held.get(lock.cardId);
      if (Date.parse(lock.expiresAt) > this.deps.now()) {
        if (h) this.held.set(lock.cardId, { ...h, health: "retrying", problem: code });
        this.schedule(lock, MIN_RENEW_MS);
        this.publish();
      } else {
        this.end(lock, "expired", null, code);
      }
    }
  }

  /** A kept lease is over without the person releasing it: forget it and announce it. */
  private end(lock: Lock, reason: LeaseEnd["reason"], by: Lock | null, code?: string): void {
    this.stop(lock.cardId);
    this.held.delete(lock.cardId);
    this.deps.extras.pinMine(lock.cardId, false);
    if (this.deps.extras.lockToken(lock.cardId) === lock.token) this.deps.extras.releaseMyLock(lock.cardId);
    this.publish();
    this.deps.ended?.({ lock, reason, by, ...(code ? { code } : {}) });
  }

  private publish(): void {
    this.deps.changed?.(Object.fromEntries(this.held));
  }

  private stop(cardId: string): void {
    const t = this.timers.get(cardId);
    if (t) clearTimeout(t);
    this.timers.delete(cardId);
  }
}
