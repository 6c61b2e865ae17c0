import { describe, expect, it } from "vitest";
import { checkConvergence } from "./convergence";
import { HistoryBuilder, card } from "./fixtures";

describe("convergence checker (LWW-1, MVR-1)", () => {
  it("accepts replicas equal to the snapshot, and reports one that differs", () => {
    const h = new HistoryBuilder();
    h.final.boards = [{ id: "b1", policy: "lww", shard: "a" }];
    h.final.snapshots.b1 = { seq: 4, cards: [card("c_1", 3, {}, { title: "later" })] };
    h.final.replicas.push({ observer: "o1", boardId: "b1", seq: 4, cards: [card("c_1", 3, {}, { title: "later" })] });
    expect(checkConvergence(h.parsed()).violations).toEqual([]);
    h.final.replicas.push({ observer: "o2", boardId: "b1", seq: 4, cards: [card("c_1", 3, {}, { title: "earlier" })] });
    const out = checkConvergence(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.message).toMatch(/o2/);
    expect(out.violations[0]!.evidence[0]).toMatch(/c_1/);
  });
});
