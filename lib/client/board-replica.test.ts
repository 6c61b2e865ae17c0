import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Board, Card, Change } from "../protocol";
import { BoardReplica } from "./board-replica";

const board: Board = { id: "b1", name: "B", policy: "occ", shard: "a", visibility: "open", ownerId: "u1", seq: 0 };

function card(id: string, version: number, title = `t${version}`): Card {
  return {
    id, boardId: "b1", title, body: "", status: "todo", position: "a0", tags: [], estimate: null, version,
    fieldVersions: { title: version, body: 1, status: 1, position: 1, tags: 1, estimate: 1 },
    updatedAt: "2026-01-01T00:00:00.000Z", updatedBy: "u1",
  };
}
function upsert(seq: number, c: Card): Change {
  return { boardId: "b1", seq, type: "card.upsert", card: c, mutationId: `m_${seq}xxxxxxx`, by: "u2", at: "" };
}
function del(seq: number, cardId: string): Change {
  return { boardId: "b1", seq, type: "card.delete", cardId, mutationId: `m_${seq}xxxxxxx`, by: "u2", at: "" };
}
const fresh = () => new BoardReplica({ board, seq: 0, confirmed: {} });

describe("BoardReplica (SPEC FEED-2: strictly in seq order)", () => {
  it("applies seq = cursor + 1, ignores duplicates, buffers past a gap", () => {
    const r = fresh();
    expect(r.offer(upsert(1, card("c1", 1))).kind).toBe("applied");
    expect(r.offer(upsert(1, card("c1", 1))).kind).toBe("duplicate");
    expect(r.offer(upsert(3, card("c1", 3))).kind).toBe("buffered");
    expect(r.seq).toBe(1);
    expect(r.buffered).toBe(1);
    const res = r.offer(upsert(2, card("c1", 2)));
    expect(res).toMatchObject({ kind: "applied" });
    expect(res.kind === "applied" && res.applied.map((c) => c.seq)).toEqual([2, 3]);
    expect(r.seq).toBe(3);
    expect(r.confirmed.c1!.version).toBe(3);
    expect(r.board.seq).toBe(3);
  });

  it("gives confirmed a new identity only when something was applied", () => {
    const r = fresh();
    r.offer(upsert(1, card("c1", 1)));
    const before = r.confirmed;
    r.offer(upsert(1, card("c1", 1)));
    r.offer(upsert(5, card("c1", 5)));
    expect(r.confirmed).toBe(before);
    r.offer(del(2, "c1"));
    expect(r.confirmed).not.toBe(before);
    expect(r.confirmed).toEqual({});
    expect(before.c1).toBeDefined(); // never mutated
  });

  it("catch-up applies exactly the returned changes after the cursor, then the buffer", () => {
    const r = fresh();
    r.offer(upsert(1, card("c1", 1)));
    r.offer(upsert(4, card("c1", 4)));
    const applied = r.catchUp([upsert(1, card("c1", 1)), upsert(2, card("c1", 2)), upsert(3, card("c1", 3))]);
    expect(applied.map((c) => c.seq)).toEqual([2, 3, 4]);
    expect(r.buffered).toBe(0);
  });

  it("reset replaces everything and keeps only later buffered changes", () => {
    const r = fresh();
    r.offer(upsert(1, card("c1", 1)));
    r.offer(upsert(3, card("c2", 1)));
    r.offer(upsert(6, card("c3", 1)));
    const applied = r.reset({ ...board, seq: 5 }, 5, [card("c9", 2)]);
    expect(applied.map((c) => c.seq)).toEqual([6]); // seq 3 was covered by the snapshot, 6 follows it
    expect(Object.keys(r.confirmed).sort()).toEqual(["c3", "c9"]);
    expect(r.seq).toBe(6);
    expect(r.buffered).toBe(0);
    expect(r.offer(upsert(6, card("c3", 1))).kind).toBe("duplicate");
  });

  it("converges to the same state whatever the delivery order and duplicates (property)", () => {
    const log: Change[] = Array.from({ length: 12 }, (_, i) => (i % 5 === 4 ? del(i + 1, `c${i % 3}`) : upsert(i + 1, card(`c${i % 3}`, i + 1))));
    const expected = fresh();
    for (const c of log) expected.offer(c);
    fc.assert(
      fc.property(fc.shuffledSubarray([...log, ...log], { minLength: 24, maxLength: 24 }), (order) => {
        const r = fresh();
        for (const c of order) r.offer(c);
        expect(r.seq).toBe(12);
        expect(r.confirmed).toEqual(expected.confirmed);
      }),
    );
  });
});
