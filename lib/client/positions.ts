import { generateKeyBetween, generateNKeysBetween } from "fractional-indexing";

/**
 * Card order as fractional indices (SPEC POS-1..POS-3): a column shows its cards sorted by
 * (`position`, `id`), and a card dropped between two others gets a key that sorts between theirs,
 * so one move is one write of one field, resolved under the board's policy like any other field.
 */

/** A card's id and position, in a column's display order. */
export interface Placed {
  id: string;
  position: string;
}

/** True when `key` is a fractional-indexing order key (a key others can be generated around). */
export function isOrderKey(key: string): boolean {
  try {
    generateKeyBetween(key, null);
    return true;
  } catch {
    return false;
  }
}

/** Display order of a column: by position, then id, so every replica shows equal keys alike (POS-2). */
export function comparePlaced(a: Placed, b: Placed): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The writes that put card `id` at `index` of `column` (the column's cards in display order,
 * without the moved card). Usually one: a key between its two neighbours. When the neighbours
 * share a key (two cards dropped on the same spot at once, POS-2) or hold a key that is not a
 * fractional index (a legacy one, POS-3), the range widens to the nearest usable keys and the
 * cards inside it get new keys too, so the order shown is the order stored.
 */
export function placeAt(column: readonly Placed[], index: number, id: string): Placed[] {
  const n = column.length;
  const at = Math.max(0, Math.min(n, index));
  let lo = at - 1; // the card whose key bounds the range from below (-1: none)
  let hi = at; // the card whose key bounds it from above (n: none)
  for (;;) {
    const low = lo >= 0 ? column[lo]!.position : null;
    const high = hi < n ? column[hi]!.position : null;
    if (low !== null && !isOrderKey(low)) lo -= 1;
    else if (high !== null && !isOrderKey(high)) hi += 1;
    else if (low !== null && high !== null && low >= high) hi += 1;
    else {
      const between = [...column.slice(lo + 1, at).map((c) => c.id), id, ...column.slice(at, hi).map((c) => c.id)];
      const keys = keysBetween(low, high, between.length);
      if (keys) return between.map((cardId, i) => ({ id: cardId, position: keys[i]! })).filter((p) => p.id === id || column.find((c) => c.id === p.id)?.position !== p.position);
      // No room left between these two (keys at the alphabet's end): widen both ways. With no
      // bounds at all (lo -1, hi n) keys always exist, so this ends.
      lo = Math.max(-1, lo - 1);
      hi = Math.min(n, hi + 1);
    }
  }
}

function keysBetween(low: string | null, high: string | null, count: number): string[] | null {
  try {
    return generateNKeysBetween(low, high, count);
  } catch {
    return null;
  }
}

/** The position of a new card added at the end of `column` (display order). */
export function positionAtEnd(column: readonly Placed[]): string {
  const last = column[column.length - 1]?.position ?? null;
  if (last === null || !isOrderKey(last)) {
    // After a legacy key (POS-3): the first key greater than it that is itself a fractional index, if any.
    const valid = [...column].reverse().find((c) => isOrderKey(c.position))?.position ?? null;
    const key = keysBetween(valid, null, 1)?.[0] ?? "a0";
    return last === null || key > last ? key : `${last}V`;
  }
  return keysBetween(last, null, 1)?.[0] ?? `${last}V`;
}
