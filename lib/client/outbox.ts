import { FIELD_NAMES, type Card } from "../protocol";
import { entry, normalize } from "../sync/vector-clock";
import { writtenFields } from "./pending";
import type { PendingMutation } from "./types";

/**
 * After the server acknowledged `acked` with `card`, later pending writes of the same card
 * made on top of it locally must not conflict with it (SPEC OUTBOX-4, chained edits):
 *
 * - occ: a later write's `baseVersion` moves up to `card.version`, but only if every field it
 *   touches (all fields for delete and move) is unchanged since its base, or was last written
 *   by `acked` itself. A field someone else changed in between keeps the old base, so the
 *   server still reports that conflict: rebasing never hides another person's edit.
 * - mvr: a later write's `context` gains this replica's entry of the card clock (the dot the
 *   server gave `acked`), so it replaces `acked`'s value instead of becoming its sibling.
 *   Only our own entry is added: a concurrent write by another replica stays concurrent.
 *
 * Returns the rebased mutations (only those that changed); the caller stores them.
 */
export function rebaseAfterAck(
  acked: PendingMutation,
  card: Card,
  later: readonly PendingMutation[],
  replicaId: string,
): PendingMutation[] {
  const changed: PendingMutation[] = [];
  // A create sets every field (each starts at version 1), not only those it named.
  const ackWrote = new Set(acked.kind === "create" ? FIELD_NAMES : writtenFields(acked));
  for (const m of later) {
    if (m.cardId !== acked.cardId || m.kind === "create") continue;
    let next = m;
    if (m.baseVersion < card.version) {
      const base = m.baseVersion;
      const fields = m.kind === "update" ? writtenFields(m) : FIELD_NAMES;
      const clean = fields.every((f) => {
        const v = card.fieldVersions[f] ?? 0;
        return v <= base || (v === card.version && ackWrote.has(f));
      });
      if (clean) next = { ...next, baseVersion: card.version };
    }
    if (next.kind === "update" && next.context !== undefined && card.clock) {
      const context = withOwnDot(next.context, card.clock, replicaId);
      if (context !== next.context) next = { ...next, context };
    }
    if (next !== m) changed.push(next);
  }
  return changed;
}

/**
 * SPEC OUTBOX-4 on mvr: a chained edit's context also covers this replica's own earlier write
 * (its dot in `clock`), so the two never become siblings of each other. Returns `context` itself
 * when it already does.
 */
export function withOwnDot(context: Record<string, number>, clock: Record<string, number>, replicaId: string): Record<string, number> {
  const mine = entry(clock, replicaId);
  return mine > entry(context, replicaId) ? normalize({ ...context, [replicaId]: mine }) : context;
}

/** `Omit` applied to each member of a union, so the result is still a discriminated union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Why a failed write is dropped or kept (SPEC OUTBOX-5). */
export type FailureAction = "conflict" | "drop" | "retry";

/** Retryable codes keep the write pending (the server did not apply it, or may have: replay is safe). */
export function failureAction(code: string): FailureAction {
  switch (code) {
    case "CONFLICT":
      return "conflict";
    case "UNAVAILABLE":
    case "INTERNAL":
    case "RATE_LIMITED":
      return "retry";
    default:
      // LOCKED, STALE_LOCK, FORBIDDEN, NOT_FOUND, BAD_REQUEST, TOO_LARGE, TX_ABORTED, ...: definitive.
      return "drop";
  }
}

/**
 * SPEC OUTBOX-7: after this many INTERNAL answers a write is poison (the server fails on it every
 * time, for example on input it cannot store): it is set aside instead of being retried forever.
 */
export const POISON_AFTER = 5;

/**
 * True when a write answered `code` for the `failures`-th time is set aside. Only INTERNAL counts:
 * UNAVAILABLE and RATE_LIMITED say nothing about the write itself (every write would get them),
 * so those keep being retried.
 */
export function isPoison(code: string, failures: number): boolean {
  return code === "INTERNAL" && failures >= POISON_AFTER;
}

/** Retry delay after `attempts` failed sends: exponential from 250 ms, capped at 10 s. */
export function backoffMs(attempts: number): number {
  return Math.min(250 * 2 ** Math.max(0, attempts - 1), 10_000);
}

/** One outbox entry: pending until acknowledged, then kept briefly as an overlay until the
 * board's confirmed state shows its effect (so the view never flickers back). */
export interface OutboxEntry {
  mutation: PendingMutation;
  /** Set when acknowledged: the seq at which its effect is in the change log (absent for moves). */
  acked?: { seq?: number };
}

/** SPEC OUTBOX-8: at most this many writes are in flight at once (each of another card). */
export const PIPELINE_WINDOW = 16;

/**
 * The ordered outbox of one replica (in memory; the caller mirrors it to ReplicaStorage).
 * Pending entries are sent in order (per card strictly, SPEC OUTBOX-8); acknowledged ones stay
 * as overlays until settled.
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private nextOrder = 1;

  /** Restores stored mutations (already in send order). */
  restore(list: readonly PendingMutation[]): void {
    this.entries = list.map((mutation) => ({ mutation }));
    this.nextOrder = Math.max(0, ...list.map((m) => m.order)) + 1;
  }

  /** Appends a new local write, giving it the next `order`. */
  add(m: DistributiveOmit<PendingMutation, "order">): PendingMutation {
    const mutation = { ...m, order: this.nextOrder++ } as PendingMutation;
    this.entries = [...this.entries, { mutation }];
    return mutation;
  }

  /** Pending (unacknowledged) mutations, in send order. */
  pending(): PendingMutation[] {
    return this.entries.filter((e) => !e.acked).map((e) => e.mutation);
  }

  /**
   * The writes that may be sent now, oldest first (SPEC OUTBOX-8, OUTBOX-7): for each card, its
   * oldest pending write, unless that one is set aside or already in flight (`inFlight`: their
   * mutationIds). A card's later writes thus wait behind its earlier one (OUTBOX-4 rebases them
   * on its answer), while other cards' writes go ahead, in outbox order.
   */
  heads(inFlight: ReadonlySet<string> = new Set()): PendingMutation[] {
    const seen = new Set<string>();
    const out: PendingMutation[] = [];
    for (const e of this.entries) {
      if (e.acked) continue;
      const m = e.mutation;
      if (seen.has(m.cardId)) continue;
      seen.add(m.cardId);
      if (!m.setAside && !inFlight.has(m.mutationId)) out.push(m);
    }
    return out;
  }

  /** The oldest write that may be sent now (the first of `heads`). */
  sendable(inFlight?: ReadonlySet<string>): PendingMutation | undefined {
    return this.heads(inFlight)[0];
  }

  /** The pending writes of the same card after `mutationId`, held behind it while it is set aside. */
  heldBehind(mutationId: string): PendingMutation[] {
    const list = this.pending();
    const i = list.findIndex((m) => m.mutationId === mutationId);
    if (i < 0) return [];
    return list.slice(i + 1).filter((m) => m.cardId === list[i]!.cardId);
  }

  /** Sets a pending write aside (SPEC OUTBOX-7); returns it as changed, to be stored. */
  setAside(mutationId: string, info: NonNullable<PendingMutation["setAside"]>): PendingMutation | undefined {
    const m = this.get(mutationId);
    if (!m) return undefined;
    const next = { ...m, setAside: info };
    this.replace(next);
    return next;
  }

  /** Puts a set-aside write back in its place in the queue, its failures forgotten; returns it, to be stored. */
  putBack(mutationId: string): PendingMutation | undefined {
    const m = this.get(mutationId);
    if (!m?.setAside) return undefined;
    const { setAside: _, ...rest } = m;
    const next = { ...rest, failures: 0 };
    this.replace(next);
    return next;
  }

  /** Every entry's mutation, pending and settling, oldest first: the view's overlay. */
  overlay(): PendingMutation[] {
    return this.entries.map((e) => e.mutation);
  }

  /** The pending mutation with this id, if any. */
  get(mutationId: string): PendingMutation | undefined {
    return this.entries.find((e) => !e.acked && e.mutation.mutationId === mutationId)?.mutation;
  }

  /** Replaces a pending mutation (same id), for attempts and rebases. */
  replace(m: PendingMutation): void {
    this.entries = this.entries.map((e) => (e.mutation.mutationId === m.mutationId && !e.acked ? { mutation: m } : e));
  }

  /** Marks it acknowledged; it stays as an overlay until `settle` removes it. */
  ack(mutationId: string, seq: number | undefined): void {
    this.entries = this.entries.map((e) =>
      e.mutation.mutationId === mutationId && !e.acked ? { ...e, acked: seq === undefined ? {} : { seq } } : e,
    );
  }

  /** Removes an entry outright (dropped, or settled). */
  remove(mutationId: string): void {
    this.entries = this.entries.filter((e) => e.mutation.mutationId !== mutationId);
  }

  /** Removes the settling entries for which `isSettled` holds; true when any was removed. */
  settle(isSettled: (e: OutboxEntry) => boolean): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !e.acked || !isSettled(e));
    return this.entries.length !== before;
  }
}
