import { describe, expect, it } from "vitest";
import { checkExactlyOnce } from "./exactly-once";
import { HistoryBuilder, err, ok } from "./fixtures";

const up = (seq: number, mutationId: string, cardId = "c_1") => ({ seq, type: "card.upsert" as const, cardId, mutationId });

describe("exactly-once checker (IDEM-1, IDEM-2)", () => {
  it("accepts a write replayed after a lost ack, answered once and logged once", () => {
    const h = new HistoryBuilder();
    h.op("update", { cardId: "c_1", mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 0, 10, null);
    h.op("update", { cardId: "c_1", mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, ok({ seq: 2 }));
    h.final.logs.b1 = { floor: 0, head: 2, entries: [up(1, "m0"), up(2, "m1")] };
    expect(checkExactlyOnce(h.parsed()).violations).toEqual([]);
  });

  it("reports a mutation applied twice (a duplicate), with its attempts", () => {
    const h = new HistoryBuilder();
    const a = h.op("update", { cardId: "c_1", mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 0, 10, null);
    const b = h.op("update", { cardId: "c_1", mutationId: "m1", req: { baseVersion: 1, patch: { title: "y" } } }, 20, 30, ok({ seq: 3 }));
    h.final.logs.b1 = { floor: 0, head: 3, entries: [up(1, "m0"), up(2, "m1"), up(3, "m1")] };
    const out = checkExactlyOnce(h.parsed());
    expect(out.violations.map((v) => v.message).join()).toMatch(/more than once/);
    expect(out.violations[0]!.ops).toEqual([a, b]);
  });

  it("reports a lost write: acknowledged at a seq the log does not hold", () => {
    const h = new HistoryBuilder();
    const a = h.op("create", { cardId: "c_2", mutationId: "m2", req: {} }, 0, 10, ok({ seq: 2 }));
    h.final.logs.b1 = { floor: 0, head: 2, entries: [up(1, "m0"), up(2, "mX", "c_9")] };
    const out = checkExactlyOnce(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.message).toMatch(/lost write/);
    expect(out.violations[0]!.ops).toEqual([a]);
  });

  it("reports a write refused for sure that is in the log anyway", () => {
    const h = new HistoryBuilder();
    const a = h.op("delete", { cardId: "c_1", mutationId: "m3", req: { baseVersion: 1 } }, 0, 10, err("CONFLICT"));
    h.final.logs.b1 = { floor: 0, head: 1, entries: [{ seq: 1, type: "card.delete", cardId: "c_1", mutationId: "m3" }] };
    const out = checkExactlyOnce(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.ops).toEqual([a]);
  });
});
