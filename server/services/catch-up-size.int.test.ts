import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idle, TestClients, waitFor } from "../../lib/client/test-clients";
import type { Board, Card, Change } from "../../lib/protocol";
import { mid, ok, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * SPEC FEED-6: a catch-up answers whichever is smaller, the changes since the cursor or a
 * snapshot (`reset: true`), paged like every answer (FEED-5); the client applies the reset
 * and keeps its pending writes (OUTBOX-2, OUTBOX-3).
 */

let cluster: TestCluster;
let writers: TestSocket[];
const clients = new TestClients(() => cluster);
let board: Board;
let cards: Card[];
/** The seq after the 100 creates, before the updates. */
let created: number;

type JoinPage = { seq: number; cards?: Card[]; changes?: Change[]; reset?: true; more?: true; cursor?: string };

/** Every page of one `board:join` answer, and the JSON bytes they came to. */
async function joinAll(s: TestSocket, first: Record<string, unknown>): Promise<{ pages: JoinPage[]; bytes: number }> {
  const pages: JoinPage[] = [];
  let bytes = 0;
  let payload = first;
  for (;;) {
    const r = await ok<JoinPage>(s, "board:join", payload);
    pages.push(r);
    bytes += Buffer.byteLength(JSON.stringify(r));
    if (!r.more) return { pages, bytes };
    payload = { boardId: first.boardId, cursor: r.cursor };
  }
}

const c0 = () => cards[0]!;

beforeAll(async () => {
  cluster = await startCluster();
  writers = await Promise.all(["w1", "w2", "w3", "w4"].map(async (n) => cluster.connect((await cluster.signIn(n)).token)));
  const w = writers[0]!;
  ({ board } = await ok<{ board: Board }>(w, "board:create", { name: "crowded-log", policy: "occ", shard: "a" }));
  cards = [];
  for (let i = 0; i < 100; i++) {
    const r = await ok<{ card: Card; seq: number }>(w, "card:create", {
      mutationId: mid(), boardId: board.id, fields: { title: `card ${i}`, body: "b".repeat(200), position: `p${String(i).padStart(3, "0")}` },
    });
    cards.push(r.card);
    created = r.seq;
  }
}, 60_000);
afterAll(async () => {
  clients.closeAll();
  await cluster?.close();
});

/** 99 estimate updates on each of the cards (9 900 changes), chains in parallel over four sockets; card 0's title is left alone. */
async function churn(): Promise<void> {
  await Promise.all(cards.map(async (card, i) => {
    const s = writers[i % writers.length]!;
    let version = card.version;
    for (let k = 1; k < 100; k++) {
      const r = await ok<{ card: Card }>(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: version, patch: { estimate: k } });
      version = r.card.version;
    }
  }));
}

describe("FEED-6 catch-up picks the smaller answer", () => {
  it("FEED-6 OUTBOX-3 a 100-card board with 10 000 changes: since 0 answers a bounded snapshot, a recent cursor the changes, and a client offline through it keeps its pending write", async () => {
    // A client joins before the churn and goes offline with a write pending.
    const c = await clients.signIn("Returner");
    await c.joinBoard(board.id);
    expect(c.getSnapshot().boards[board.id]!.seq).toBe(created);
    c.setOffline(true);
    await waitFor(() => c.getSnapshot().connection === "offline", "offline");
    c.updateCard(c0().id, { title: "typed while away" });

    await churn();
    const w = writers[0]!;
    const head = created + 9_900;
    expect(head).toBe(10_000);

    // The plain snapshot, for scale.
    const plain = await joinAll(w, { boardId: board.id });
    expect(plain.pages[0]!.cards).toBeDefined();

    // since 0: 10 000 changes outweigh 100 cards, so the answer is the snapshot, reset.
    const old = await joinAll(w, { boardId: board.id, since: 0 });
    expect(old.pages[0]!.reset).toBe(true);
    expect(old.pages.every((p) => p.changes === undefined || p.changes.length === 0)).toBe(true);
    const got = new Map(old.pages.flatMap((p) => p.cards ?? []).map((x) => [x.id, x]));
    expect(got.size).toBe(100);
    expect([...got.values()].every((x) => x.estimate === 99)).toBe(true);
    expect(old.pages[old.pages.length - 1]!.seq).toBe(head);
    // Bounded: about the snapshot's size (here ~50 KB), not the changes' (~5 MB).
    expect(old.bytes).toBeLessThan(plain.bytes * 1.1 + 1_024);
    expect(old.bytes).toBeLessThan(100_000);

    // A recent cursor still gets exactly its changes.
    const recent = await joinAll(w, { boardId: board.id, since: head - 50 });
    expect(recent.pages[0]!.reset).toBeUndefined();
    expect(recent.pages.flatMap((p) => p.changes ?? []).map((x) => x.seq)).toEqual(Array.from({ length: 50 }, (_, i) => head - 49 + i));

    // The client comes back: its catch-up is a reset, and its pending write survives it and is applied once.
    c.setOffline(false);
    await waitFor(() => idle(c.getSnapshot()) && c.getSnapshot().boards[board.id]!.seq === head + 1, "caught up and replayed", 30_000);
    const replies = c.getSnapshot().events.filter((e) => e.direction === "in" && e.event === "board:join").map((e) => e.summary);
    expect(replies[replies.length - 1]).toMatch(/^→ reset: 100 cards at seq 10000/);
    const mine = c.getSnapshot().boards[board.id]!.confirmed[c0().id]!;
    expect(mine.title).toBe("typed while away");
    expect(mine.estimate).toBe(99);
    const history = await ok<{ entries: Change[] }>(w, "card:history", { cardId: c0().id });
    expect(history.entries.filter((e) => e.card?.title === "typed while away" && e.type === "card.upsert").length).toBeGreaterThanOrEqual(1);
    const after = await ok<{ changes: Change[] }>(w, "board:join", { boardId: board.id, since: head });
    expect(after.changes.map((x) => x.card?.title)).toEqual(["typed while away"]);
  }, 180_000);
});
