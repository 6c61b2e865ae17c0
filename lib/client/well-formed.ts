import type { Patch } from "../protocol";

const NUL = /\u0000/g;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text the server accepts (SPEC INPUT-3): NUL characters removed (invisible anyway), lone
 * surrogates replaced by U+FFFD (what a UTF-8 encoder would store). Well-formed text is returned
 * unchanged. Applied to what the person types, so a pasted control character does not turn
 * their edit into one the server refuses.
 */
export function wellFormedText(s: string): string {
  return s.replace(NUL, "").replace(LONE_SURROGATE, "\uFFFD");
}

/** A patch with every text made well-formed (tags left empty by it are dropped). */
export function wellFormedPatch<P extends Patch>(patch: P): P {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (typeof v === "string") out[k] = wellFormedText(v);
    else if (Array.isArray(v)) out[k] = v.map((t) => (typeof t === "string" ? wellFormedText(t) : t)).filter((t) => t !== "");
    else out[k] = v;
  }
  return out as P;
}
