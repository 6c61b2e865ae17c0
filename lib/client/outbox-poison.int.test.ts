import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startCluster, type TestCluster, type TestSocket } from "../../server/test/harness";
import type { Board, Card } from "../protocol";
import { MemoryStorage } from "./storage";
import { SyncClient } from "./sync-client";
import { idle, TestClients, waitFor } from "./test-clients";
import type { PendingMutation } from "./types";

let cluster: TestCluster;
let observer: TestSocket;
const clients = new TestClients(() => cluster);

beforeAll(async () => {
  cluster = await startCluster();
  observer = await cluster.connect((await cluster.signIn("Observer")).token);
  // An injected fault in the real shard database: a card titled "poison" makes every write of
  // it fail inside Postgres (check_violation), which the server answers INTERNAL, every time.
  await cluster.dbs.shards.get("a")!.sql.unsafe(`ALTER TABLE cards ADD CONSTRAINT poison_title CHECK (title <> 'poison')`);
});
afterAll(async () => {
  clients.closeAll();
  await cluster?.close();
});

const serverCard = async (boardId: string, cardId: string) =>
  (await ok<{ cards: Card[] }>(observer, "board:join", { boardId })).cards.find((c) => c.id === cardId);
const pendingOf = (c: SyncClient, cardId: string): PendingMutation[] => c.getSnapshot().pending.filter((m) => m.cardId === cardId);

/** A client on a fresh occ board on shard a (where the fault is) with two cards, X and Y. */
async function setup(name: string, storage = new MemoryStorage()) {
  const a = await clients.signIn(name, { storage });
  const board: Board = await a.createBoard({ name: `poison-${name}`, policy: "occ", shard: "a" });
  await a.joinBoard(board.id);
  const x = a.createCard(board.id, { title: "x" });
  const y = a.createCard(board.id, { title: "y" });
  await waitFor(() => idle(a.getSnapshot()), "the cards are created");
  return { a, board, x, y, storage };
}

describe("OUTBOX-7 a poison write is set aside and does not wedge the tab", () => {
  it("after repeated INTERNAL answers the write is set aside with a notice; writes to other cards go through, writes to the same card wait behind it in order", async () => {
    const { a, board, x, y } = await setup("Pat");
    a.updateCard(x, { title: "poison" });
    a.updateCard(x, { body: "written after the poison" });
    a.updateCard(y, { title: "independent" });

    // The independent write reaches the server although the oldest pending write keeps failing.
    await waitFor(() => a.getSnapshot().boards[board.id]?.confirmed[y]?.title === "independent", "the write to the other card is applied");
    expect((await serverCard(board.id, y))?.title).toBe("independent");
    // Sends are pipelined (OUTBOX-8): the other card's write did not even wait for the set-aside.
    await waitFor(() => pendingOf(a, x)[0]?.setAside !== undefined, "the failing write is set aside");

    const [poison, behind] = pendingOf(a, x);
    expect(poison?.setAside).toMatchObject({ code: "INTERNAL" });
    expect(poison).toMatchObject({ kind: "update" });
    expect(poison?.kind === "update" && poison.patch).toEqual({ title: "poison" });
    // The later write to the same card was never sent (OUTBOX-4: per card, order is kept).
    expect(behind?.kind === "update" && behind.patch).toEqual({ body: "written after the poison" });
    expect(behind?.attempts).toBe(0);
    expect(behind?.setAside).toBeUndefined();
    // The person was told, and still sees what they typed.
    expect(a.getSnapshot().notices.some((n) => n.kind === "error" && n.cardId === x && n.code === "write-set-aside")).toBe(true);
    expect(a.getSnapshot().boards[board.id]?.cards[x]?.title).toBe("poison");
    const server = await serverCard(board.id, x);
    expect([server?.title, server?.body, server?.version]).toEqual(["x", "", 1]);

    // Once the fault is gone, retrying sends the set-aside write and then the one behind it, in order, without a conflict.
    await cluster.dbs.shards.get("a")!.sql.unsafe(`ALTER TABLE cards DROP CONSTRAINT poison_title`);
    try {
      a.retryWrite(poison!.mutationId);
      await waitFor(() => idle(a.getSnapshot()), "both writes are acknowledged");
      const after = await serverCard(board.id, x);
      expect([after?.title, after?.body, after?.version]).toEqual(["poison", "written after the poison", 3]);
      expect(a.getSnapshot().conflicts).toEqual([]);
    } finally {
      // Back for the next test (NOT VALID: the row just saved as "poison" stays; new writes are checked).
      await cluster.dbs.shards.get("a")!.sql.unsafe(`ALTER TABLE cards ADD CONSTRAINT poison_title CHECK (title <> 'poison') NOT VALID`);
    }
  });

  it("INPUT-3: text with a pasted NUL or a lone surrogate is cleaned before it is sent, so the edit is saved, not refused", async () => {
    const { a, board, y } = await setup("Kim");
    a.updateCard(y, { title: "pasted\u0000 title", body: "half \uD83D emoji", tags: ["ok", "\u0000"] });
    const n = a.createCard(board.id, { title: "new\u0000" });
    await waitFor(() => idle(a.getSnapshot()), "both writes are answered");
    expect(a.getSnapshot().notices.filter((x) => x.kind === "error")).toEqual([]);
    const saved = await serverCard(board.id, y);
    expect([saved?.title, saved?.body, saved?.tags]).toEqual(["pasted title", "half \uFFFD emoji", ["ok"]]);
    expect((await serverCard(board.id, n))?.title).toBe("new");
  });

  it("a set-aside write stays set aside across a reload; discarding it lets the writes behind it go", async () => {
    const { a, board, x, storage } = await setup("Sam");
    a.updateCard(x, { title: "poison" });
    a.updateCard(x, { body: "kept" });
    await waitFor(() => pendingOf(a, x)[0]?.setAside !== undefined, "the poison write is set aside");
    await a.flush();
    a.close();

    // A reload of the tab: the set-aside write is still there, still set aside, and not sent again.
    const { token, user } = await cluster.signIn("Sam");
    const reloaded = new SyncClient({ url: cluster.url, token, user, replicaId: a.getSnapshot().replicaId, io, storage });
    clients.track(reloaded);
    await reloaded.load();
    reloaded.connect();
    await waitFor(() => reloaded.getSnapshot().connection === "online", "the reloaded tab is online");
    const [poison, behind] = pendingOf(reloaded, x);
    expect(poison?.setAside).toBeDefined();
    const attemptsBefore = poison!.attempts;
    expect(behind?.kind === "update" && behind.patch).toEqual({ body: "kept" });

    reloaded.discardWrite(poison!.mutationId);
    await waitFor(() => idle(reloaded.getSnapshot()), "the write behind it is acknowledged");
    const server = await serverCard(board.id, x);
    expect([server?.title, server?.body, server?.version]).toEqual(["x", "kept", 2]);
    // The reloaded tab never sent the set-aside write (it only sent the body edit).
    const sentTitles = reloaded.getSnapshot().events.filter((e) => e.direction === "out" && e.event === "card:update" && e.summary.startsWith(x.slice(0, 10)) && e.summary.includes(" title"));
    expect(sentTitles).toEqual([]);
    expect(attemptsBefore).toBeGreaterThan(0);
  });
});
