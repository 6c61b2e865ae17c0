import { afterAll, beforeAll, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { mid, ok, request, sleep, startCluster, type TestCluster, type TestSocket } from "../test/harness";

// SPEC PERF-12: a write reads the cards it writes by their key, however many cards the board
// holds. The attack: a board of 3 000 cards, on a shard the planner has no statistics for yet, is
// written one card at a time and ten cards at a time; the shard's own counters (rows its scans
// read from `cards`) must grow by about one row per card written, not by the board.

const CARDS = 3000;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 1 });
  // The attack's condition, kept for the whole test: no statistics on `cards` (autovacuum would
  // analyze it once the board is filled, at a moment of its own choosing).
  await cluster.dbs.shards.get("a")!.sql`ALTER TABLE cards SET (autovacuum_enabled = false)`;
});
afterAll(async () => {
  await cluster?.close();
});

const shard = () => cluster.dbs.shards.get("a")!.sql;

/** Rows read from `cards` by sequential and index scans, and rows updated, as the shard counts them. */
async function cardReads(): Promise<{ read: number; updated: number }> {
  const [r] = await shard()<{ read: string; updated: string }[]>`
    SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS read, n_tup_upd AS updated
    FROM pg_stat_user_tables WHERE relname = 'cards'`;
  return { read: Number(r!.read), updated: Number(r!.updated) };
}

/**
 * The counters once the shard's backends have reported `updates` more rows updated. A backend
 * reports what it counted when it goes idle, at most once a second, and else 10 s after.
 */
async function cardReadsAfter(before: { updated: number }, updates: number): Promise<{ read: number; updated: number }> {
  const until = Date.now() + 20_000;
  for (;;) {
    const now = await cardReads();
    if (now.updated - before.updated >= updates || Date.now() > until) return now;
    await sleep(250);
  }
}

/** A request answered ok, sent again while the socket's own rate limit (INPUT-2) refuses it. */
async function unlimited<T>(s: TestSocket, event: string, payload: Record<string, unknown>): Promise<T> {
  for (;;) {
    const r = await request<T>(s, event, payload);
    if (r.ok) return r;
    if (r.error.code !== "RATE_LIMITED") throw new Error(`${event} failed: ${r.error.code}`);
    await sleep(50);
  }
}

async function bigBoard(s: TestSocket): Promise<{ board: Board; cards: Card[] }> {
  const { board } = await ok<{ board: Board }>(s, "board:create", { name: "big board", policy: "occ", shard: "a" });
  const cards: Card[] = [];
  const create = async (title: string) => (await unlimited<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title } })).card;
  for (let i = 0; i < CARDS; i += 50) cards.push(...(await Promise.all(Array.from({ length: Math.min(50, CARDS - i) }, (_, j) => create(`t${i + j}`)))));
  return { board, cards };
}

it("PERF-12 attack: on a board of 3 000 cards, a write reads the cards it writes, not the board", async () => {
  const { token } = await cluster.signIn("key-lookup");
  const s = await cluster.connect(token);
  const { cards } = await bigBoard(s);
  const update = (c: Card, estimate: number) =>
    unlimited<{ card: Card }>(s, "card:update", { mutationId: mid(), cardId: c.id, baseVersion: c.version, patch: { estimate } });
  const stats = (await shard()<{ n: string }[]>`SELECT count(*) AS n FROM pg_stats WHERE tablename = 'cards'`)[0]!;
  expect(Number(stats.n)).toBe(0); // nothing analyzed

  // Warm: the node learns the board (it reads it once, on purpose) and the statements get prepared.
  const base = await cardReads();
  let written = cards.slice(0, 20);
  written = await Promise.all(written.map(async (c) => (await update(c, 1)).card));
  await cardReadsAfter(base, 20);
  await sleep(11_000); // every backend idle since has reported what it read before
  const before = await cardReads();

  // One card at a time: each goes alone (PERF-11's one statement).
  for (let i = 0; i < 20; i++) written[i] = (await update(written[i]!, 10 + i)).card;
  // Ten at a time: batches of several cards (PERF-9's one UPDATE of many).
  for (let round = 0; round < 3; round++) {
    const ten = written.slice(round * 5, round * 5 + 10);
    const done = await Promise.all(ten.map((c) => update(c, 100 + round)));
    done.forEach((d, k) => (written[round * 5 + k] = d.card));
  }
  const updates = 20 + 30;
  const after = await cardReadsAfter(before, updates);
  expect(after.updated - before.updated).toBeGreaterThanOrEqual(updates);
  // Walking the board's index or scanning the table reads 3 000 rows at once; by key, one a card.
  expect(after.read - before.read).toBeLessThan(updates * 4);
});
