/**
 * Multi-value registers for `mvr` boards, state-based. Each field holds the set of values no
 * other value has seen: one value normally, several "siblings" after concurrent writes. A write
 * whose context has seen every sibling replaces them all, which is how a person resolves them.
 *
 * Invariant: a register is exactly the maximal writes under vector-clock order, in a canonical
 * order, so every replica that receives the same writes, in any order and any number of times,
 * holds deep-equal registers, and no concurrent write is ever dropped.
 */

import { clockKey, compare, dominates, entry, merge, normalize, type VectorClock } from "./vector-clock";

/** One value of a field, with who wrote it and the write's vector clock. */
export type MvrValue<V> = { value: V; by: string; clock: VectorClock };

/** The concurrent values of one field; more than one means unresolved siblings. */
export type MvrRegister<V> = MvrValue<V>[];

/**
 * The clock the server assigns to a write by `replica` that had seen `context`: the context
 * plus a fresh dot for the replica, one above both the card's and the context's entry. Being
 * above the card's entry matters: a replica writing again from a stale context must not reuse
 * a dot, or its two writes would have equal clocks and one would vanish.
 */
export function writeClock(cardClock: VectorClock, context: VectorClock, replica: string): VectorClock {
  const dot = Math.max(entry(cardClock, replica), entry(context, replica)) + 1;
  return normalize({ ...context, [replica]: dot });
}

/**
 * Adds `write` to `register`, keeping only maximal values: stored values the write had seen
 * (clock ≤ write's) go, and the write itself goes if a stored value has seen it. Equal clocks
 * are one write delivered twice: one copy is kept. The result depends neither on delivery order
 * nor on repeats.
 */
export function applyMvrWrite<V>(register: MvrRegister<V>, write: MvrValue<V>): MvrRegister<V> {
  const candidates = [...register, write];
  const maximal = candidates.filter((v) => !candidates.some((other) => compare(other.clock, v.clock) === "after"));
  // Sorting puts equal clocks side by side, so keeping the first of each run keeps one copy.
  return maximal
    .sort(compareValues)
    .filter((v, i, sorted) => i === 0 || clockKey(v.clock) !== clockKey(sorted[i - 1]!.clock));
}

/** A value written on the server, remembering which replica's entry of its clock is its own dot. */
export type DottedValue<V> = MvrValue<V> & { replica: string };

/**
 * The server's rule (dotted version vectors, SPEC MVR-1): a write replaces exactly the stored
 * values whose dot its context covers (`context[replica] >= clock[replica]` of that value), and
 * is always kept itself, since the server just gave it a fresh dot. Unlike comparing whole clocks,
 * this keeps a value its writer had not seen even when both come from one replica, e.g. two writes
 * sent from one tab with the same stale context both survive as siblings.
 */
export function applyDottedWrite<V>(register: MvrRegister<V>, write: DottedValue<V>, context: VectorClock): MvrRegister<V> {
  const kept = register.filter((v) => {
    const replica = (v as Partial<DottedValue<V>>).replica;
    // Values stored without a dot fall back to the clock comparison.
    if (replica === undefined) return !dominates(context, v.clock);
    return entry(context, replica) < entry(v.clock, replica);
  });
  return [...kept, write].sort(compareValues);
}

/**
 * The value to display: the only one, or with siblings the first in canonical order, so every
 * replica shows the same one. `undefined` for an empty register (a field never written).
 */
export function resolvedValue<V>(register: MvrRegister<V>): V | undefined {
  return [...register].sort(compareValues)[0]?.value;
}

/** True when concurrent writes left more than one value, waiting for a person to resolve them. */
export function hasSiblings<V>(register: MvrRegister<V>): boolean {
  return register.length > 1;
}

/**
 * The card's vector clock: the merge of every value's clock in every field. It has seen every
 * dot ever assigned on the card, because a value is dropped only for one whose clock is ≥ its own.
 */
export function cardClock(registers: Record<string, MvrRegister<unknown>>): VectorClock {
  return Object.values(registers)
    .flat()
    .reduce<VectorClock>((clock, v) => merge(clock, v.clock), {});
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
