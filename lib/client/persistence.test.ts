import { describe, expect, it } from "vitest";
import type { Board, Card, Change } from "../protocol";
import { HybridClock } from "../sync/hlc";
import { BoardReplica } from "./board-replica";
import { Persistence } from "./persistence";
import { Replicas } from "./replicas";
import { MemoryStorage, type StorageBatch } from "./storage";
import type { PendingMutation } from "./types";

const board: Board = { id: "b1", name: "B", policy: "occ", shard: "a", visibility: "open", ownerId: "u1", seq: 1 };
const card = (id: string, title = id): Card => ({
  id, boardId: "b1", title, body: "", status: "todo", position: "a0", tags: [], estimate: null, version: 1,
  fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: "", updatedBy: "u1",
});
const mut = (id: string): PendingMutation => ({
  mutationId: id, kind: "update", boardId: "b1", cardId: "c1", patch: { title: id }, baseVersion: 1, createdAt: "", attempts: 0, order: 1,
});

/** A MemoryStorage that records every batch it is given. */
class CountingStorage extends MemoryStorage {
  readonly batches: StorageBatch[] = [];
  override async write(batch: StorageBatch): Promise<void> {
    this.batches.push(batch);
    return super.write(batch);
  }
}

function setup() {
  const storage = new CountingStorage();
  const replicas = new Replicas();
  const p = new Persistence({ storage, log: () => {}, replicas, clock: new HybridClock("r1", () => 0), transport: { closed: false } });
  return { storage, replicas, p };
}

describe("Persistence: storage writes in batches (SPEC REPLICA-2, OUTBOX-1)", () => {
  it("the outbox changes of one task go in one transaction, and a new write's send waits for it", async () => {
    const { storage, p } = setup();
    for (const id of ["m1", "m2", "m3"]) p.addMutation(mut(id));
    p.deleteMutation("m2");
    expect(storage.batches).toHaveLength(0);
    await p.whenSaved("m1");
    expect(storage.batches).toHaveLength(1);
    expect(storage.batches[0]).toMatchObject({ putMutations: [mut("m1"), mut("m3")], deleteMutations: ["m2"] });
    expect((await storage.loadAll()).outbox.map((m) => m.mutationId)).toEqual(["m1", "m3"]);
  });

  it("a board change stores its cursor and only the cards that changed", async () => {
    const { storage, replicas, p } = setup();
    const stored = { board, seq: 1, confirmed: { c1: card("c1"), c2: card("c2") } };
    replicas.set(new BoardReplica(stored));
    p.restoredBoard(stored);
    const change: Change = { boardId: "b1", seq: 2, type: "card.upsert", card: card("c2", "changed"), mutationId: "m", by: "u2", at: "" };
    replicas.get("b1")!.offer(change);
    p.markDirty("b1");
    await p.flush();
    expect(storage.batches).toHaveLength(1);
    expect(storage.batches[0]).toMatchObject({ boards: [{ seq: 2 }], putCards: [{ boardId: "b1", card: card("c2", "changed") }], deleteCards: [] });
  });
});
