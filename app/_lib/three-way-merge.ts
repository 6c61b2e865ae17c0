import { merge } from "node-diff3";

export interface MergeOutcome {
  text: string;
  /** True when both sides changed the same lines: the text then holds conflict markers. */
  conflict: boolean;
}

/**
 * Three-way merge of a text field, line by line (diff3): changes on one side only are taken;
 * overlapping changes are kept between `<<<<<<< mine` / `=======` / `>>>>>>> theirs` markers.
 */
export function mergeText(base: string, mine: string, theirs: string): MergeOutcome {
  const lines = (s: string) => s.split("\n");
  const r = merge<string>(lines(mine), lines(base), lines(theirs), {
    excludeFalseConflicts: true,
    label: { a: "mine", b: "theirs" },
  });
  return { text: r.result.join("\n"), conflict: r.conflict };
}

/** The diff3 marker lines a merge shows (`<<<<<<<`, `=======`, `>>>>>>>` at a line's start). */
const MARKER = /^(<{7}|={7}|>{7})(\s|$)/;

/** 1-based numbers of the lines of `text` that still hold a diff3 conflict marker (none: safe to save). */
export function markerLines(text: string): number[] {
  const found: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (MARKER.test(line)) found.push(i + 1);
  });
  return found;
}
