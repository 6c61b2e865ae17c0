import type { Socket as TcpSocket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Change } from "../../lib/protocol";
import { boardWithCards, mid, ok, request, sleep, startCluster, type TestCluster, type TestSocket } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** The server side of a client's websocket: its TCP socket, with every write to the kernel counted. */
function countWrites(socketId: string): { writes: () => number } {
  const server = cluster.nodes[0]!.io.sockets.sockets.get(socketId)!;
  const tcp = (server.conn as unknown as { transport: { socket: { _socket: TcpSocket } } }).transport.socket._socket;
  let n = 0;
  const stream = tcp as unknown as Record<"_write" | "_writev", (...a: unknown[]) => void>;
  for (const k of ["_write", "_writev"] as const) {
    const orig = stream[k].bind(tcp);
    stream[k] = (...a: unknown[]) => {
      n++;
      orig(...a);
    };
  }
  return { writes: () => n };
}

// SPEC PERF-4: a batch's changes leave each receiving socket in one write to the kernel, not
// one each. engine.io's websocket transport sends one list of packets at a time and holds the
// rest back until the kernel took it, so corking the socket alone sent the first change alone
// and each other one in a write of its own (as the naive server does).
it("PERF-4 the changes of one batch leave a watching socket in one write", async () => {
  const { token } = await cluster.signIn("cork");
  const s = await cluster.connect(token);
  const { board, cards } = await boardWithCards(s, "cork", 10);
  const watcher: TestSocket = await cluster.connect(token);
  await ok(watcher, "board:join", { boardId: board.id });
  const seen: Change[] = [];
  (watcher as unknown as { on: (e: string, fn: (c: Change) => void) => void }).on("change", (c) => seen.push(c));
  await sleep(100);

  // The board's head held from outside, so the ten writes queue and commit as one batch.
  const shard = cluster.dbs.shards.get("a")!.sql;
  const held = shard.begin(async (tx) => {
    await tx`SELECT 1 FROM board_heads WHERE board_id = ${board.id} FOR UPDATE`;
    await sleep(300);
  });
  await sleep(50);
  const counted = countWrites(watcher.id!);
  const acks = await Promise.all(cards.map((c) => request<{ batch: number }>(s, "card:update", { mutationId: mid(), cardId: c.id, baseVersion: 1, patch: { estimate: 5 } })));
  await held;
  await sleep(100);
  expect(acks.every((a) => a.ok)).toBe(true);
  expect(seen.map((c) => c.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  // One batch or two (the first write commits alone when it reaches the lane first): at most one
  // write per batch, never one per change.
  const batches = new Set(acks.map((a) => a.ok && a.batch)).size;
  expect(batches).toBeLessThanOrEqual(2);
  expect(counted.writes()).toBeGreaterThanOrEqual(1);
  expect(counted.writes()).toBeLessThanOrEqual(batches);
});
