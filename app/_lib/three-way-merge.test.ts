import { describe, expect, it } from "vitest";
import { markerLines, mergeText } from "./three-way-merge";

describe("three-way merge markers: a merge holding them cannot be saved", () => {
  it("finds the marker lines of an overlapping merge, by line number", () => {
    const m = mergeText("one\ntwo", "one (mine)\ntwo", "one (theirs)\ntwo");
    expect(m.conflict).toBe(true);
    expect(markerLines(m.text)).toEqual([1, 3, 5]);
  });

  it("a clean merge, and a merge the person edited the markers out of, have none", () => {
    expect(markerLines(mergeText("a\nb\nc", "A\nb\nc", "a\nb\nC").text)).toEqual([]);
    expect(markerLines("one (mine and theirs)\ntwo")).toEqual([]);
  });

  it("only whole markers at a line's start count", () => {
    expect(markerLines("a ======= b\n<<<<<< six\n=======\n>>>>>>> theirs")).toEqual([3, 4]);
    expect(markerLines("========== heading rule")).toEqual([]);
  });
});
