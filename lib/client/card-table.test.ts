import { describe, expect, it } from "vitest";
import type { Card } from "../protocol";
import { cardList, cardRecord, diffCards, withChanges } from "./card-table";

const card = (id: string, version = 1): Card => ({
  id, boardId: "b", title: `${id} v${version}`, body: "", status: "todo", position: "a0", tags: [], estimate: null, version,
  fieldVersions: { title: version, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: "", updatedBy: "u",
});

describe("REPLICA-4 a board's cards with structural sharing", () => {
  const many = Array.from({ length: 5_000 }, (_, i) => card(`c_${i}`));

  it("reads like a plain record: index, in, keys, values, entries, spread, JSON", () => {
    const r = cardRecord(many.slice(0, 3));
    expect(r.c_1).toEqual(card("c_1"));
    expect("c_2" in r).toBe(true);
    expect("c_9" in r).toBe(false);
    expect(r.c_9).toBeUndefined();
    expect(Object.keys(r).sort()).toEqual(["c_0", "c_1", "c_2"]);
    expect(Object.values(r)).toHaveLength(3);
    expect(Object.fromEntries(Object.entries(r))).toEqual({ ...r });
    expect(JSON.parse(JSON.stringify(r))).toEqual({ c_0: card("c_0"), c_1: card("c_1"), c_2: card("c_2") });
    expect(cardList(r).map((c) => c.id).sort()).toEqual(["c_0", "c_1", "c_2"]);
    expect(r).toEqual({ c_0: card("c_0"), c_1: card("c_1"), c_2: card("c_2") });
  });

  it("is immutable: a change makes a new version and leaves the old one as it was", () => {
    const v1 = cardRecord(many);
    const v2 = withChanges(v1, new Map([["c_7", card("c_7", 2)], ["c_8", null], ["c_new", card("c_new")]]));
    expect(v1.c_7!.version).toBe(1);
    expect("c_8" in v1).toBe(true);
    expect(v2.c_7!.version).toBe(2);
    expect("c_8" in v2).toBe(false);
    expect(Object.keys(v2)).toHaveLength(5_000);
    expect(() => {
      (v2 as Record<string, Card>).c_1 = card("c_1", 9);
    }).toThrow(TypeError);
    expect(withChanges(v2, new Map())).toBe(v2);
  });

  it("a change to a 5 000-card board costs what it touches: fast, and the diff of two versions names just it", () => {
    let r = cardRecord(many);
    const t = performance.now();
    for (let i = 0; i < 1_000; i++) r = withChanges(r, new Map([[`c_${i}`, card(`c_${i}`, 2)]]));
    const perChange = (performance.now() - t) / 1_000;
    // Copying the board each time took milliseconds per change on this machine; a bucket copy is far below that.
    expect(perChange).toBeLessThan(0.5);
    const before = r;
    const after = withChanges(r, new Map([["c_4999", card("c_4999", 3)], ["c_0", null]]));
    const put: string[] = [];
    const removed: string[] = [];
    diffCards(before, after, (c) => put.push(c.id), (id) => removed.push(id));
    expect(put).toEqual(["c_4999"]);
    expect(removed).toEqual(["c_0"]);
  });

  it("takes in a plain record (restored from storage) once, then shares", () => {
    const plain = Object.fromEntries(many.slice(0, 10).map((c) => [c.id, c]));
    const r = withChanges(plain, new Map([["c_3", card("c_3", 2)]]));
    const put: string[] = [];
    diffCards(plain, r, (c) => put.push(c.id), () => {});
    expect(put).toEqual(["c_3"]);
  });
});
