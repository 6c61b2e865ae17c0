import { afterAll, beforeAll, expect, it } from "vitest";
import { io as ioClient } from "socket.io-client";
import type { Card, Change, Lock } from "../../lib/protocol";
import { boardWithCards, mid, ok, sleep, startCluster, type TestCluster, type TestSocket } from "../test/harness";
import { Broadcaster } from "./broadcaster";

// SPEC PERF-10: an event to one room leaves as one WebSocket frame made once and written as it is
// to each receiving socket's TCP connection, unless something of that socket still waits in
// engine.io (then Socket.IO sends it, behind what waits). These check the frame is what a plain
// socket.io-client reads as the event, that the direct path is really taken, that it never
// overtakes an event emitted before it, and that a socket not on the WebSocket transport still
// gets every change.

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** A user's board of `n` cards, and a second socket of theirs joined to it that records every event in order. */
async function watched(name: string, n: number) {
  const { token } = await cluster.signIn(name);
  const writer = await cluster.connect(token);
  const { board, cards } = await boardWithCards(writer, name, n);
  const watcher = await cluster.connect(token);
  await ok(watcher, "board:join", { boardId: board.id });
  const events: { event: string; payload: unknown }[] = [];
  (watcher as unknown as { onAny(fn: (event: string, payload: unknown) => void): void }).onAny((event, payload) => events.push({ event, payload }));
  await sleep(50);
  return { token, writer, watcher, board, cards, events };
}

/** The server side of a client's socket on node 0. */
const serverSocket = (s: TestSocket) => cluster.nodes[0]!.io.sockets.sockets.get(s.id!)!;

it("PERF-10 a change reaches a watching socket as the event Socket.IO would send, without an engine.io packet of its own", async () => {
  const { writer, watcher, cards, events } = await watched("frame-direct", 2);
  // engine.io makes a packet (and says so) for everything it sends: the change must not be one.
  const packets: unknown[] = [];
  (serverSocket(watcher).conn as unknown as { on(e: string, fn: (p: { data?: unknown }) => void): void }).on("packetCreate", (p) => {
    if (typeof p.data === "string" && p.data.includes('"change"')) packets.push(p);
  });
  const r = await ok<{ card: Card; seq: number }>(writer, "card:update", { mutationId: mid(), cardId: cards[1]!.id, baseVersion: 1, patch: { title: "framed é ✓", estimate: 3 } });
  await sleep(100);
  const changes = events.filter((e) => e.event === "change").map((e) => e.payload as Change);
  expect(changes).toHaveLength(1);
  expect(changes[0]!.seq).toBe(r.seq);
  expect(changes[0]!.card).toEqual(r.card); // multi-byte text and all: the frame's length counts bytes
  expect(packets).toHaveLength(0);
});

it("PERF-10 attack: events emitted in one turn arrive in that order, though the first ones wait in engine.io while the changes could go straight to the socket", async () => {
  const { board, cards, events } = await watched("frame-order", 1);
  // A Broadcaster of the test's own over the node's real Socket.IO server: two lock events (the
  // second waits in engine.io's buffer behind the first's write), then two changes, in one turn.
  const b = new Broadcaster(cluster.nodes[0]!.io as never);
  const lock = (token: number): Lock => ({ cardId: cards[0]!.id, holder: { id: "u_x", name: "x" }, token, expiresAt: new Date(Date.now() + 10_000).toISOString() });
  const change = (seq: number): Change => ({ boardId: board.id, seq, type: "card.upsert", card: { ...cards[0]!, version: seq }, mutationId: mid(), by: "u_x", at: new Date().toISOString() });
  const before = events.length;
  b.lock(board.id, cards[0]!.id, lock(1));
  b.lock(board.id, cards[0]!.id, lock(2));
  b.change(change(101));
  b.change(change(102));
  b.lock(board.id, cards[0]!.id, lock(3));
  b.change(change(103));
  await sleep(100);
  // And across turns: the next turn's change after what is still being sent from this one.
  b.lock(board.id, cards[0]!.id, lock(4));
  await new Promise((r) => setImmediate(r));
  b.change(change(104));
  await sleep(150);
  b.close();
  const got = events.slice(before).filter((e) => e.event === "lock" || e.event === "change").map((e) => (e.event === "lock" ? `lock ${(e.payload as { lock: Lock }).lock.token}` : `${e.event} ${(e.payload as Change).seq}`));
  expect(got).toEqual(["lock 1", "lock 2", "change 101", "change 102", "lock 3", "change 103", "lock 4", "change 104"]);
});

it("PERF-10 a socket on HTTP long-polling (no WebSocket) gets every change through Socket.IO", async () => {
  const { token, writer, board, cards } = await watched("frame-polling", 3);
  const polling = ioClient(cluster.url, { auth: { token }, transports: ["polling"], forceNew: true, reconnection: false });
  try {
    await new Promise<void>((resolve, reject) => {
      polling.once("connect", () => resolve());
      polling.once("connect_error", reject);
    });
    const seen: number[] = [];
    polling.on("change", (c: Change) => seen.push(c.seq));
    const join = await polling.timeout(5_000).emitWithAck("board:join", { boardId: board.id });
    expect(join.ok).toBe(true);
    const acks = await Promise.all(cards.map((c) => ok<{ seq: number }>(writer, "card:update", { mutationId: mid(), cardId: c.id, baseVersion: 1, patch: { estimate: 1 } })));
    await sleep(300);
    expect(seen).toEqual(acks.map((a) => a.seq).sort((x, y) => x - y));
  } finally {
    polling.disconnect();
  }
});
