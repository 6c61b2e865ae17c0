import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mid, ok, startCluster, type TestCluster, type TestSocket } from "../../server/test/harness";
import type { Board, Card } from "../protocol";
import type { SyncClient } from "./sync-client";
import { idle, TestClients, waitFor } from "./test-clients";

/**
 * The sync client against real nodes when answers are paged (SPEC FEED-5): it follows every page
 * before it counts a board as caught up and before it replays its outbox (OUTBOX-3); and an mvr
 * write that displaced values under the bound is told to the person (MVR-5).
 */



let cluster: TestCluster;
let owner: TestSocket;
const clients = new TestClients(() => cluster);

beforeAll(async () => {
  cluster = await startCluster();
  owner = await cluster.connect((await cluster.signIn("Owner")).token);
});
afterAll(async () => {
  clients.closeAll();
  await cluster?.close();
});

const client = (name: string) => clients.signIn(name);

/** `count` cards of ~`chars` characters each, made over the owner's socket. */
async function fill(boardId: string, count: number, chars: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 50) {
    const made = await Promise.all(
      Array.from({ length: Math.min(50, count - start) }, (_, k) =>
        ok<{ card: Card }>(owner, "card:create", {
          mutationId: mid(), boardId, fields: { title: `${tag} ${start + k}`, body: `${tag}${start + k}`.padEnd(chars, "·"), position: `p${String(start + k).padStart(4, "0")}` },
        }),
      ),
    );
    ids.push(...made.map((m) => m.card.id));
  }
  return ids;
}

/**
 * The server's truth, read over a plain socket, following pages: since 0 answers the changes or,
 * when the snapshot is smaller (FEED-6), the snapshot with `reset: true`; a paged snapshot may end
 * with the changes after it (FEED-5).
 */
async function truth(boardId: string): Promise<Map<string, number>> {
  const cards = new Map<string, number>();
  let payload: Record<string, unknown> = { boardId, since: 0 };
  for (;;) {
    const r = await ok<{ cards?: Card[]; changes?: { type: string; card?: Card; cardId?: string }[]; more?: true; cursor?: string }>(owner, "board:join", payload);
    for (const card of r.cards ?? []) cards.set(card.id, card.version);
    for (const c of r.changes ?? []) {
      if (c.type === "card.upsert") cards.set(c.card!.id, c.card!.version);
      else cards.delete(c.cardId!);
    }
    if (!r.more) return cards;
    payload = { boardId, cursor: r.cursor };
  }
}

const versions = (c: SyncClient, boardId: string) =>
  new Map(Object.values(c.getSnapshot().boards[boardId]?.confirmed ?? {}).map((card) => [card.id, card.version]));

describe("FEED-5 the client follows paged answers", () => {
  it("FEED-5 joining a large board resolves only once every page is in: the client holds every card", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "large-join", policy: "occ", shard: "a" });
    const ids = await fill(board.id, 160, 6_000, "j");
    const c = await client("Joiner");
    await c.joinBoard(board.id);
    const state = c.getSnapshot().boards[board.id]!;
    expect(Object.keys(state.confirmed).sort()).toEqual([...ids].sort());
    expect(state.seq).toBe(160);
    const joins = c.getSnapshot().events.filter((e) => e.direction === "out" && e.event === "board:join");
    expect(joins.length).toBeGreaterThan(1);
  });

  it("FEED-5 a snapshot paged while someone writes is gathered with the changes after it and ends exactly at the server's state", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "large-busy", policy: "occ", shard: "a" });
    const ids = await fill(board.id, 120, 6_000, "b");
    const c = await client("Busy");
    c.setLatency(15); // every page takes a moment, so the writes below land between pages
    const version = new Map(ids.map((id) => [id, 1]));
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const id = ids[(i * 37) % ids.length]!;
        const r = await ok<{ card: Card }>(owner, "card:update", {
          mutationId: mid(), cardId: id, baseVersion: version.get(id), patch: { position: `a${String(i).padStart(4, "0")}` },
        });
        version.set(id, r.card.version);
        // Paced, so the join's replies stay within the client's bounded event log (400 events).
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    await c.joinBoard(board.id);
    const atJoin = c.getSnapshot().events.length;
    writing = false;
    await writer;
    c.setLatency(0);
    // The join itself went through card pages and then the changes after the snapshot's seq.
    const replies = c.getSnapshot().events.slice(0, atJoin).filter((e) => e.direction === "in" && e.event === "board:join").map((e) => e.summary);
    expect(replies.some((r) => /cards at seq \d+, more/.test(r))).toBe(true);
    expect(replies.some((r) => /changes to seq/.test(r))).toBe(true);
    const final = await truth(board.id);
    await waitFor(() => JSON.stringify([...versions(c, board.id)].sort()) === JSON.stringify([...final].sort()), "the server's cards and versions");
  });

  it("FEED-5 OUTBOX-3 after an outage the client catches up over every page, then replays its outbox", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "large-outage", policy: "occ", shard: "a" });
    const [first] = await fill(board.id, 1, 100, "o");
    const c = await client("Returner");
    await c.joinBoard(board.id);
    c.setOffline(true);
    await waitFor(() => c.getSnapshot().connection === "offline", "offline");
    await fill(board.id, 120, 6_000, "o-while-away");
    c.updateCard(first!, { title: "typed while away" });
    c.setOffline(false);
    await waitFor(() => idle(c.getSnapshot()) && c.getSnapshot().boards[board.id]!.seq === 122, "caught up and replayed", 30_000);
    expect(versions(c, board.id)).toEqual(await truth(board.id));
    expect(c.getSnapshot().boards[board.id]!.confirmed[first!]!.title).toBe("typed while away");
    // Every page of the catch-up was answered before the outbox was replayed.
    const events = c.getSnapshot().events;
    const replay = events.findIndex((e) => e.direction === "out" && e.event === "card:update");
    const pages = events.map((e, i) => (e.direction === "in" && e.event === "board:join" ? i : -1)).filter((i) => i >= 0);
    expect(pages.length).toBeGreaterThan(1);
    expect(replay).toBeGreaterThan(pages[pages.length - 1]!);
  });
});

describe("FEED-7 a large board shows its first page while the rest loads", () => {
  it("FEED-7 the first page is on screen (marked loading) before the last page is answered; then the whole board, no longer loading", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "large-preview", policy: "occ", shard: "a" });
    const ids = await fill(board.id, 160, 6_000, "p");
    const c = await client("Previewer");
    c.setLatency(60); // every page takes a moment: the first one is shown long before the last
    const seen: { loading: boolean; cards: number; pagesAnswered: number }[] = [];
    const stop = c.subscribe(() => {
      const s = c.getSnapshot();
      const state = s.boards[board.id];
      if (!state) return;
      const pagesAnswered = s.events.filter((e) => e.direction === "in" && e.event === "board:join").length;
      seen.push({ loading: state.loading === true, cards: Object.keys(state.cards).length, pagesAnswered });
    });
    await c.joinBoard(board.id);
    stop();
    c.setLatency(0);
    const first = seen[0]!;
    expect(first.loading).toBe(true);
    expect(first.pagesAnswered).toBe(1);
    expect(first.cards).toBeGreaterThan(0);
    expect(first.cards).toBeLessThan(160);
    // Shown in position order: the first page holds the lowest positions.
    const shown = Object.values(c.getSnapshot().boards[board.id]!.cards).sort((x, y) => (x.position < y.position ? -1 : 1));
    expect(shown.map((card) => card.id)).toEqual(ids);
    const last = c.getSnapshot().boards[board.id]!;
    expect(last.loading).toBeUndefined();
    expect(Object.keys(last.confirmed)).toHaveLength(160);
  });
});

describe("MVR-5 the writer is told", () => {
  it("MVR-5 a replayed mvr edit that displaced a value under the bound becomes a notice naming the field", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "mvr-bound", policy: "mvr", shard: "a" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { body: "start" } });
    const c = await client("Writer");
    await c.joinBoard(board.id);
    c.setOffline(true);
    await waitFor(() => c.getSnapshot().connection === "offline", "offline");
    // Eight people write the body concurrently (none had seen the others): the field is full.
    for (let i = 0; i < 8; i++) {
      const s = await cluster.connect((await cluster.signIn(`w${i}`)).token, { replicaId: `tab-0000000${i}` });
      await ok(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 0, patch: { body: `concurrent ${i}` }, context: {} });
    }
    c.updateCard(card.id, { body: "mine, written offline" });
    c.setOffline(false);
    await waitFor(() => idle(c.getSnapshot()), "replayed");
    const notice = c.getSnapshot().notices.find((n) => n.cardId === card.id && n.code === "mvr-dropped");
    // The UI words it "Your edit displaced 1 concurrent value of body (by …): a field keeps at most 8." (app/_lib/notice-text.ts)
    expect(notice).toMatchObject({ code: "mvr-dropped", field: "body", count: 1, max: 8 });
    const values = c.getSnapshot().boards[board.id]!.confirmed[card.id]!.siblings?.body?.map((v) => v.value);
    expect(values).toHaveLength(8);
    expect(values).toContain("mine, written offline");
  });
});
