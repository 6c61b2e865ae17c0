import { afterAll, beforeAll, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

// SPEC PERF-1: a batch goes to the shard as two pipelined round trips; a statement that fails in
// the second (an injected fault: a trigger refusing one title) aborts the transaction, so the
// COMMIT sent behind it rolls back. Nothing of the batch may stay, and each write is retried
// alone: its neighbours apply once, in one unbroken seq order, and only the bad write fails.
it("PERF-1 a statement failing inside a pipelined batch keeps nothing of it; the batch's other writes apply once, alone", async () => {
  const { token } = await cluster.signIn("owner");
  const s = await cluster.connect(token);
  const { board } = await ok<{ board: Board }>(s, "board:create", { name: "group commit", policy: "occ", shard: "a" });
  const cards: Card[] = [];
  for (let i = 0; i < 10; i++) cards.push((await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `t${i}` } })).card);

  const shard = cluster.dbs.shards.get("a")!.sql;
  {
    await shard.unsafe(`
      CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
      BEGIN IF NEW.title = 'boom' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER refuse_boom BEFORE UPDATE ON cards FOR EACH ROW EXECUTE FUNCTION refuse_boom();`);
    // Hold the board's head so the first write waits for it and the other nine queue behind it
    // on the board's lane: they go as one batch once it is released.
    const held = shard.begin(async (tx) => {
      await tx`SELECT 1 FROM board_heads WHERE board_id = ${board.id} FOR UPDATE`;
      await new Promise((r) => setTimeout(r, 500));
    });
    await new Promise((r) => setTimeout(r, 100));
    const ids = cards.map(() => mid());
    const acks = await Promise.all([
      request<{ card: Card; seq: number }>(s, "card:update", { mutationId: ids[0], cardId: cards[0]!.id, baseVersion: 1, patch: { estimate: 1 } }),
      (async () => {
        await new Promise((r) => setTimeout(r, 50));
        return Promise.all(
          cards.slice(1).map((c, i) =>
            request<{ card: Card; seq: number }>(s, "card:update", { mutationId: ids[i + 1], cardId: c.id, baseVersion: 1, patch: i === 4 ? { title: "boom" } : { estimate: 1 } }),
          ),
        );
      })(),
    ]).then(([first, rest]) => [first, ...rest]);
    await held;

    const bad = acks[5]!;
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe("INTERNAL");
    const good = acks.filter((_, i) => i !== 5);
    expect(good.every((a) => a.ok)).toBe(true);
    // Ten creates, then the nine good updates: seqs 11..19, each once, no gap.
    expect(good.map((a) => (a.ok ? a.seq : 0)).sort((x, y) => x - y)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19]);

    const [head] = await shard<{ seq: string }[]>`SELECT seq FROM board_heads WHERE board_id = ${board.id}`;
    expect(Number(head!.seq)).toBe(19);
    const log = await shard<{ seq: string }[]>`SELECT seq FROM changes WHERE board_id = ${board.id} ORDER BY seq`;
    expect(log.map((r) => Number(r.seq))).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    const [boom] = await shard<{ title: string; version: number }[]>`SELECT title, version FROM cards WHERE id = ${cards[5]!.id}`;
    expect(boom).toEqual({ title: "t5", version: 1 });
    const remembered = await shard`SELECT 1 FROM applied_mutations WHERE mutation_id = ${ids[5]!}`;
    expect(remembered.length).toBe(0);
    const versions = await shard<{ version: number }[]>`SELECT version FROM cards WHERE board_id = ${board.id} AND id <> ${cards[5]!.id}`;
    expect(versions.every((r) => r.version === 2)).toBe(true);
  }
});
