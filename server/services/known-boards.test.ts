import { describe, expect, it } from "vitest";
import type { CardState } from "../../lib/sync/write";
import { KnownBoards } from "./known-boards";

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
  });

  it("forget drops a board and its count", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 2, cards(card("x"), card("y")));
    k.forget("b");
    expect(k.get("b", 1)).toBeUndefined();
    expect(k.cardCount()).toBe(0);
  });

  it("stays within its bound: the board used longest ago goes first, then the oldest cards of the last", () => {
    const k = new KnownBoards(3);
    k.committed("old", 1, 0, 2, cards(card("a"), card("b")));
    k.committed("new", 1, 0, 1, cards(card("c")));
    k.get("old", 1); // used: now "new" is the one used longest ago
    k.committed("third", 1, 0, 1, cards(card("d")));
    expect(k.get("new", 1)).toBeUndefined();
    expect(k.get("old", 1)).toBeDefined();
    expect(k.cardCount()).toBeLessThanOrEqual(3);
    const big = new KnownBoards(2);
    big.committed("b", 1, 0, 3, cards(card("p"), card("q"), card("r")));
    expect([...big.get("b", 1)!.cards.keys()]).toEqual(["q", "r"]);
    expect(big.cardCount()).toBe(2);
  });

  it("counts a card written again once", () => {
    const k = new KnownBoards();
    k.committed("b", 1, 0, 1, cards(card("x")));
    k.committed("b", 1, 1, 2, cards(card("x", 2)));
    expect(k.cardCount()).toBe(1);
    expect(k.get("b", 1)!.cards.get("x")!.version).toBe(2);
  });
});
