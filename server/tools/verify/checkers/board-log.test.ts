import { describe, expect, it } from "vitest";
import { checkBoardLog } from "./board-log";
import { HistoryBuilder, ok } from "./fixtures";

const up = (seq: number, mutationId: string) => ({ seq, type: "card.upsert" as const, cardId: "c_1", mutationId });

describe("board log checker (FEED-1, FEED-2, FEED-4)", () => {
  it("accepts a gap-free log in commit order seen in order by an observer", () => {
    const h = new HistoryBuilder();
    h.op("update", { cardId: "c_1", mutationId: "m1" }, 0, 10, ok({ seq: 1 }));
    h.op("update", { cardId: "c_1", mutationId: "m2" }, 20, 30, ok({ seq: 2 }));
    h.final.logs.b1 = { floor: 0, head: 2, entries: [up(1, "m1"), up(2, "m2")] };
    h.records.push({ type: "observed", observer: "o1", boardId: "b1", entries: [["reset", 0], [1, "m1", "card.upsert", "c_1"], [2, "m2", "card.upsert", "c_1"]] });
    expect(checkBoardLog(h.parsed()).violations).toEqual([]);
  });

  it("reports a gap in the log", () => {
    const h = new HistoryBuilder();
    h.final.logs.b1 = { floor: 0, head: 3, entries: [up(1, "m1"), up(3, "m3")] };
    const out = checkBoardLog(h.parsed());
    expect(out.violations[0]!.message).toMatch(/seq 3 where 2 was due/);
  });

  it("reports seqs against commit order, naming both writes", () => {
    const h = new HistoryBuilder();
    const a = h.op("update", { cardId: "c_1", mutationId: "m1" }, 0, 10, ok({ seq: 2 }));
    const b = h.op("update", { cardId: "c_1", mutationId: "m2" }, 20, 30, ok({ seq: 1 }));
    h.final.logs.b1 = { floor: 0, head: 2, entries: [up(1, "m2"), up(2, "m1")] };
    const out = checkBoardLog(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.ops).toEqual([a, b]);
  });

  it("reports an observer that skipped a change or saw one the log does not hold", () => {
    const h = new HistoryBuilder();
    h.final.logs.b1 = { floor: 0, head: 3, entries: [up(1, "m1"), up(2, "m2"), up(3, "m3")] };
    h.records.push({ type: "observed", observer: "o1", boardId: "b1", entries: [["reset", 0], [1, "m1", "card.upsert", "c_1"], [3, "m3", "card.upsert", "c_1"]] });
    h.records.push({ type: "observed", observer: "o2", boardId: "b1", entries: [["reset", 1], [2, "mZ", "card.upsert", "c_1"]] });
    const out = checkBoardLog(h.parsed());
    expect(out.violations.map((v) => v.rule).sort()).toEqual(["FEED-2", "FEED-4"]);
  });
});
