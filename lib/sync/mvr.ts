/**
 * Multi-value registers for `mvr` boards (SPEC MVR-1). Each field holds the values no later write
 * had seen: one value normally, several "siblings" after concurrent writes. A write whose context
 * has seen every sibling replaces them all, which is how a person resolves them.
 *
 * Every value carries its clock (its context plus a fresh dot the server assigned) and the
 * context it was written from (`seen`). A value is obsolete exactly when another value's context
 * has seen its whole clock. Comparing a context with a clock, rather than two write clocks with
 * each other, keeps a value its writer had not seen even when both come from one replica (two
 * writes sent from one tab with the same stale context both survive), and "has seen" is
 * transitive (a context that saw u saw everything u's context saw), which makes the rule below
 * independent of delivery order.
 *
 * Invariant: a register is exactly the delivered values whose clock no other delivered value's
 * context dominates, in a canonical order; replicas that receive the same writes, in any order and
 * any number of times, hold deep-equal registers.
 *
 * Bound (SPEC MVR-5): the server, which assigns every write its clock, also keeps each field at
 * `MVR_MAX_SIBLINGS` values by widening a write's context over the weakest excess values
 * (`applyBoundedWrite`); replicas still run only `applyMvrWrite`, so the invariant above holds.
 */

import { clockKey, dominates, entry, merge, normalize, type VectorClock } from "./vector-clock";

/** SPEC MVR-5: the most values one field keeps (a write past it displaces the weakest values). */
export const MVR_MAX_SIBLINGS = 8;

/** One value of a field: who wrote it, the write's clock (context + dot) and its context. */
export type MvrValue<V> = { value: V; by: string; clock: VectorClock; seen: VectorClock };

/** The concurrent values of one field; more than one means unresolved siblings. */
export type MvrRegister<V> = MvrValue<V>[];

/**
 * The clock the server assigns to a write by `replica` that had seen `context`: the context
 * plus a fresh dot for the replica, one above both the card's and the context's entry. Being
 * above the card's entry matters: a replica writing again from a stale context must not reuse
 * a dot, or its two writes would look like one.
 */
export function writeClock(cardClock: VectorClock, context: VectorClock, replica: string): VectorClock {
  const dot = Math.max(entry(cardClock, replica), entry(context, replica)) + 1;
  return normalize({ ...context, [replica]: dot });
}

/** True when a write made from `context` had seen value `v` (the context dominates its clock). */
export function covers(context: VectorClock, v: Pick<MvrValue<unknown>, "clock">): boolean {
  return dominates(context, v.clock);
}

/**
 * Adds `write` to `register`: stored values its context covers go; the write itself is not added
 * when a stored value's context covers it (delivered late) or it is already there (delivered
 * twice). On the server, which applies writes in order with fresh dots, the write always stays.
 */
export function applyMvrWrite<T extends MvrValue<unknown>>(register: readonly T[], write: T): T[] {
  // Dots are unique, so an equal clock is the same write delivered again.
  const key = clockKey(write.clock);
  if (register.some((v) => clockKey(v.clock) === key || covers(v.seen, write))) return [...register];
  return [...register.filter((v) => !covers(write.seen, v)), write].sort(compareValues);
}

/** A write as the server stores it under the bound, and the values it displaced (SPEC MVR-5). */
export interface BoundedWrite<T> {
  /** The write to store and send: its context widened to cover the displaced values. */
  write: T;
  /** The register after the write: at most `max` values. */
  register: T[];
  /** Stored values the write removed although its own context had not seen them. */
  dropped: T[];
}

/**
 * SPEC MVR-5: applies a server's fresh write so the field keeps at most `max` values. While the
 * register would hold more, the write's context (`seen`, and with it its clock) is widened by
 * the clock of the weakest other value: the one whose clock has seen least (smallest total),
 * ties broken by the canonical order. The write then covers that value, exactly as if its writer
 * had seen it, so the bound is decided once, here, and carried by the write itself: every replica
 * that applies the stored writes with `applyMvrWrite`, in any order, ends with the same register
 * (MVR-1 unchanged). What went only because of the bound comes back in `dropped`, so the writer
 * can be told; the values themselves stay in the change log (card history).
 *
 * A write that is a repeat, or already covered by a stored value (delivered late), changes
 * nothing and is returned as it came.
 */
export function applyBoundedWrite<T extends MvrValue<unknown>>(register: readonly T[], write: T, max = MVR_MAX_SIBLINGS): BoundedWrite<T> {
  let w = write;
  let next = applyMvrWrite(register, w);
  if (!next.includes(w)) return { write, register: next, dropped: [] };
  while (next.length > Math.max(1, max)) {
    const weakest = next.filter((v) => v !== w).sort(compareWeakness)[0]!;
    const seen = merge(w.seen, weakest.clock);
    // Still the same dot: the widened entries come from stored values, all below the fresh dot.
    w = { ...w, seen, clock: merge(seen, w.clock) };
    // The weakest value is now covered, so each round removes at least one; the write stays,
    // since a stored context that covered its wider clock would have covered it before.
    next = applyMvrWrite(register, w);
  }
  const dropped = register.filter((v) => !next.includes(v) && !covers(write.seen, v));
  return { write: w, register: next, dropped };
}

/** Weakest first: the value whose clock has seen least, then canonical order. */
function compareWeakness(a: MvrValue<unknown>, b: MvrValue<unknown>): number {
  return clockTotal(a.clock) - clockTotal(b.clock) || compareValues(a, b);
}

function clockTotal(c: VectorClock): number {
  return Object.keys(c).reduce((n, r) => n + entry(c, r), 0);
}

/**
 * The value to display: the only one, or with siblings the first in canonical order, so every
 * replica shows the same one. `undefined` for an empty register (a field never written).
 */
export function resolvedValue<V>(register: MvrRegister<V>): V | undefined {
  return [...register].sort(compareValues)[0]?.value;
}

/** Canonical order: by clock, then by value, then by writer (plain code-unit order, never locale). */
function compareValues<V>(a: MvrValue<V>, b: MvrValue<V>): number {
  return (
    compareStrings(clockKey(a.clock), clockKey(b.clock)) ||
    compareStrings(JSON.stringify(a.value) ?? "", JSON.stringify(b.value) ?? "") ||
    compareStrings(a.by, b.by)
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
