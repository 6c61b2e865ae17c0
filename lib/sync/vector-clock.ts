/**
 * Vector clocks: one counter per replica, counting the writes by that replica a value has seen.
 * They order writes by causality, not time, which is how `mvr` boards tell a write that saw
 * another (it replaces it) from a concurrent one (both are kept).
 *
 * A missing entry means 0, and zero entries are never stored, so each clock has exactly one
 * stored form. Entries are read with `Object.hasOwn`: a replica named `constructor` or
 * `__proto__` is an ordinary entry, never something inherited from `Object.prototype`.
 */

/** Replica id → number of that replica's writes seen. Missing means 0. */
export type VectorClock = Record<string, number>;

/** How `a` relates to `b` in causal order. */
export type ClockOrder = "before" | "after" | "equal" | "concurrent";

/** The entry for `replica`; missing (or a non-positive, invalid one) reads as 0. */
export function entry(c: VectorClock, replica: string): number {
  const n = Object.hasOwn(c, replica) ? c[replica] : undefined;
  return n !== undefined && n > 0 ? n : 0;
}

/**
 * Causal order of `a` against `b`: "before" when `b` has seen everything `a` has and more,
 * "after" the reverse, "concurrent" when each has seen something the other has not.
 */
export function compare(a: VectorClock, b: VectorClock): ClockOrder {
  let aAhead = false;
  let bAhead = false;
  for (const replica of replicasOf(a, b)) {
    const x = entry(a, replica);
    const y = entry(b, replica);
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
  }
  if (aAhead) return bAhead ? "concurrent" : "after";
  return bAhead ? "before" : "equal";
}

/** True when `a` has seen everything `b` has (a ≥ b pointwise): "after" or "equal". */
export function dominates(a: VectorClock, b: VectorClock): boolean {
  return Object.keys(b).every((replica) => entry(a, replica) >= entry(b, replica));
}

/** The least clock that has seen both (pointwise max). Commutative, associative, idempotent. */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  return normalize(Object.fromEntries(replicasOf(a, b).map((r) => [r, Math.max(entry(a, r), entry(b, r))])));
}

/** `c` with one more write by `replica`: the result is strictly "after" `c`. */
export function increment(c: VectorClock, replica: string): VectorClock {
  return normalize({ ...c, [replica]: entry(c, replica) + 1 });
}

/**
 * The one stored form of `c`: zero and negative entries dropped, keys sorted, so equal clocks
 * serialize to equal JSON. Every function here returns normalized clocks.
 */
export function normalize(c: VectorClock): VectorClock {
  const replicas = Object.keys(c).filter((r) => entry(c, r) > 0).sort();
  return Object.fromEntries(replicas.map((r) => [r, entry(c, r)]));
}

/** A string that is equal for equal clocks (the JSON of the normalized clock); sorts deterministically. */
export function clockKey(c: VectorClock): string {
  return JSON.stringify(normalize(c));
}

function replicasOf(a: VectorClock, b: VectorClock): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}
