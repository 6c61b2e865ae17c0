"use client";

import { useEffect, useState } from "react";
import type { HeldLease } from "../../lib/client/types";
import type { Lock } from "../../lib/protocol";
import { LockIcon } from "./icons";
import { PersonName } from "./person-name";

/** The wall clock, ticking every `ms` while `on` (for countdowns). */
export function useNow(on: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [on, ms]);
  return now;
}

/** Whole seconds from `now` to an ISO time or ms timestamp (never below 0). */
export function secondsUntil(at: string | number, now: number): number {
  const t = typeof at === "number" ? at : Date.parse(at);
  return Math.max(0, Math.ceil((t - now) / 1000));
}

interface LeaseStatusProps {
  /** The lease the board shows on the card (from broadcasts and joins). */
  lock: Lock | undefined;
  /** The lease this tab keeps on the card (renewed by the LeaseKeeper), if any. */
  held: HeldLease | undefined;
  meId: string | undefined;
  sendAnyway: boolean;
  onSendAnyway: (on: boolean) => void;
}

/**
 * The card's lease in the editor (SPEC LOCK-1, LOCK-3, LOCK-4): who holds it, its fencing token,
 * a live countdown, and how renewal goes. A failing renewal is announced with the seconds left
 * before the lease runs out; a paused holder is told its token is stale once someone else holds a
 * newer one; a non-holder may "send anyway" to see the server's LOCKED.
 */
export function LeaseStatus({ lock, held, meId, sendAnyway, onSendAnyway }: LeaseStatusProps) {
  const now = useNow(lock !== undefined || held !== undefined);
  const live = lock !== undefined && Date.parse(lock.expiresAt) > now;
  const other = live && lock.holder.id !== meId ? lock : undefined;

  if (held) {
    const mine = held.lock;
    const left = secondsUntil(mine.expiresAt, now);
    const expired = Date.parse(mine.expiresAt) <= now;
    if (held.health === "paused") {
      return (
        <div className="alert alert-warn" role="status" data-testid="lease-paused">
          <LockIcon />
          <span>
            <strong>Holder paused</strong> (simulator): this tab sends no renewals and keeps token <span className="mono" data-testid="lease-token">{mine.token}</span>.{" "}
            {expired ? (
              <>Its lease ran out {secondsUntil(now, Date.parse(mine.expiresAt))} s ago; the tab still believes it holds it, as a stalled process would.</>
            ) : (
              <>
                The lease ends in <span data-testid="lease-countdown">{left}</span> s.
              </>
            )}{" "}
            {other ? (
              <>
                <PersonName id={other.holder.id} name={other.holder.name} /> holds it now with token <span className="mono">{other.token}</span>: a save sends token {mine.token}, older than the card&apos;s fence, and
                the database refuses it (STALE_LOCK).
              </>
            ) : null}
          </span>
        </div>
      );
    }
    if (held.health === "retrying") {
      return (
        <div className="alert alert-warn" role="alert" data-testid="lease-warning">
          <LockIcon />
          <span>
            Renewal failing ({held.problem ?? "no answer"}): your lease (token <span className="mono">{mine.token}</span>) ends in{" "}
            <strong data-testid="lease-countdown">{left} s</strong> unless a renewal gets through. Save before then; after that anyone can lock the card.
          </span>
        </div>
      );
    }
    return (
      <div className="alert alert-info" role="status" data-testid="lease-mine">
        <LockIcon />
        <span>
          You hold the lease · token <span className="mono" data-testid="lease-token">{mine.token}</span> · ends in <span data-testid="lease-countdown">{left}</span> s
          {held.renewAt ? <> · renews in {secondsUntil(held.renewAt, now)} s</> : null} · renewed <span data-testid="lease-renewals">{held.renewals}</span>× while
          you keep it
        </span>
      </div>
    );
  }
  if (other) {
    return (
      <div className="alert alert-warn" role="status" data-testid="editor-locked">
        <LockIcon />
        <span>
          Locked by <PersonName id={other.holder.id} name={other.holder.name} /> · token <span className="mono" data-testid="lease-token">{other.token}</span> · ends in{" "}
          <span data-testid="lease-countdown">{secondsUntil(other.expiresAt, now)}</span> s unless renewed. The server refuses edits until their lease ends or they unlock.
          {sendAnyway ? <> Send anyway is on: Save sends your edit and the server answers LOCKED.</> : null}
        </span>
        <button type="button" className="btn btn-sm" aria-pressed={sendAnyway} data-testid="lease-send-anyway" onClick={() => onSendAnyway(!sendAnyway)}>
          {sendAnyway ? "Stop sending anyway" : "Send anyway"}
        </button>
      </div>
    );
  }
  return null;
}
