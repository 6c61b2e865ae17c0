import { describe, expect, it } from "vitest";
import { checkLinearizability } from "./linearizability";
import { HistoryBuilder, card, err, ok } from "./fixtures";

const C = "c_1";
const create = (h: HistoryBuilder, at: number, end: number) =>
  h.op("create", { cardId: C, mutationId: "m-create", req: { boardId: "b1", cardId: C, fields: { title: "x" } } }, at, end, ok({ card: card(C, 1, {}, { title: "x" }), seq: 1 }));

describe("linearizability checker (OCC-2, per-field versions)", () => {
  it("accepts a history where a stale-based write to another field applies (field-level, not a register)", () => {
    const h = new HistoryBuilder();
    create(h, 0, 10);
    h.op("update", { cardId: C, mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, ok({ card: card(C, 2, { title: 2 }, { title: "y" }), seq: 2 }));
    h.op("update", { cardId: C, mutationId: "m2", req: { baseVersion: 1, patch: { body: "b" } } }, 40, 50, ok({ card: card(C, 3, { title: 2, body: 3 }, { title: "y", body: "b" }), seq: 3 }));
    h.op("read", { policy: "occ" }, 60, 70, ok({ cards: [card(C, 3, { title: 2, body: 3 }, { title: "y", body: "b" })] }));
    const r = checkLinearizability(h.parsed());
    expect(r.violations).toEqual([]);
    expect(r.checks).toBe(1);
  });

  it("reports a stale read with the read and the write it missed", () => {
    const h = new HistoryBuilder();
    create(h, 0, 10);
    const w = h.op("update", { cardId: C, mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, ok({ card: card(C, 2, { title: 2 }, { title: "y" }), seq: 2 }));
    const r = h.op("read", { policy: "occ" }, 40, 50, ok({ cards: [card(C, 1, {}, { title: "x" })] }));
    const out = checkLinearizability(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.ops).toEqual(expect.arrayContaining([w, r]));
  });

  it("reports a lost update: two writes of one field based on the same version both applied", () => {
    const h = new HistoryBuilder();
    create(h, 0, 10);
    const a = h.op("update", { cardId: C, mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, ok({ card: card(C, 2, { title: 2 }, { title: "y" }), seq: 2 }));
    const b = h.op("update", { cardId: C, mutationId: "m2", req: { baseVersion: 1, patch: { title: "z" } } }, 40, 50, ok({ card: card(C, 3, { title: 3 }, { title: "z" }), seq: 3 }));
    const out = checkLinearizability(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.ops).toEqual(expect.arrayContaining([a, b]));
  });

  it("keeps a write whose answer was lost open: either outcome is linearizable", () => {
    for (const seen of [true, false]) {
      const h = new HistoryBuilder();
      create(h, 0, 10);
      h.op("update", { cardId: C, mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, null);
      h.op("read", { policy: "occ" }, 100, 110, ok({ cards: [seen ? card(C, 2, { title: 2 }, { title: "y" }) : card(C, 1, {}, { title: "x" })] }));
      expect(checkLinearizability(h.parsed()).violations).toEqual([]);
    }
  });

  it("reports a conflict naming the wrong fields, and one where nothing conflicted", () => {
    const h = new HistoryBuilder();
    create(h, 0, 10);
    h.op("update", { cardId: C, mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, ok({ card: card(C, 2, { title: 2 }, { title: "y" }), seq: 2 }));
    const bad = h.op("update", { cardId: C, mutationId: "m2", req: { baseVersion: 1, patch: { body: "b" } } }, 40, 50, err("CONFLICT", { fields: ["body"], current: card(C, 2, { title: 2 }, { title: "y" }) }));
    const out = checkLinearizability(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.ops).toContain(bad);
  });

  it("reports a delete that took effect though it was refused (the card is read afterwards on another board after a move)", () => {
    const h = new HistoryBuilder();
    create(h, 0, 10);
    h.op("move", { cardId: C, mutationId: "m1", req: { baseVersion: 1, toBoardId: "b2" } }, 20, 30, ok({ card: card(C, 2, {}, { title: "x" }, "b2"), seq: 1, fromSeq: 2 }));
    h.op("read", { policy: "occ" }, 40, 50, ok({ cards: [card(C, 2, {}, { title: "x" }, "b2")] }));
    expect(checkLinearizability(h.parsed()).violations).toEqual([]);
    const stale = h.op("read", { policy: "occ" }, 60, 70, ok({ cards: [card(C, 1, {}, { title: "x" }, "b1")] }));
    const out = checkLinearizability(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.ops).toContain(stale);
  });
});
