import { afterAll, beforeAll, expect, it } from "vitest";
import type { Change } from "../../lib/protocol";
import { boardWithCards, injectCardFaults, mid, ok, request, sleep, startCluster, type TestCluster } from "../test/harness";

// SPEC PERF-8: a one-trip batch (PERF-7) lets the lane's next batch start as soon as it is sent;
// the next is decided on what the first will leave and sent at once, behind it on the board's
// connection. These attack what that could get wrong: a batch ahead failing in the shard after the
// next was decided on it, and a batch that must read going before the batches sent ahead of it. A
// 'slow' title holds a batch 400 ms inside its transaction, a 'boom' title fails it.

// The chain may hold three batches here (two by default), so three writes can be in flight at once.
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ node: { chainDepth: 3 } });
  await injectCardFaults(cluster.dbs.shards.get("a")!.sql);
});
afterAll(async () => {
  await cluster?.close();
});

const shard = () => cluster.dbs.shards.get("a")!.sql;
const logOf = async (boardId: string) => (await shard()<{ seq: string; mutation_id: string }[]>`SELECT seq, mutation_id FROM changes WHERE board_id = ${boardId} ORDER BY seq`).map((r) => ({ seq: Number(r.seq), mutationId: r.mutation_id }));
const records = () => cluster.nodes[0]!.services.records;

async function trips(): Promise<Record<"1" | "2" | "again", number>> {
  const text = await (await fetch(`${cluster.urls[0]}/metrics`)).text();
  const count = (t: string) => Number(new RegExp(`^concord_batch_trips_total\\{trips="${t}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { "1": count("1"), "2": count("2"), again: count("again") };
}

/** A board of `n` cards written through socket `s`, and the seqs of the changes a second tab of the user sees on it. */
async function watched(user: string, n: number) {
  const { token } = await cluster.signIn(user);
  const s = await cluster.connect(token);
  const watcher = await cluster.connect(token);
  const { board, cards } = await boardWithCards(s, user, n);
  const seen: number[] = [];
  watcher.on("change", (c: Change) => c.boardId === board.id && seen.push(c.seq));
  await ok(watcher, "board:join", { boardId: board.id });
  return { s, board, cards, seen };
}

it("PERF-8 writes behind a one-trip batch still in the shard leave the node at once, each in one trip, and commit right behind it in order", async () => {
  const { s, board, cards, seen } = await watched("chain", 3);
  const before = await trips();
  const update = (i: number, patch: Record<string, unknown>) =>
    request<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId: cards[i]!.id, baseVersion: 1, patch });
  const w0 = update(0, { title: "slow" }); // in the shard 400 ms
  await sleep(100);
  const w1 = update(1, { estimate: 1 });
  await sleep(100);
  const w2 = update(2, { estimate: 2 });
  await sleep(100);
  // Both left the lane while the first still sleeps in the shard: nothing waits on this node.
  expect(records().queued()).toBe(0);
  const rs = await Promise.all([w0, w1, w2]);
  expect(rs.map((r) => r.ok && r.seq)).toEqual([4, 5, 6]);
  const after = await trips();
  expect(after["1"] - before["1"]).toBe(3);
  expect(after["2"] + after.again).toBe(before["2"] + before.again);
  expect((await logOf(board.id)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  await sleep(50);
  expect(seen).toEqual([4, 5, 6]);
});

it("PERF-8 attack: a batch decided on what a failing batch ahead would write is not applied on it; it goes again on fresh reads, after that one, once, seqs gap-free and broadcast in order", async () => {
  const { s, board, cards, seen } = await watched("chain-fail", 3);
  const before = await trips();
  const send = (i: number, patch: Record<string, unknown>) => {
    const mutationId = mid();
    return { mutationId, r: request<{ seq: number; card: { version: number } }>(s, "card:update", { mutationId, cardId: cards[i]!.id, baseVersion: 1, patch }) };
  };
  const w0 = send(0, { title: "slow" });
  await sleep(100);
  const w1 = send(1, { title: "boom" }); // sent behind w0; fails in the shard once w0 has committed
  await sleep(100);
  const w2 = send(2, { estimate: 2 }); // decided on what w1 would leave, sent behind it
  await sleep(100);
  expect(records().queued()).toBe(0);
  const [r0, r1, r2] = await Promise.all([w0.r, w1.r, w2.r]);
  expect(r0!.ok && r0!.seq).toBe(4);
  expect(!r1!.ok && r1!.error.code).toBe("INTERNAL");
  // w2 counted on a head w1 never left: the shard refused it, and it went again on fresh reads.
  expect(r2!.ok && [r2!.seq, r2!.card.version]).toEqual([5, 2]);
  expect((await trips()).again - before.again).toBeGreaterThanOrEqual(1);
  expect(await logOf(board.id)).toEqual([
    ...[1, 2, 3].map((seq) => ({ seq, mutationId: expect.any(String) as string })),
    { seq: 4, mutationId: w0.mutationId },
    { seq: 5, mutationId: w2.mutationId },
  ]);
  const [b1] = await shard()<{ title: string; version: number }[]>`SELECT title, version FROM cards WHERE id = ${cards[1]!.id}`;
  expect(b1).toEqual({ title: "t1", version: 1 });
  await sleep(50);
  expect(seen).toEqual([4, 5]);
});

it("PERF-8 attack: a write that must read (a card the node never saw) goes after the one-trip batches sent before it, never ahead of them", async () => {
  const { s, board, cards, seen } = await watched("chain-read", 2);
  // A card this node's batches never read or wrote: made directly on the shard, as a move in would.
  const strange = `c_strange_${mid()}`;
  await shard()`INSERT INTO cards (id, board_id, title, body, status, position, tags, version, field_versions, updated_at, updated_by)
                VALUES (${strange}, ${board.id}, 'strange', '', 'todo', 'z', '[]', 1, '{}', now(), 'u')`;
  cluster.nodes[0]!.services.directory.remember(strange, board.id);
  const before = await trips();
  const update = (cardId: string, patch: Record<string, unknown>) => request<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId, baseVersion: 1, patch });
  const w0 = update(cards[0]!.id, { title: "slow" }); // holds the head in the shard 400 ms
  await sleep(100);
  const w1 = update(cards[1]!.id, { estimate: 1 }); // one trip, queued behind w0 on the board's connection
  await sleep(100);
  const w2 = update(strange, { estimate: 2 }); // must read: its head lock must not overtake w1's
  const rs = await Promise.all([w0, w1, w2]);
  expect(rs.map((r) => r.ok && r.seq)).toEqual([3, 4, 5]);
  const after = await trips();
  expect(after["1"] - before["1"]).toBe(2);
  expect(after["2"] - before["2"]).toBe(1);
  expect((await logOf(board.id)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  await sleep(50);
  expect(seen).toEqual([3, 4, 5]);
});

it("PERF-8 a write decided on what a reading batch ahead will leave waits for it in the shard and is applied right behind it, in one trip, not refused", async () => {
  const { token } = await cluster.signIn("chain-after-read");
  const s = await cluster.connect(token);
  const { board, cards } = await boardWithCards(s, "chain after read", 1);
  const strange = `c_strange_${mid()}`;
  await shard()`INSERT INTO cards (id, board_id, title, body, status, position, tags, version, field_versions, updated_at, updated_by)
                VALUES (${strange}, ${board.id}, 'strange', '', 'todo', 'z', '[]', 1, '{}', now(), 'u')`;
  cluster.nodes[0]!.services.directory.remember(strange, board.id);
  const before = await trips();
  // Reads first (a card never seen), then holds the head 400 ms while writing.
  const w0 = request<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId: strange, baseVersion: 1, patch: { title: "slow" } });
  await sleep(100);
  const w1 = request<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId: cards[0]!.id, baseVersion: 1, patch: { estimate: 1 } });
  const rs = await Promise.all([w0, w1]);
  expect(rs.map((r) => r.ok && r.seq)).toEqual([2, 3]);
  const after = await trips();
  expect([after["2"] - before["2"], after["1"] - before["1"], after.again - before.again]).toEqual([1, 1, 0]);
  expect((await logOf(board.id)).map((r) => r.seq)).toEqual([1, 2, 3]);
});

it("PERF-8 with the chain full, writes gather in the lane and go together as one batch (group commit); a batch of more than two lets the next writes gather until it ends", async () => {
  const { token } = await cluster.signIn("chain-full");
  const s = await cluster.connect(token);
  const { board, cards } = await boardWithCards(s, "chain full", 7);
  const update = (i: number, patch: Record<string, unknown>) =>
    request<{ seq: number; batch?: number }>(s, "card:update", { mutationId: mid(), cardId: cards[i]!.id, baseVersion: 1, patch });
  const w0 = update(0, { title: "slow" });
  await sleep(100);
  const c1 = update(1, { estimate: 1 });
  await sleep(50);
  const c2 = update(2, { estimate: 2 });
  await sleep(50);
  const gathered = [update(3, { title: "slow" }), update(4, { estimate: 4 }), update(5, { estimate: 5 })];
  await sleep(100);
  expect(records().queued()).toBe(3); // three batches in flight: these three wait together
  await sleep(250); // w0 has committed: the three went as one batch, 400 ms in the shard
  const w6 = update(6, { estimate: 6 });
  await sleep(150);
  expect(records().queued()).toBe(1); // behind a batch of three, a write waits for it to end
  const rs = await Promise.all([w0, c1, c2, ...gathered, w6]);
  expect(rs.map((r) => r.ok && r.seq)).toEqual([8, 9, 10, 11, 12, 13, 14]);
  expect(rs.map((r) => r.ok && r.batch)).toEqual([1, 1, 1, 3, 3, 3, 1]);
  expect((await logOf(board.id)).map((r) => r.seq)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
});

it("PERF-8 attack: the board's connection lost under a chain answers every batch on it at once (UNAVAILABLE), not after the read bound, and the board serves again", async () => {
  const { s, board, cards } = await watched("chain-lost", 3);
  const update = (i: number, patch: Record<string, unknown>) =>
    request<{ seq: number }>(s, "card:update", { mutationId: mid(), cardId: cards[i]!.id, baseVersion: 1, patch });
  const w0 = update(0, { title: "slow" });
  await sleep(100);
  const w1 = update(1, { estimate: 1 }); // queued behind w0 on the same connection
  await sleep(100);
  const started = Date.now();
  // The backend running w0, asleep in its 'slow' fault (its statement's text is cut off in
  // pg_stat_activity, so it is found by what it waits on), killed: there must be one.
  const killed = await shard()`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()`;
  expect(killed).toHaveLength(1);
  const [r0, r1] = await Promise.all([w0, w1]);
  expect([r0.ok || r0.error.code, r1.ok || r1.error.code]).toEqual(["UNAVAILABLE", "UNAVAILABLE"]);
  expect(Date.now() - started).toBeLessThan(5_000); // the read bound is 15 s
  // The lost connection may be handed out once more (the pool reconnects it): a client retries.
  const m = { mutationId: mid(), cardId: cards[1]!.id, baseVersion: 1, patch: { estimate: 2 } };
  await expect.poll(async () => (await request(s, "card:update", m)).ok, { timeout: 5_000, interval: 100 }).toBe(true);
  expect((await logOf(board.id)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
});
