import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comparePlaced, isOrderKey } from "../../lib/client/positions";
import type { Board, Card, Change } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

/**
 * SPEC POS-3: the shard migrations that make every stored position a fractional index, run on
 * a shard holding cards from before POS-1 (time-based keys, and keys outside the alphabet that
 * the old schema let through).
 */

const folder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../drizzle/shard");
const migration = (name: string) => readFileSync(path.join(folder, name), "utf8");

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe("POS-3 migrating existing positions", () => {
  it("gives every card a fractional index in its column's order, re-keys mvr registers, and sends cached tabs a fresh snapshot", async () => {
    const s = await cluster.connect((await cluster.signIn("legacy")).token, { replicaId: "tab-l1" });
    const t = await cluster.connect((await cluster.signIn("legacy2")).token, { replicaId: "tab-l2" });
    const shard = cluster.dbs.shards.get("a")!.sql;
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "legacy occ", policy: "occ", shard: "a" });
    const { board: mvr } = await ok<{ board: Board }>(s, "board:create", { name: "legacy mvr", policy: "mvr", shard: "a" });
    // Time-based keys as the UI made them before POS-1, out of order of creation.
    const legacy = ["tmh1k2", "tmh1a0", "tmh1z9", "tmh1a0"];
    for (const [i, position] of legacy.entries()) {
      await ok(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `card ${i}`, position, status: i === 3 ? "done" : "todo" } });
    }
    const { card: odd } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "odd", position: "a0" } });
    const { card: m } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: mvr.id, fields: { title: "m", position: "tmh2" } });
    await ok(t, "board:join", { boardId: mvr.id });
    // Two concurrent positions on the mvr card (MVR-1): both kept as siblings.
    await ok(s, "card:update", { mutationId: mid(), cardId: m.id, baseVersion: 1, patch: { position: "tmh3" }, context: m.clock });
    await ok(t, "card:update", { mutationId: mid(), cardId: m.id, baseVersion: 1, patch: { position: "tmh4" }, context: m.clock });
    // A key outside the alphabet, as the schema before POS-1 let through.
    await shard`ALTER TABLE cards DROP CONSTRAINT cards_position_check`;
    await shard`UPDATE cards SET position = ${"\u0001zz"} WHERE id = ${odd.id}`;

    const before = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: board.id });
    const columnOf = (cards: Card[], status: string) => cards.filter((c) => c.status === status).sort(comparePlaced).map((c) => c.id);
    const mvrBefore = await ok<{ seq: number }>(s, "board:join", { boardId: mvr.id });

    await shard.unsafe(migration("0003_positions_fractional.sql"));
    await shard.unsafe(migration("0004_cards_position_check.sql"));

    const after = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: board.id });
    for (const c of after.cards) expect(isOrderKey(c.position), c.position).toBe(true);
    expect(columnOf(after.cards, "todo")).toEqual(columnOf(before.cards, "todo"));
    expect(columnOf(after.cards, "done")).toEqual(columnOf(before.cards, "done"));
    expect(after.cards.filter((c) => c.status === "todo").sort(comparePlaced).map((c) => c.position)).toEqual(["a0", "a1", "a2", "a3"]);

    // The head moved past every cached seq: a tab that had seen `before.seq` gets a full snapshot.
    expect(after.seq).toBe(before.seq + 1);
    const cached = await ok<{ reset?: boolean; cards?: Card[]; changes?: Change[] }>(s, "board:join", { boardId: board.id, since: before.seq });
    expect(cached.reset).toBe(true);
    expect(cached.cards?.map((c) => c.position).sort()).toEqual(after.cards.map((c) => c.position).sort());
    const current = await ok<{ changes: Change[] }>(s, "board:join", { boardId: board.id, since: after.seq });
    expect(current.changes).toEqual([]);

    // mvr: the column and every value of the position register hold the new key.
    const mvrAfter = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: mvr.id });
    expect(mvrAfter.seq).toBe(mvrBefore.seq + 1);
    const mm = mvrAfter.cards[0]!;
    expect(mm.position).toBe("a0");
    expect(mm.siblings?.position?.map((v) => v.value)).toEqual(["a0", "a0"]);

    // Writes go on from the new head, gap-free; the database now refuses a key outside the alphabet.
    const next = await ok<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId: odd.id, baseVersion: odd.version, patch: { title: "still writable" } });
    expect(next.seq).toBe(after.seq + 1);
    await expect(shard`UPDATE cards SET position = 'a-1' WHERE id = ${odd.id}`).rejects.toThrow(/cards_position_check/);
    const refused = await request(s, "card:update", { mutationId: mid(), cardId: odd.id, baseVersion: odd.version + 1, patch: { position: "a-1" } });
    expect(!refused.ok && refused.error.code).toBe("BAD_REQUEST");
  });
});
