import { describe, expect, it } from "vitest";
import type { Card } from "../../lib/protocol";
import { compactDiff, fieldsSet, lineDiff, restorePatch } from "./history-diff";

const card = (over: Partial<Card>): Card => ({
  id: "c1", boardId: "b1", title: "t", body: "", status: "todo", position: "a0", tags: [], estimate: null, version: 1,
  fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: "", updatedBy: "u1", ...over,
});

describe("history values and restore", () => {
  it("a body diff names the removed and added lines and keeps the rest", () => {
    expect(lineDiff("one\ntwo\nthree", "one\n2\nthree\nfour")).toEqual([
      { kind: "same", text: "one" },
      { kind: "removed", text: "two" },
      { kind: "added", text: "2" },
      { kind: "same", text: "three" },
      { kind: "added", text: "four" },
    ]);
  });

  it("long unchanged runs fold into a gap", () => {
    const before = Array.from({ length: 10 }, (_, i) => `l${i}`).join("\n");
    const after = before.replace("l5", "L5");
    const shown = compactDiff(lineDiff(before, after));
    expect(shown).toEqual([
      { kind: "gap", count: 4 },
      { kind: "same", text: "l4" },
      { kind: "removed", text: "l5" },
      { kind: "added", text: "L5" },
      { kind: "same", text: "l6" },
      { kind: "gap", count: 3 },
    ]);
  });

  it("an entry set the fields that differ from the entry before it; a creation set them all", () => {
    expect(fieldsSet(card({ title: "new", version: 2 }), card({}))).toEqual(["title"]);
    expect(fieldsSet(card({}), undefined)).toHaveLength(6);
  });

  it("restoring a version writes back exactly the values that differ now, never the position", () => {
    const v2 = card({ title: "old", body: "b", tags: ["x"], estimate: 3, position: "a5" });
    const now = card({ title: "new", body: "b", tags: [], estimate: null, position: "a9", version: 5 });
    expect(restorePatch(v2, now)).toEqual({ title: "old", tags: ["x"], estimate: 3 });
    expect(restorePatch(now, now)).toEqual({});
  });
});

describe("lineDiff from or to nothing", () => {
  it("a first description is only added lines (no removed blank line)", () => {
    expect(lineDiff("", "a\nb")).toEqual([
      { kind: "added", text: "a" },
      { kind: "added", text: "b" },
    ]);
    expect(lineDiff("a", "")).toEqual([{ kind: "removed", text: "a" }]);
  });
});
