import { describe, expect, it } from "vitest";
import { draftProblems, parseEstimate } from "./card-draft";

describe("INPUT-4 one check for composer and editor, from the protocol schema", () => {
  it("refuses a blank title, an over-long title, -5, 1.5, a 33-character tag and a 21st tag, and says why", () => {
    expect(draftProblems({ title: "   " }, ["title"]).title).toBe("A card needs a title.");
    expect(draftProblems({ title: "x".repeat(201) }, ["title"]).title).toBe("The title has 201 characters; the most is 200.");
    expect(draftProblems({ title: "x".repeat(200) }, ["title"])).toEqual({});
    expect(draftProblems({ estimate: "-5" }, ["estimate"]).estimate).toBe("The estimate must be a whole number, 0 or more.");
    expect(draftProblems({ estimate: "1.5" }, ["estimate"]).estimate).toBeDefined();
    expect(draftProblems({ estimate: "0" }, ["estimate"])).toEqual({});
    expect(draftProblems({ estimate: "" }, ["estimate"])).toEqual({});
    expect(draftProblems({ tags: `ok, ${"y".repeat(33)}` }, ["tags"]).tags).toBe(`The tag “${"y".repeat(24)}…” has 33 characters; a tag may have 32.`);
    expect(draftProblems({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(",") }, ["tags"]).tags).toBe("21 tags; a card may have 20.");
    expect(draftProblems({ body: "b".repeat(20_001) }, ["body"]).body).toBe("The description has 20001 characters; the most is 20000.");
  });

  it("checks only the fields asked for (an untouched empty title from the wire does not block a body edit)", () => {
    expect(draftProblems({ title: "", body: "fine" }, ["body"])).toEqual({});
  });

  it("parses an estimate only when the schema takes it", () => {
    expect(parseEstimate("")).toBeNull();
    expect(parseEstimate("8")).toBe(8);
    expect(parseEstimate("-5")).toBeUndefined();
    expect(parseEstimate("1e10")).toBeUndefined();
  });
});
