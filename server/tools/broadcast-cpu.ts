/**
 * The servers' CPU per change broadcast to a board's plain sockets (prints figures; not a test;
 * SPEC PERF-4, PERF-10): Concord's Broadcaster against Socket.IO's own room broadcast
 * (`io.to(room).emit`) of the same `change` payload, on one Socket.IO server in this process, the
 * clients in a child process of their own (so their CPU is not counted). Each round sends
 * `--changes` changes, `--per-turn` of them per turn of the event loop (a batch's changes leave in
 * one turn), then waits until every socket received every change; rounds alternate between the two.
 * Usage: npx tsx server/tools/broadcast-cpu.ts [--sockets 50] [--changes 3900] [--per-turn 13] [--rounds 4]
 */
import { fork } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import type { Change } from "../../lib/protocol";
import { Broadcaster, boardRoom } from "../realtime/broadcaster";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sockets: { type: "string", default: "50" },
    changes: { type: "string", default: "3900" },
    "per-turn": { type: "string", default: "13" },
    rounds: { type: "string", default: "4" },
  },
});

const BOARD = "b_0f8e3c1a-5b2d-4c7e-9a1b-2c3d4e5f6a7b";
const USER = "u_1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";

if (positionals[0] === "clients") {
  // The child: sockets that count what they receive and say so when asked.
  const { io } = await import("socket.io-client");
  let got = 0;
  await Promise.all(
    Array.from({ length: Number(args.sockets) }, () => new Promise<void>((resolve) => {
      const s = io(positionals[1]!, { transports: ["websocket"], forceNew: true, reconnection: false });
      s.on("change", () => got++);
      s.once("connect", () => resolve());
    })),
  );
  process.on("message", () => process.send!({ got }));
  process.send!({ got });
} else {
  const sockets = Number(args.sockets);
  const changes = Number(args.changes);
  const perTurn = Number(args["per-turn"]);
  const server = http.createServer();
  const io = new Server(server, { serveClient: false });
  io.on("connection", (s) => void s.join(boardRoom(BOARD)));
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  const child = fork(fileURLToPath(import.meta.url), ["clients", `http://127.0.0.1:${port}`, "--sockets", String(sockets)], { execArgv: process.execArgv });
  const ask = () => new Promise<number>((resolve) => {
    child.once("message", (m: { got: number }) => resolve(m.got));
    child.send({});
  });
  await new Promise((resolve) => child.once("message", resolve));
  while (io.sockets.adapter.rooms.get(boardRoom(BOARD))?.size !== sockets) await new Promise((r) => setTimeout(r, 20));

  const broadcaster = new Broadcaster(io as never);
  const card = {
    id: "c_2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", boardId: BOARD, title: "card 1", body: "", status: "todo", position: "a0", tags: [], estimate: 5,
    version: 1, fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: new Date().toISOString(), updatedBy: USER,
  };
  let seq = 0;
  const change = (): Change => ({ boardId: BOARD, seq: ++seq, type: "card.upsert", card: { ...card, version: seq } as Change["card"], mutationId: `m_${seq}`, by: USER, at: new Date().toISOString() });
  const ways: Record<string, (c: Change) => void> = {
    "Concord Broadcaster": (c) => broadcaster.change(c),
    "Socket.IO io.to(room).emit": (c) => void io.to(boardRoom(BOARD)).emit("change", c),
  };
  const results: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  let expected = await ask();
  // The first round of each warms the JIT and is not counted.
  for (let round = 0; round <= Number(args.rounds); round++) {
    for (const [name, send] of Object.entries(ways)) {
      const cpu = process.cpuUsage();
      for (let sent = 0; sent < changes; ) {
        for (let i = 0; i < perTurn && sent < changes; i++, sent++) send(change());
        await new Promise((r) => setTimeout(r, 2));
      }
      expected += changes * sockets;
      while ((await ask()) < expected) await new Promise((r) => setTimeout(r, 20));
      const used = process.cpuUsage(cpu);
      const us = (used.user + used.system) / changes;
      if (round > 0) results[name]!.push(us);
      console.log(`${round === 0 ? "warm-up" : `round ${round}`}: ${name}: ${us.toFixed(1)} µs of CPU per change to ${sockets} sockets (user ${(used.user / changes).toFixed(1)}, system ${(used.system / changes).toFixed(1)})`);
    }
  }
  broadcaster.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [ours, bare] = Object.values(results).map(median) as [number, number];
  console.log(`\nmedian: Concord ${ours.toFixed(1)} µs, Socket.IO ${bare.toFixed(1)} µs per change to ${sockets} sockets (${(ours / bare).toFixed(2)}×)`);
  child.kill();
  io.close();
  process.exit(0);
}
