import { diffComm } from "node-diff3";
import { FIELD_NAMES, type Card, type FieldName, type Patch } from "../../lib/protocol";
import { sameValue } from "./format";

/** One line of a body diff: kept, removed (only in the older text) or added (only in the newer). */
export interface DiffLine {
  kind: "same" | "removed" | "added";
  text: string;
}

/** A line diff of two texts (diff3's LCS), for showing what a history entry did to the body. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const out: DiffLine[] = [];
  const lines = (s: string) => (s === "" ? [] : s.split("\n"));
  for (const part of diffComm(lines(before), lines(after))) {
    if (part.common) for (const text of part.common) out.push({ kind: "same", text });
    else {
      for (const text of part.buffer1) out.push({ kind: "removed", text });
      for (const text of part.buffer2) out.push({ kind: "added", text });
    }
  }
  return out;
}

/** The body diff to show: changed lines with up to `context` unchanged lines around them; longer unchanged runs fold into a gap. */
export function compactDiff(lines: DiffLine[], context = 1): (DiffLine | { kind: "gap"; count: number })[] {
  const keep = lines.map((l, i) => l.kind !== "same" || lines.slice(Math.max(0, i - context), i + context + 1).some((x) => x.kind !== "same"));
  const out: (DiffLine | { kind: "gap"; count: number })[] = [];
  let gap = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (gap) out.push({ kind: "gap", count: gap });
      gap = 0;
      out.push(l);
    } else gap += 1;
  });
  if (gap) out.push({ kind: "gap", count: gap });
  return out;
}

/** The fields an entry set: those whose value differs from the card before it (every field for a creation). */
export function fieldsSet(card: Card, previous: Card | undefined): FieldName[] {
  return FIELD_NAMES.filter((f) => (previous ? !sameValue(previous[f], card[f]) : true));
}

/** Fields a "restore this version" writes back: where the version differs from the card now (position is where the card sits, not what it says). */
export const RESTORABLE: readonly FieldName[] = ["title", "body", "status", "tags", "estimate"];

/** The patch that puts `version`'s values back over `current`; empty when they already match. */
export function restorePatch(version: Card, current: Card): Patch {
  const patch: Record<string, unknown> = {};
  for (const f of RESTORABLE) if (!sameValue(version[f], current[f])) patch[f] = version[f];
  return patch as Patch;
}
