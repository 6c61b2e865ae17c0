import { describe, expect, it } from "vitest";
import type { Card } from "../protocol";
import { Outbox, PIPELINE_WINDOW, POISON_AFTER, backoffMs, failureAction, isPoison, rebaseAfterAck } from "./outbox";
import type { PendingMutation } from "./types";

function card(version: number, fieldVersions: Partial<Card["fieldVersions"]>, clock?: Record<string, number>): Card {
  return {
    id: "c1", boardId: "b1", title: "", body: "", status: "todo", position: "a0", tags: [], estimate: null, version,
    fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1, ...fieldVersions },
    updatedAt: "", updatedBy: "u1", ...(clock ? { clock } : {}),
  };
}
/** A pending write of `kind` with the fields its kind requires, then `extra` (a create's initial fields as `fields`). */
function m(id: string, kind: PendingMutation["kind"], extra: Record<string, unknown> = {}): PendingMutation {
  const byKind = { create: { fields: {} }, update: { patch: {}, baseVersion: 0 }, delete: { baseVersion: 0 }, move: { toBoardId: "b2", baseVersion: 0 } }[kind];
  return { mutationId: id, kind, boardId: "b1", cardId: "c1", createdAt: "", attempts: 0, order: 0, ...byKind, ...extra } as PendingMutation;
}
const baseOf = (x: PendingMutation | undefined) => (x && x.kind !== "create" ? x.baseVersion : undefined);

describe("rebaseAfterAck (SPEC OUTBOX-4: chained local edits)", () => {
  it("moves a later edit based on the pre-ack version up to the acked version", () => {
    const first = m("m1", "update", { patch: { title: "a" }, baseVersion: 1 });
    const second = m("m2", "update", { patch: { title: "b" }, baseVersion: 1 });
    const [r] = rebaseAfterAck(first, card(2, { title: 2 }), [second], "r1");
    expect(baseOf(r)).toBe(2);
  });

  it("does not hide another person's change to a field the later edit touches", () => {
    // v2: someone else changed body; v3: our title edit. Our later body edit (based on v1) must still conflict.
    const first = m("m1", "update", { patch: { title: "a" }, baseVersion: 1 });
    const second = m("m2", "update", { patch: { body: "b" }, baseVersion: 1 });
    expect(rebaseAfterAck(first, card(3, { title: 3, body: 2 }), [second], "r1")).toEqual([]);
  });

  it("rebases across another person's change to an untouched field", () => {
    const first = m("m1", "update", { patch: { title: "a" }, baseVersion: 1 });
    const second = m("m2", "update", { patch: { title: "b" }, baseVersion: 1 });
    expect(rebaseAfterAck(first, card(3, { title: 3, body: 2 }), [second], "r1")[0]).toMatchObject({ baseVersion: 3 });
  });

  it("a delete is rebased only when nothing but our own write changed the card", () => {
    const first = m("m1", "update", { patch: { title: "a" }, baseVersion: 1 });
    const d = m("m2", "delete", { baseVersion: 1 });
    expect(rebaseAfterAck(first, card(2, { title: 2 }), [d], "r1")[0]).toMatchObject({ baseVersion: 2 });
    expect(rebaseAfterAck(first, card(3, { title: 3, status: 2 }), [d], "r1")).toEqual([]);
  });

  it("edits of a card created offline follow its create", () => {
    const create = m("m1", "create", { fields: { title: "new" } });
    const edit = m("m2", "update", { patch: { title: "b" }, baseVersion: 0, context: {} });
    const [r] = rebaseAfterAck(create, card(1, {}, { r1: 1 }), [edit], "r1");
    expect(r).toMatchObject({ baseVersion: 1, context: { r1: 1 } });
  });

  it("mvr: adds only this replica's dot, so a concurrent write by another stays concurrent", () => {
    const first = m("m1", "update", { patch: { title: "a" }, context: { r2: 1 } });
    const second = m("m2", "update", { patch: { title: "b" }, context: { r2: 1 } });
    const [r] = rebaseAfterAck(first, card(3, {}, { r1: 1, r2: 1, r3: 1 }), [second], "r1");
    expect(r).toMatchObject({ context: { r1: 1, r2: 1 } });
  });

  it("leaves other cards and older acks alone", () => {
    const first = m("m1", "update", { patch: { title: "a" }, baseVersion: 3 });
    const other = m("m2", "update", { cardId: "c2", patch: { title: "b" }, baseVersion: 1 });
    const newer = m("m3", "update", { patch: { title: "b" }, baseVersion: 5 });
    expect(rebaseAfterAck(first, card(4, { title: 4 }), [other, newer], "r1")).toEqual([]);
  });
});

describe("outbox rules", () => {
  it("classifies failures (SPEC OUTBOX-5)", () => {
    expect(failureAction("CONFLICT")).toBe("conflict");
    for (const c of ["UNAVAILABLE", "INTERNAL", "RATE_LIMITED"]) expect(failureAction(c)).toBe("retry");
    for (const c of ["LOCKED", "STALE_LOCK", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST"]) expect(failureAction(c)).toBe("drop");
  });

  it("backs off exponentially up to a cap", () => {
    expect([1, 2, 3, 10, 50].map(backoffMs)).toEqual([250, 500, 1000, 10_000, 10_000]);
  });

  it("keeps order, and keeps acknowledged entries as overlay until settled", () => {
    const o = new Outbox();
    const a = o.add(m("m1", "create"));
    const b = o.add(m("m2", "update"));
    expect(a.order < b.order).toBe(true);
    o.ack("m1", 4);
    expect(o.pending().map((x) => x.mutationId)).toEqual(["m2"]);
    expect(o.overlay().map((x) => x.mutationId)).toEqual(["m1", "m2"]);
    expect(o.settle((e) => (e.acked?.seq ?? 0) <= 3)).toBe(false);
    expect(o.settle((e) => (e.acked?.seq ?? 0) <= 4)).toBe(true);
    expect(o.overlay().map((x) => x.mutationId)).toEqual(["m2"]);
    const restored = new Outbox();
    restored.restore([b]);
    expect(restored.add(m("m3", "delete")).order).toBe(b.order + 1);
  });
});

describe("OUTBOX-7 poison writes are set aside", () => {
  const setAside = { at: "2026-01-01T00:00:00.000Z", code: "INTERNAL", message: "internal error" };

  it("is poison after POISON_AFTER INTERNAL answers; other codes never set a write aside", () => {
    expect(POISON_AFTER).toBeGreaterThan(1);
    expect(isPoison("INTERNAL", POISON_AFTER - 1)).toBe(false);
    expect(isPoison("INTERNAL", POISON_AFTER)).toBe(true);
    for (const c of ["UNAVAILABLE", "RATE_LIMITED"]) expect(isPoison(c, 100)).toBe(false);
  });

  it("sends past a set-aside write to other cards, holds the writes of its card behind it, in order", () => {
    const o = new Outbox();
    o.add(m("x1", "update", { cardId: "x" }));
    o.add(m("y1", "update", { cardId: "y" }));
    o.add(m("x2", "delete", { cardId: "x" }));
    o.add(m("z1", "update", { cardId: "z" }));
    expect(o.sendable()?.mutationId).toBe("x1");
    o.setAside("x1", setAside);
    expect(o.sendable()?.mutationId).toBe("y1");
    expect(o.heldBehind("x1").map((x) => x.mutationId)).toEqual(["x2"]);
    o.ack("y1", 5);
    expect(o.sendable()?.mutationId).toBe("z1"); // x2 waits behind x1: never reordered around it
    o.ack("z1", 6);
    expect(o.sendable()).toBeUndefined();
    // Everything stays pending and in the overlay: nothing the person typed disappears.
    expect(o.pending().map((x) => x.mutationId)).toEqual(["x1", "x2"]);
    expect(o.overlay().map((x) => x.mutationId)).toEqual(["x1", "y1", "x2", "z1"]);
  });

  it("a write put back is sent first again, in its original place, with its failures forgotten", () => {
    const o = new Outbox();
    o.add(m("x1", "update", { cardId: "x", failures: 5 }));
    o.add(m("x2", "update", { cardId: "x" }));
    o.setAside("x1", setAside);
    expect(o.get("x1")?.setAside).toEqual(setAside);
    expect(o.sendable()).toBeUndefined();
    o.putBack("x1");
    expect(o.get("x1")?.setAside).toBeUndefined();
    expect(o.get("x1")?.failures).toBe(0);
    expect(o.sendable()?.mutationId).toBe("x1");
  });

  it("a move or a create set aside holds every later write of that card", () => {
    const o = new Outbox();
    o.add(m("c1", "create", { cardId: "n" }));
    o.add(m("u1", "update", { cardId: "n" }));
    o.add(m("mv", "move", { cardId: "n", toBoardId: "b2" }));
    o.setAside("c1", setAside);
    expect(o.sendable()).toBeUndefined();
    expect(o.heldBehind("c1").map((x) => x.mutationId)).toEqual(["u1", "mv"]);
  });

  it("a set-aside write survives a restore (it is stored with its mark)", () => {
    const o = new Outbox();
    o.add(m("x1", "update", { cardId: "x" }));
    o.add(m("y1", "update", { cardId: "y" }));
    o.setAside("x1", setAside);
    const restored = new Outbox();
    restored.restore(o.pending());
    expect(restored.sendable()?.mutationId).toBe("y1");
  });
});

describe("OUTBOX-8 pipelined sends: several cards at once, one write in flight per card, in outbox order", () => {
  it("offers each card's oldest pending write, in outbox order; a card's next write only once the one in flight is answered", () => {
    const o = new Outbox();
    o.add(m("a1", "update", { cardId: "a" }));
    o.add(m("b1", "update", { cardId: "b" }));
    o.add(m("a2", "update", { cardId: "a" }));
    o.add(m("c1", "create", { cardId: "c" }));
    o.add(m("b2", "delete", { cardId: "b" }));
    expect(o.heads().map((x) => x.mutationId)).toEqual(["a1", "b1", "c1"]);
    const inFlight = new Set(["a1", "b1", "c1"]);
    expect(o.heads(inFlight)).toEqual([]); // a2 and b2 wait behind their card's write in flight
    o.ack("b1", 3);
    inFlight.delete("b1");
    expect(o.heads(inFlight).map((x) => x.mutationId)).toEqual(["b2"]);
    o.remove("a1"); // refused: the card's next write goes, rebased or not, after the answer
    inFlight.delete("a1");
    expect(o.heads(inFlight).map((x) => x.mutationId)).toEqual(["a2", "b2"]);
    expect(PIPELINE_WINDOW).toBeGreaterThan(1);
  });
});
