import "fake-indexeddb/auto";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import type { Board, Card } from "../protocol";
import { IndexedDbStorage, replicaDbName } from "./indexeddb-storage";
import { MemoryStorage, type ReplicaStorage } from "./storage";
import type { PendingMutation } from "./types";

const board: Board = { id: "b1", name: "B", policy: "lww", shard: "a", visibility: "open", ownerId: "u1", seq: 7 };
const card: Card = {
  id: "c1", boardId: "b1", title: "t", body: "", status: "todo", position: "a0", tags: ["x"], estimate: null, version: 2,
  fieldVersions: { title: 2, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: "", updatedBy: "u1",
  hlc: { title: "000000000000001:00000:r1" },
};
const mut = (id: string, order: number): PendingMutation => ({
  mutationId: id, kind: "update", boardId: "b1", cardId: "c1", patch: { title: id }, baseVersion: 2, createdAt: "2026-01-01T00:00:00.000Z", attempts: 0, order,
});

let n = 0;
/** One contract suite for every ReplicaStorage (the same cases for both stores). */
const backends: [string, () => ReplicaStorage][] = [
  ["MemoryStorage", () => new MemoryStorage()],
  ["IndexedDbStorage", () => new IndexedDbStorage(`test-${++n}`)],
];

describe.each(backends)("%s (ReplicaStorage contract)", (_name, make) => {
  it("starts empty", async () => {
    expect(await make().loadAll()).toEqual({ boards: [], outbox: [] });
  });

  it("stores boards, the outbox in order, and the clock", async () => {
    const s = make();
    await s.write({ boards: [{ board, seq: 7 }], putCards: [{ boardId: "b1", card }] });
    await s.write({ putMutations: [mut("m_second", 2), mut("m_first", 1)] });
    await s.write({ putMutations: [{ ...mut("m_second", 2), attempts: 3 }], meta: { hlc: "000000000000009:00001:r1" } }); // replace by id
    const all = await s.loadAll();
    expect(all.boards).toEqual([{ board, seq: 7, confirmed: { c1: card } }]);
    expect(all.outbox.map((m) => [m.mutationId, m.attempts])).toEqual([["m_first", 0], ["m_second", 3]]);
    expect(all.clock).toBe("000000000000009:00001:r1");
    await s.write({ deleteMutations: ["m_first"], deleteBoards: ["b1"] });
    const after = await s.loadAll();
    expect(after.boards).toEqual([]);
    expect(after.outbox.map((m) => m.mutationId)).toEqual(["m_second"]);
  });

  it("changes a board card by card: a batch rewrites the cards it names, not the board", async () => {
    const s = make();
    const c2 = { ...card, id: "c2", title: "two" };
    await s.write({ boards: [{ board, seq: 7 }], putCards: [{ boardId: "b1", card }, { boardId: "b1", card: c2 }] });
    await s.write({ boards: [{ board: { ...board, seq: 9 }, seq: 9 }], putCards: [{ boardId: "b1", card: { ...c2, title: "2" } }], deleteCards: [{ boardId: "b1", cardId: "c1" }] });
    expect((await s.loadAll()).boards).toEqual([{ board: { ...board, seq: 9 }, seq: 9, confirmed: { c2: { ...c2, title: "2" } } }]);
  });
});

describe("IndexedDbStorage", () => {
  it("keeps each replica (tab) in its own database, and survives reopening", async () => {
    const a = new IndexedDbStorage("tab-a");
    await a.write({ putMutations: [mut("m_a", 1)] });
    a.close();
    expect((await new IndexedDbStorage("tab-b").loadAll()).outbox).toEqual([]);
    expect((await new IndexedDbStorage("tab-a").loadAll()).outbox.map((m) => m.mutationId)).toEqual(["m_a"]);
    expect(replicaDbName("tab-a")).toContain("tab-a");
  });

  it("REPLICA-2 an outbox stored by the client before the union type loads as the union (migrated on read)", async () => {
    const s = new IndexedDbStorage("tab-old");
    // Before: one record shape for every kind, a create's initial fields in `patch`, no `order`,
    // policy stamps on deletes and moves.
    const old = [
      { mutationId: "m_1", kind: "create", boardId: "b1", cardId: "c1", patch: { title: "new" }, hlc: "000000000000001:00000:r1", createdAt: "2026-01-01T00:00:01.000Z", attempts: 1 },
      { mutationId: "m_2", kind: "update", boardId: "b1", cardId: "c1", patch: { body: "x" }, baseVersion: 0, context: { r1: 1 }, createdAt: "2026-01-01T00:00:02.000Z", attempts: 0 },
      { mutationId: "m_3", kind: "move", boardId: "b1", cardId: "c1", toBoardId: "b2", baseVersion: 0, hlc: "000000000000002:00000:r1", createdAt: "2026-01-01T00:00:03.000Z", attempts: 0 },
      { mutationId: "m_4", kind: "delete", boardId: "b2", cardId: "c1", context: {}, createdAt: "2026-01-01T00:00:04.000Z", attempts: 0, setAside: { at: "", code: "INTERNAL", message: "x" } },
    ];
    await s.write({ putMutations: old as unknown as PendingMutation[] });
    const { outbox } = await s.loadAll();
    expect(outbox).toEqual([
      { mutationId: "m_1", kind: "create", boardId: "b1", cardId: "c1", fields: { title: "new" }, hlc: "000000000000001:00000:r1", createdAt: "2026-01-01T00:00:01.000Z", attempts: 1, order: 0 },
      { mutationId: "m_2", kind: "update", boardId: "b1", cardId: "c1", patch: { body: "x" }, baseVersion: 0, context: { r1: 1 }, createdAt: "2026-01-01T00:00:02.000Z", attempts: 0, order: 0 },
      { mutationId: "m_3", kind: "move", boardId: "b1", cardId: "c1", toBoardId: "b2", baseVersion: 0, createdAt: "2026-01-01T00:00:03.000Z", attempts: 0, order: 0 },
      { mutationId: "m_4", kind: "delete", boardId: "b2", cardId: "c1", baseVersion: 0, createdAt: "2026-01-01T00:00:04.000Z", attempts: 0, order: 0, setAside: { at: "", code: "INTERNAL", message: "x" } },
    ]);
  });

  it("REPLICA-2 a database of version 1 (each board with all its cards in one record) opens with its boards and cards", async () => {
    const name = replicaDbName("tab-v1");
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore("boards", { keyPath: "id" });
        db.createObjectStore("outbox", { keyPath: "mutationId" });
        db.createObjectStore("meta");
      },
    });
    await v1.put("boards", { id: "b1", board, seq: 7, confirmed: { c1: card } });
    await v1.put("outbox", mut("m_1", 1));
    v1.close();
    const s = new IndexedDbStorage("tab-v1");
    const all = await s.loadAll();
    expect(all.boards).toEqual([{ board, seq: 7, confirmed: { c1: card } }]);
    expect(all.outbox.map((m) => m.mutationId)).toEqual(["m_1"]);
    await s.write({ putCards: [{ boardId: "b1", card: { ...card, title: "changed" } }] });
    expect((await s.loadAll()).boards[0]?.confirmed.c1?.title).toBe("changed");
  });
});
