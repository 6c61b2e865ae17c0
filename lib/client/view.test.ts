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
const me = { id: "u1", name: "Me", replicaId: "r1", now: 0 };

describe("computeView (SPEC OUTBOX-2: optimistic view)", () => {
  it("is the confirmed record itself when nothing is pending", () => {
    const confirmed = { c1: card("c1") };
    expect(computeView("b1", "occ", confirmed, [m("update", { boardId: "b2", patch: { title: "x" } })], me, none)).toBe(confirmed);
  });

  it("applies creates, updates, deletes in order, sharing untouched cards", () => {
    const confirmed = { c1: card("c1"), c2: card("c2") };
    const view = computeView("b1", "occ", confirmed, [
      m("create", { cardId: "c3", fields: { title: "new" } }),
      m("update", { cardId: "c3", patch: { body: "b" }, baseVersion: 0 }), // a card not yet confirmed is at version 0
      m("update", { cardId: "c1", patch: { title: "edited" } }),
      m("delete", { cardId: "c2" }),
    ], me, none);
    expect(Object.keys(view).sort()).toEqual(["c1", "c3"]);
    expect(view.c3).toMatchObject({ title: "new", body: "b", version: 0 });
    expect(view.c1!.title).toBe("edited");
    expect(confirmed.c1!.title).toBe("t");
  });

  it("lww: a pending edit older than the confirmed field is not shown (it will lose)", () => {
    const confirmed = { c1: card("c1", { hlc: { title: "000000000000005:00000:r2" } }) };
    const older = m("update", { patch: { title: "old", body: "kept" }, hlc: "000000000000004:00000:r1" });
    expect(computeView("b1", "lww", confirmed, [older], me, none).c1).toMatchObject({ title: "t", body: "kept" });
  });

  it("moves take the card off the source board and onto the target", () => {
    const mv = m("move", { toBoardId: "b2" });
    const c1 = card("c1");
    expect(computeView("b1", "occ", { c1 }, [mv], me, none)).toEqual({});
    expect(computeView("b2", "occ", {}, [mv], me, () => ({ card: c1, policy: "occ" as const })).c1).toMatchObject({ id: "c1", boardId: "b2" });
  });

  it("WRITE-1 mvr: a pending edit replaces only the values its context has seen; a concurrent one stays a sibling", () => {
    // The card as confirmed: title written by r2 at {r2:1}; our edit was made before we saw it (context {}).
    const c1 = card("c1", { title: "theirs", clock: { r2: 1 } });
    const stale = m("update", { patch: { title: "mine" }, context: {} });
    const v = computeView("b1", "mvr", { c1 }, [stale], me, none).c1!;
    expect(v.siblings?.title?.map((x) => x.value).sort()).toEqual(["mine", "theirs"]);
    // Made after seeing it (context {r2:1}): it replaces it, no siblings.
    const seen = m("update", { patch: { title: "mine" }, context: { r2: 1 } });
    const w = computeView("b1", "mvr", { c1 }, [seen], me, none).c1!;
    expect([w.title, w.siblings]).toEqual(["mine", undefined]);
    expect(w.version).toBe(1); // the server's version until it confirms
  });

  it("WRITE-1 mvr: chained pending edits of one card replace each other (as OUTBOX-4 will rebase them), never siblings", () => {
    const c1 = card("c1", { title: "start", clock: { r2: 1 } });
    const first = m("update", { patch: { title: "one" }, context: { r2: 1 } });
    const second = m("update", { patch: { title: "two" }, context: { r2: 1 } });
    const v = computeView("b1", "mvr", { c1 }, [first, second], me, none).c1!;
    expect([v.title, v.siblings]).toEqual(["two", undefined]);
  });

  it("WRITE-1 lww: a card created offline carries its stamps, and a later pending edit of it shows", () => {
    const create = m("create", { cardId: "c9", fields: { title: "new" }, hlc: "000000000000004:00000:r1" });
    const edit = m("update", { cardId: "c9", patch: { title: "newer" }, baseVersion: 0, hlc: "000000000000005:00000:r1" });
    const v = computeView("b1", "lww", {}, [create, edit], me, none).c9!;
    expect(v).toMatchObject({ title: "newer", version: 0 });
    expect(v.hlc?.title).toBe("000000000000005:00000:r1");
  });

  it("a pending edit rebased on an ack whose change has not arrived yet still shows (its base is ahead of the card shown)", () => {
    const confirmed = { c1: card("c1") }; // v1: the ack of our first edit said v2; its change is on its way
    const rebased = m("update", { patch: { body: "second" }, baseVersion: 2 });
    expect(computeView("b1", "occ", confirmed, [rebased], me, none).c1).toMatchObject({ body: "second", version: 1 });
  });
});
