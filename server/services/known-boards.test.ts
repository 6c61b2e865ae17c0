import { describe, expect, it } from "vitest";
import type { CardState } from "../../lib/sync/write";
import { approxBytes, KnownBoards } from "./known-boards";

const card = (id: string, version = 1): CardState => ({
  id, boardId: "b", title: id, body: "", status: "todo", position: "a0", tags: [], estimate: null, version,
  fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, hlc: null, registers: null, clock: null, fence: 0,
  updatedAt: new Date(0).toISOString(), updatedBy: "u",
});
const cards = (...cs: CardState[]) => new Map(cs.map((c) => [c.id, c]));

// SPEC PERF-7: what a node remembers of a board is only ever what its own batches committed, at
// the head they left; a batch from another head, or another epoch, drops the rest.
describe("KnownBoards", () => {
  it("keeps what it knew when a batch goes on from the head it remembers, and adds the batch's cards", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 1, cards(card("x")));
    k.committed("b", 1, 1, 2, cards(card("y")));
    const known = k.get("b", 1)!;
    expect(known.head).toBe(2);
    expect([...known.cards.keys()].sort()).toEqual(["x", "y"]);
  });

  it("forgets the rest when a batch started from another head (someone else wrote in between)", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 1, cards(card("x")));
    k.committed("b", 1, 5, 6, cards(card("y", 3)));
    const known = k.get("b", 1)!;
    expect(known.head).toBe(6);
    expect([...known.cards.keys()]).toEqual(["y"]);
    expect(k.cardCount()).toBe(1);
  });

  it("answers nothing under another epoch (a failover may have lost writes it remembers)", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 1, cards(card("x")));
    expect(k.get("b", 2)).toBeUndefined();
    expect(k.get("b", 1)).toBeUndefined();
    expect(k.cardCount()).toBe(0);
    expect(k.byteCount()).toBe(0);
  });

  it("forget drops a board and its count", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 2, cards(card("x"), card("y")));
    k.forget("b");
    expect(k.get("b", 1)).toBeUndefined();
    expect(k.cardCount()).toBe(0);
  });

  it("stays within its bound: the board used longest ago goes first, then the oldest cards of the last", () => {
    const one = approxBytes(card("a"));
    const k = new KnownBoards(3 * one);
    k.committed("old", 1, 0, 2, cards(card("a"), card("b")));
    k.committed("new", 1, 0, 1, cards(card("c")));
    k.get("old", 1); // used: now "new" is the one used longest ago
    k.committed("third", 1, 0, 1, cards(card("d")));
    expect(k.get("new", 1)).toBeUndefined();
    expect(k.get("old", 1)).toBeDefined();
    expect(k.byteCount()).toBeLessThanOrEqual(3 * one);
    const big = new KnownBoards(2 * one);
    big.committed("b", 1, 0, 3, cards(card("p"), card("q"), card("r")));
    expect([...big.get("b", 1)!.cards.keys()]).toEqual(["q", "r"]);
    expect(big.cardCount()).toBe(2);
  });

  it("counts bytes, not cards: large cards (20 000-character bodies, mvr values) are remembered fewer at a time", () => {
    const k = new KnownBoards(100_000);
    const large = (id: string) => ({ ...card(id), body: "x".repeat(20_000) });
    k.committed("b", 1, 0, 5, cards(large("v"), large("w"), large("x"), large("y"), large("z")));
    expect(k.byteCount()).toBeLessThanOrEqual(100_000);
    expect(k.cardCount()).toBe(2); // 40 KiB and more each
    const mvr = { ...card("m"), registers: { body: Array.from({ length: 8 }, (_, i) => ({ value: "y".repeat(20_000), clock: { [`r${i}`]: 1 } })) } };
    expect(approxBytes(mvr as never)).toBeGreaterThan(8 * 2 * 20_000);
    k.forget("b");
    expect(k.byteCount()).toBe(0);
  });

  it("counts a card written again once", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 1, cards(card("x")));
    k.committed("b", 1, 1, 2, cards(card("x", 2)));
    expect(k.cardCount()).toBe(1);
    expect(k.byteCount()).toBe(approxBytes(card("x")));
    expect(k.get("b", 1)!.cards.get("x")!.version).toBe(2);
  });
});
