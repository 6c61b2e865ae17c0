import { describe, expect, it } from "vitest";
import type { Notice, NoticeMessage, WriteSummary } from "../../lib/client/types";
import { noticeText, typedText } from "./notice-text";

const at = (m: NoticeMessage): Notice => ({ ...m, id: "n1", boardId: "b1", kind: "info", at: "" });

describe("noticeText: the sentences the person sees for lib/client's notices", () => {
  it("lww: names the fields and who replaced them (e2e/policies.spec.ts looks for 'replaced by Alice')", () => {
    expect(noticeText(at({ code: "lww-replaced", fields: ["title"], by: "Alice" }))).toBe("Your edit to title was replaced by Alice's newer edit");
    expect(noticeText(at({ code: "lww-replaced", fields: ["title", "body"], by: null }))).toBe("Your edit to title, body was replaced by another editor's newer edit");
    expect(noticeText(at({ code: "lww-replaced", fields: ["title"], by: "Alice", otherTab: true }))).toBe("Your edit to title was replaced by your other tab's newer edit");
  });

  it("MVR-5: the displaced values, their writers and the bound", () => {
    expect(noticeText(at({ code: "mvr-dropped", field: "body", count: 1, by: ["w0"], max: 8 }))).toBe(
      "Your edit displaced 1 concurrent value of body (by w0): a field keeps at most 8. The card's history still has it.",
    );
    expect(noticeText(at({ code: "mvr-dropped", field: "title", count: 2, by: [null, "Bo", null], max: 8 }))).toMatch(/displaced 2 concurrent values of title \(by another editor, Bo\).*still has them\.$/);
  });

  it("OUTBOX-5 and OUTBOX-7: refused, set aside, discarded writes", () => {
    const write: WriteSummary = { kind: "update", fields: ["title"] };
    expect(noticeText(at({ code: "write-refused", write, error: { code: "LOCKED", message: "locked by Bob" } }))).toBe("Your edit to title was refused: locked by Bob (LOCKED)");
    expect(noticeText(at({ code: "write-conflict", write: { kind: "delete", fields: [] } }))).toBe("Your delete was refused: the card changed meanwhile");
    const aside = noticeText(at({ code: "write-set-aside", write, failures: 5, error: "INTERNAL", heldBehind: 1 }));
    expect(aside).toMatch(/^Your edit to title could not be saved: the server failed on it 5 times \(INTERNAL\)\. It is set aside/);
    expect(aside).toMatch(/1 later edit\(s\) of this card wait behind it\.$/);
    expect(noticeText(at({ code: "write-discarded", write: { kind: "create", fields: ["title"] }, alsoDiscarded: 2 }))).toBe("Your new card was discarded, with 2 later edit(s) of that new card.");
  });

  it("session and missing card", () => {
    expect(noticeText(at({ code: "session-invalid" }))).toBe("Your session is no longer valid. Please sign in again.");
    expect(noticeText(at({ code: "card-gone" }))).toBe("That card is not here any more.");
  });
});

describe("typedText: a refused write's typing, to copy", () => {
  it("one field as it is, several labelled, none empty", () => {
    expect(typedText({ kind: "update", fields: ["body"], values: { body: "line 1\nline 2" } })).toBe("line 1\nline 2");
    expect(typedText({ kind: "update", fields: ["title", "tags"], values: { title: "T", tags: ["a", "b"] } })).toBe("Title: T\n\nTags: a, b");
    expect(typedText({ kind: "delete", fields: [] })).toBe("");
  });
});
