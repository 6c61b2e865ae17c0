import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startCluster, type TestCluster, type TestSocket } from "../../server/test/harness";
import type { Card } from "../protocol";
import { SyncClient } from "./sync-client";
import { idle, TestClients, waitFor } from "./test-clients";

let cluster: TestCluster;
let observer: TestSocket;
const clients = new TestClients(() => cluster);

beforeAll(async () => {
  cluster = await startCluster();
  observer = await cluster.connect((await cluster.signIn("Observer")).token);
});
afterAll(async () => {
  clients.closeAll();
  await cluster?.close();
});

const serverCards = async (boardId: string) => (await ok<{ cards: Card[] }>(observer, "board:join", { boardId })).cards;
/** The inspector's write sends and acks, in the order they happened: "out <mutation>" / "in <mutation>". */
const sendsAndAcks = (c: SyncClient) =>
  c.getSnapshot().events.filter((e) => e.event === "card:update" && e.direction !== "local").map((e) => `${e.direction} ${e.summary.slice(0, 10)}`);

describe("OUTBOX-8 the outbox is sent pipelined, in order, one write in flight per card", () => {
  it("writes to different cards leave before the first ack; a card's second write leaves only after its first is answered", async () => {
    const a = await clients.signIn("Piper");
    const board = await a.createBoard({ name: "pipeline", policy: "occ" });
    await a.joinBoard(board.id);
    const ids = [0, 1, 2].map((i) => a.createCard(board.id, { title: `card ${i}` }));
    await waitFor(() => idle(a.getSnapshot()), "the cards are created");
    a.setLatency(150); // every emit and every ack waits 150 ms: time enough to see what is in flight
    for (const id of ids) a.updateCard(id, { title: `${id} edited` });
    a.updateCard(ids[0]!, { body: "second edit of card 0" });
    await waitFor(() => idle(a.getSnapshot()), "all acknowledged");
    const log = sendsAndAcks(a);
    const firstAck = log.findIndex((l) => l.startsWith("in "));
    // The three cards' first edits were all sent before any ack came back, in outbox order.
    expect(log.slice(0, firstAck)).toEqual(ids.map((id) => `out ${id.slice(0, 10)}`));
    // Card 0's second edit left only after card 0's first was answered.
    const card0 = log.map((l, i) => [l, i] as const).filter(([l]) => l.endsWith(ids[0]!.slice(0, 10)));
    expect(card0.map(([l]) => l.slice(0, 3))).toEqual(["out", "in ", "out", "in "]);
    const cards = await serverCards(board.id);
    expect(cards.find((c) => c.id === ids[0])).toMatchObject({ title: `${ids[0]} edited`, body: "second edit of card 0", version: 3 });
    expect(a.getSnapshot().conflicts).toEqual([]);
  });

  it("a conflict of a card's earlier write reaches its later writes exactly as if each waited alone: a later edit of the same field conflicts too, one of another field applies", async () => {
    const alice = await clients.signIn("Alice");
    const bob = await clients.signIn("Bob");
    const board = await alice.createBoard({ name: "pipeline-conflict", policy: "occ" });
    await alice.joinBoard(board.id);
    await bob.joinBoard(board.id);
    const x = alice.createCard(board.id, { title: "x" });
    const y = alice.createCard(board.id, { title: "y" });
    await waitFor(() => idle(alice.getSnapshot()) && !!bob.getSnapshot().boards[board.id]?.confirmed[y], "Bob sees the cards");
    bob.setOffline(true);
    await waitFor(() => bob.getSnapshot().connection === "offline", "Bob offline");
    bob.updateCard(x, { title: "Bob 1" }); // will conflict with Alice's title
    bob.updateCard(y, { title: "Bob on y" }); // another card: goes along in the pipeline
    bob.updateCard(x, { title: "Bob 2" }); // same field, chained: conflicts as well
    bob.updateCard(x, { body: "Bob's body" }); // a field nobody else changed: applies
    alice.updateCard(x, { title: "Alice" });
    await waitFor(() => idle(alice.getSnapshot()), "Alice's edit is in");
    bob.setOffline(false);
    await waitFor(() => idle(bob.getSnapshot()), "Bob's outbox is answered");
    const conflicts = bob.getSnapshot().conflicts;
    expect(conflicts.map((c) => [c.cardId, c.mine])).toEqual([[x, { title: "Bob 1" }], [x, { title: "Bob 2" }]]);
    const cards = await serverCards(board.id);
    expect(cards.find((c) => c.id === x)).toMatchObject({ title: "Alice", body: "Bob's body" });
    expect(cards.find((c) => c.id === y)).toMatchObject({ title: "Bob on y" });
  });
});
