import { describe, expect, it } from "vitest";
import type { Card } from "../protocol";
import type { PendingMutation } from "./types";
import { computeView } from "./view";

function card(id: string, extra: Partial<Card> = {}): Card {
  return {
    id, boardId: "b1", title: "t", body: "", status: "todo", position: "a0", tags: [], estimate: null, version: 1,
    fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: "", updatedBy: "u1", ...extra,
  };
}
/** A pending write of `kind` with the fields its kind requires, then `extra`. */
function m(kind: PendingMutation["kind"], extra: Record<string, unknown>): PendingMutation {
  const byKind = { create: { fields: {} }, update: { patch: {}, baseVersion: 1 }, delete: { baseVersion: 1 }, move: { toBoardId: "b2", baseVersion: 1 } }[kind];
  return { mutationId: `m_${Math.random().toString(36).slice(2, 12)}`, kind, boardId: "b1", cardId: "c1", createdAt: "", attempts: 0, order: 0, ...byKind, ...extra } as PendingMutation;
}
const none = () => undefined;

describe("computeView (SPEC OUTBOX-2: optimistic view)", () => {
  it("is the confirmed record itself when nothing is pending", () => {
    const confirmed = { c1: card("c1") };
    expect(computeView("b1", "occ", confirmed, [m("update", { boardId: "b2", patch: { title: "x" } })], "u1", none)).toBe(confirmed);
  });

  it("applies creates, updates, deletes in order, sharing untouched cards", () => {
    const confirmed = { c1: card("c1"), c2: card("c2") };
    const view = computeView("b1", "occ", confirmed, [
      m("create", { cardId: "c3", fields: { title: "new" } }),
      m("update", { cardId: "c3", patch: { body: "b" } }),
      m("update", { cardId: "c1", patch: { title: "edited" } }),
      m("delete", { cardId: "c2" }),
    ], "u1", none);
    expect(Object.keys(view).sort()).toEqual(["c1", "c3"]);
    expect(view.c3).toMatchObject({ title: "new", body: "b", version: 0 });
    expect(view.c1!.title).toBe("edited");
    expect(confirmed.c1!.title).toBe("t");
  });

  it("lww: a pending edit older than the confirmed field is not shown (it will lose)", () => {
    const confirmed = { c1: card("c1", { hlc: { title: "000000000000005:00000:r2" } }) };
    const older = m("update", { patch: { title: "old", body: "kept" }, hlc: "000000000000004:00000:r1" });
    expect(computeView("b1", "lww", confirmed, [older], "u1", none).c1).toMatchObject({ title: "t", body: "kept" });
  });

  it("moves take the card off the source board and onto the target", () => {
    const mv = m("move", { toBoardId: "b2" });
    const c1 = card("c1");
    expect(computeView("b1", "occ", { c1 }, [mv], "u1", none)).toEqual({});
    expect(computeView("b2", "occ", {}, [mv], "u1", () => c1).c1).toMatchObject({ id: "c1", boardId: "b2" });
  });
});
