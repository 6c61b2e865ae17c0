import { afterAll, beforeAll, expect, it } from "vitest";
import type { Card, Change } from "../../lib/protocol";
import { boardWithCards, injectCardFaults, mid, ok, request, sleep, startCluster, type TestCluster } from "../test/harness";

// SPEC PERF-6: a board's next batch starts once the batch before it holds the board's head, and
// waits for it in the shard. These attack what that could break: a batch reading before the one
// ahead of it committed (a lost update), and a batch that fails as a whole while the next one is
// already waiting (its writes retried alone would take seqs after the next batch's, yet be
// broadcast before them). Faults are injected by a trigger: 'slow' titles hold a batch's
// writes 400 ms after it holds the head, 'boom' titles fail the statement.

let cluster: TestCluster;
beforeAll(async () => {
  // Two-trip batches only: these attack how they overlap (PERF-6); one-trip batches never do (PERF-7).
  cluster = await startCluster({ node: { oneTripBatches: false } });
});
afterAll(async () => {
  await cluster?.close();
});

beforeAll(async () => {
  await injectCardFaults(cluster.dbs.shards.get("a")!.sql);
});

it("PERF-6 a batch started behind another reads what that one committed: a second write on the same base is a CONFLICT, not a lost update", async () => {
  const { token } = await cluster.signIn("overlap-occ");
  const s = await cluster.connect(token);
  const { cards } = await boardWithCards(s, "overlap occ", 1);
  const card = cards[0]!;
  const first = request<{ card: Card }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "slow" } });
  await sleep(100); // the first batch holds the head and is inside its 400 ms write
  const second = await request<{ card: Card }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "second" } });
  const a = await first;
  expect(a.ok).toBe(true);
  expect(second.ok).toBe(false);
  expect(!second.ok && second.error.code).toBe("CONFLICT");
  const [row] = await cluster.dbs.shards.get("a")!.sql<{ title: string; version: number }[]>`SELECT title, version FROM cards WHERE id = ${card.id}`;
  expect(row).toEqual({ title: "slow", version: 2 });
});

// DESIGN invariant 1 under PERF-6: a client (or an outbox after a lost ack) sends the same
// mutationId again while its first batch holds the head. The second batch starts at once and
// waits behind the first in the shard; its read of earlier results must come after the first's
// COMMIT, so it answers the first result and applies nothing.
it("PERF-6 the same mutationId sent again while its first batch is writing is applied once and answered the first result", async () => {
  const { token } = await cluster.signIn("overlap-replay");
  const s = await cluster.connect(token);
  const { board, cards } = await boardWithCards(s, "overlap replay", 1);
  const card = cards[0]!;
  const m = { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "slow" } };
  const first = request<{ card: Card; seq: number }>(s, "card:update", m);
  await sleep(100); // the first batch holds the head and is inside its 400 ms write
  const again = await request<{ card: Card; seq: number }>(s, "card:update", m);
  const a = await first;
  expect(a.ok && again.ok).toBe(true);
  expect(again.ok && again.seq).toBe(a.ok && a.seq);
  expect(again.ok && again.card.version).toBe(2);
  const shard = cluster.dbs.shards.get("a")!.sql;
  const log = await shard<{ seq: string }[]>`SELECT seq FROM changes WHERE board_id = ${board.id} AND mutation_id = ${m.mutationId}`;
  expect(log).toHaveLength(1);
  const [row] = await shard<{ version: number }[]>`SELECT version FROM cards WHERE id = ${card.id}`;
  expect(row!.version).toBe(2);
});

it("PERF-6 a batch failing as a whole while the next one waits behind it: its writes go again alone after that one, and every socket gets each change once, in seq order", async () => {
  const { token } = await cluster.signIn("overlap-fail");
  const s = await cluster.connect(token);
  const { board, cards } = await boardWithCards(s, "overlap fail", 9);
  const watcher = await cluster.connect(token);
  await ok(watcher, "board:join", { boardId: board.id });
  const seen: number[] = [];
  (watcher as unknown as { on: (e: string, fn: (c: Change) => void) => void }).on("change", (c) => seen.push(c.seq));

  const shard = cluster.dbs.shards.get("a")!.sql;
  const update = (i: number, patch: Record<string, unknown>) =>
    request<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId: cards[i]!.id, baseVersion: 1, patch });
  // The head held from outside, so the writes below queue on the lane as planned.
  const held = shard.begin(async (tx) => {
    await tx`SELECT 1 FROM board_heads WHERE board_id = ${board.id} FOR UPDATE`;
    await sleep(400);
  });
  await sleep(50);
  const w0 = update(0, { title: "slow" }); // batch 1: waits for the head, then writes for 400 ms
  await sleep(100);
  const batch2 = [update(1, { estimate: 1 }), update(2, { title: "boom" }), update(3, { estimate: 3 }), update(4, { estimate: 4 })];
  await held; // batch 1 holds the head; batch 2 starts and waits behind it in the shard
  await sleep(150);
  const batch3 = [5, 6, 7, 8].map((i) => update(i, { estimate: i })); // starts once batch 2 holds the head
  const [r0, ...rest] = await Promise.all([w0, ...batch2, ...batch3]);
  const r2 = rest.slice(0, 4);
  const r3 = rest.slice(4);

  expect(r0!.ok && r0!.seq).toBe(10);
  // Batch 2 failed as a whole; batch 3 committed next (seqs 11..14), then batch 2's writes alone.
  expect(r3.map((r) => r.ok && r.seq)).toEqual([11, 12, 13, 14]);
  expect(r2.map((r) => (r.ok ? r.seq : r.error.code))).toEqual([15, "INTERNAL", 16, 17]);
  const log = await shard<{ seq: string }[]>`SELECT seq FROM changes WHERE board_id = ${board.id} ORDER BY seq`;
  expect(log.map((r) => Number(r.seq))).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
  await sleep(100);
  expect(seen).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
});
