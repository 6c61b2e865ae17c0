import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { comparePlaced, isOrderKey, placeAt, positionAtEnd, type Placed } from "./positions";

/** The column after applying `writes` and moving `id` in, in display order. */
function apply(column: Placed[], id: string, writes: Placed[]): string[] {
  const by = new Map(column.map((c) => [c.id, c.position]));
  for (const w of writes) by.set(w.id, w.position);
  return [...by.entries()].map(([i, position]) => ({ id: i, position })).sort(comparePlaced).map((c) => c.id).filter((x) => x !== undefined && (x !== id || by.has(id)));
}

const col = (...keys: string[]): Placed[] => keys.map((position, i) => ({ id: `c${i}`, position })).sort(comparePlaced);

describe("placeAt (SPEC POS-1)", () => {
  it("puts a card between two neighbours with one write of a key between theirs", () => {
    const column = col("a0", "a1", "a2");
    const writes = placeAt(column, 1, "x");
    expect(writes).toHaveLength(1);
    expect(writes[0]!.id).toBe("x");
    expect(isOrderKey(writes[0]!.position)).toBe(true);
    expect(apply(column, "x", writes)).toEqual(["c0", "x", "c1", "c2"]);
  });

  it("places at the start, at the end and in an empty column", () => {
    expect(apply(col("a0", "a1"), "x", placeAt(col("a0", "a1"), 0, "x"))).toEqual(["x", "c0", "c1"]);
    expect(apply(col("a0", "a1"), "x", placeAt(col("a0", "a1"), 2, "x"))).toEqual(["c0", "c1", "x"]);
    expect(placeAt([], 0, "x")).toEqual([{ id: "x", position: "a0" }]);
  });

  it("POS-2 between two cards that share a key (dropped on one spot at once) it re-keys the later one too", () => {
    const column = col("a0", "a0V", "a0V", "a1");
    const writes = placeAt(column, 2, "x");
    expect(writes.map((w) => w.id).sort()).toEqual(["c2", "x"]);
    expect(apply(column, "x", writes)).toEqual(["c0", "c1", "x", "c2", "c3"]);
  });

  it("POS-3 legacy keys (not fractional indices) around the drop are re-keyed so the shown order holds", () => {
    const column = col("t1", "t2", "t3");
    const writes = placeAt(column, 1, "x");
    expect(writes.every((w) => isOrderKey(w.position))).toBe(true);
    expect(apply(column, "x", writes)).toEqual(["c0", "x", "c1", "c2"]);
  });

  it("any column, any drop index: the card lands exactly there, every other card keeps its order, every written key is an order key", () => {
    const key = fc.oneof(fc.constantFrom("a0", "a0V", "a1", "Zz", "b00", "t1", "a", "zzz", "0"), fc.stringMatching(/^[0-9A-Za-z]{1,6}$/));
    fc.assert(
      fc.property(fc.array(key, { maxLength: 12 }), fc.nat(13), (keys, i) => {
        const column = col(...keys);
        const index = Math.min(i, column.length);
        const writes = placeAt(column, index, "x");
        const expected = [...column.map((c) => c.id)];
        expected.splice(index, 0, "x");
        expect(apply(column, "x", writes)).toEqual(expected);
        for (const w of writes) expect(isOrderKey(w.position)).toBe(true);
      }),
    );
  });
});

describe("positionAtEnd", () => {
  it("sorts after every card of the column", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[0-9A-Za-z]{1,6}$/), { maxLength: 8 }), (keys) => {
        const column = col(...keys);
        const p = positionAtEnd(column);
        expect(/^[0-9A-Za-z]{1,64}$/.test(p)).toBe(true);
        for (const c of column) expect(p > c.position).toBe(true);
      }),
    );
    expect(positionAtEnd(col("a0", "a1"))).toBe("a2");
  });
});
