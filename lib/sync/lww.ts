/**
 * Per-field last-writer-wins for `lww` boards. Each field remembers the HLC timestamp of the
 * write that set it; a write replaces a field only with a strictly newer timestamp. Because HLC
 * timestamps are unique (the replica id breaks ties) and totally ordered, every replica that
 * applies the same writes, in any order, keeps the same winner for every field.
 */

import { HLC_PATTERN } from "./hlc";

/** Field names of `F` that can carry a timestamp. */
export type LwwField<F> = keyof F & string;

/** Field values, and the encoded HLC of the write that set each one (missing: never written under lww). */
export type LwwState<F extends Record<string, unknown>> = {
  fields: F;
  hlc: Partial<Record<LwwField<F>, string>>;
};

/** The new state, plus which patched fields this write won (`applied`) and lost (`ignored`). */
export type LwwResult<F extends Record<string, unknown>> = LwwState<F> & {
  applied: LwwField<F>[];
  ignored: LwwField<F>[];
};

/**
 * Applies `patch`, written at `hlc`, field by field: a field takes the patch's value only when
 * `hlc` is newer than its stored timestamp (a field with none is always older). An equal
 * timestamp is the same write again and is ignored, so re-delivery changes nothing.
 * A field whose patch value is `undefined` is not part of the patch. Pure: returns new objects.
 * Throws a RangeError when `hlc` is not an encoded HLC, since string order would then mean nothing.
 */
export function applyLww<F extends Record<string, unknown>>(
  state: LwwState<F>,
  patch: Partial<F>,
  hlc: string,
): LwwResult<F> {
  if (!HLC_PATTERN.test(hlc)) throw new RangeError(`not a valid HLC: ${hlc}`);
  const applied: LwwField<F>[] = [];
  const ignored: LwwField<F>[] = [];
  for (const field of Object.keys(patch) as LwwField<F>[]) {
    if (patch[field] === undefined) continue;
    const stored = Object.hasOwn(state.hlc, field) ? state.hlc[field] : undefined;
    // Encoded HLCs compare as plain strings: that is what the fixed-width encoding is for.
    if (stored === undefined || hlc > stored) applied.push(field);
    else ignored.push(field);
  }
  // Built with spreads and fromEntries (never `obj[key] = …`), so any field name is a plain own property.
  const fields = { ...state.fields, ...Object.fromEntries(applied.map((f) => [f, patch[f]])) } as F;
  const stamps = { ...state.hlc, ...Object.fromEntries(applied.map((f) => [f, hlc])) };
  return { fields, hlc: stamps, applied, ignored };
}
