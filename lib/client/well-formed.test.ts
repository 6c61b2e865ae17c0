import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WELL_FORMED_TEXT, requestSchemas } from "../protocol";
import { wellFormedPatch, wellFormedText } from "./well-formed";

describe("INPUT-3 the client only sends well-formed text", () => {
  it("drops NUL characters and replaces lone surrogates with U+FFFD; keeps everything else", () => {
    expect(wellFormedText("a\u0000b")).toBe("ab");
    expect(wellFormedText("x\uD800y")).toBe("x\uFFFDy");
    expect(wellFormedText("\uDC00")).toBe("\uFFFD");
    expect(wellFormedText("emoji 😀 ok")).toBe("emoji 😀 ok");
    expect(wellFormedText("")).toBe("");
  });

  it("any string comes out well-formed, and well-formed strings come out unchanged", () => {
    const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((a) => String.fromCharCode(...a));
    fc.assert(
      fc.property(fc.oneof(codeUnits, fc.string({ unit: "binary" })), (s) => {
        const out = wellFormedText(s);
        expect(WELL_FORMED_TEXT.test(out)).toBe(true);
        if (WELL_FORMED_TEXT.test(s)) expect(out).toBe(s);
      }),
    );
  });

  it("a patch with such text passes the server's schema after cleaning (a pasted NUL is not a refused edit)", () => {
    const patch = { title: "t\u0000", body: "b\uD800", tags: ["x\u0000y", "\u0000"], status: "todo" as const, estimate: 3 };
    const clean = wellFormedPatch(patch);
    expect(clean).toEqual({ title: "t", body: "b\uFFFD", tags: ["xy"], status: "todo", estimate: 3 });
    const r = requestSchemas["card:update"].safeParse({ mutationId: "m_1", cardId: "c_1", baseVersion: 1, patch: clean });
    expect(r.success).toBe(true);
  });
});
