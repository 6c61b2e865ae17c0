/**
 * Memory under full catch-ups (prints figures; not a test; DESIGN invariant 11, SPEC MVR-5 and
 * FEED-5). Starts one real node over a real Postgres (BENCH_DATABASE_URL, else an embedded one in
 * a temp folder), then:
 *  1. mvr: 60 writes with an empty context to one card (20 000-character bodies): siblings kept,
 *     the largest ack, and the JSON the card's changes hold in the log;
 *  2. a board of C cards (20 000-character bodies), then R concurrent full catch-ups
 *     (`board:join { since: 0 }`) and R full snapshots, each following `more`/`cursor` to the end
 *     and keeping nothing: pages, the largest ack, and the node's RSS before, at peak and after.
 * The test that holds the bound is server/realtime/bounded-growth.int.test.ts; this shows it at scale.
 * Usage: npx tsx server/tools/catch-up-memory.ts [--cards 1500] [--readers 10]
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type { Socket } from "socket.io-client";
import type { Board, Card } from "../../lib/protocol";
import { startToolNode } from "./tool-node";

const { values: args } = parseArgs({
  options: {
    cards: { type: "string", default: "1500" },
    readers: { type: "string", default: "10" },
  },
});
const CARDS = Number(args.cards);
const READERS = Number(args.readers);
const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const KiB = (n: number) => `${Math.ceil(n / 1024)} KiB`;

type Reply = { ok: boolean; error?: { code: string; message: string }; more?: boolean; cursor?: string } & Record<string, unknown>;

/** Emits and resolves with the raw ack and its JSON size. */
function emit(s: Socket, event: string, payload: unknown): Promise<{ reply: Reply; bytes: number }> {
  return new Promise((resolve, reject) =>
    s.emit(event, payload, (r: Reply) => (r.ok ? resolve({ reply: r, bytes: Buffer.byteLength(JSON.stringify(r)) }) : reject(new Error(`${event}: ${r.error?.code} ${r.error?.message}`)))),
  );
}

/** Reads a whole board:join answer, following pages, keeping only counts. */
async function readAll(s: Socket, boardId: string, since?: number) {
  let payload: Record<string, unknown> = since === undefined ? { boardId } : { boardId, since };
  let pages = 0;
  let largest = 0;
  let items = 0;
  for (;;) {
    const { reply, bytes } = await emit(s, "board:join", payload);
    pages++;
    largest = Math.max(largest, bytes);
    items += ((reply.cards ?? reply.changes) as unknown[]).length;
    if (!reply.more) return { pages, largest, items };
    payload = { boardId, cursor: reply.cursor };
  }
}

async function main() {
  const tool = await startToolNode("catchup");
  const { dbs } = tool;
  const connect = () => tool.connect();
  const body = (tag: string) => `${tag} `.padEnd(20_000, "x");

  try {
    // 1. mvr: 60 writes with an empty context.
    const owner = await connect();
    const { reply: made } = await emit(owner, "board:create", { name: "mvr", policy: "mvr", shard: "a" });
    const mvrBoard = made.board as Board;
    const { reply: created } = await emit(owner, "card:create", { mutationId: randomUUID(), boardId: mvrBoard.id, fields: { title: "flood" } });
    const cardId = (created.card as Card).id;
    let largestWriteAck = 0;
    let siblings = 0;
    const t0 = Date.now();
    for (let i = 0; i < 60; i++) {
      const { reply, bytes } = await emit(owner, "card:update", {
        mutationId: randomUUID(), cardId, baseVersion: 0, patch: { body: body(`write ${i}`) }, context: {},
      });
      largestWriteAck = Math.max(largestWriteAck, bytes);
      siblings = (reply.card as Card).siblings?.body?.length ?? 1;
    }
    const writeMs = Date.now() - t0;
    const [logged] = await dbs.shards.get("a")!.sql<{ bytes: string }[]>`
      SELECT coalesce(sum(octet_length(card::text)), 0) AS bytes FROM changes WHERE card_id = ${cardId}`;
    const snap = await readAll(owner, mvrBoard.id);
    console.log(
      `mvr: 60 writes with an empty context in ${writeMs} ms → ${siblings} body values kept; largest write ack ${KiB(largestWriteAck)}, ` +
        `snapshot ${KiB(snap.largest)}; the card's changes hold ${MB(Number(logged!.bytes))} of JSON`,
    );

    // 2. A large board and R concurrent full catch-ups.
    const { reply: made2 } = await emit(owner, "board:create", { name: "large", policy: "occ", shard: "a" });
    const board = made2.board as Board;
    for (let start = 0; start < CARDS; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, CARDS - start) }, (_, k) =>
          emit(owner, "card:create", { mutationId: randomUUID(), boardId: board.id, fields: { title: `card ${start + k}`, body: body(String(start + k)) } }),
        ),
      );
    }
    const readers = await Promise.all(Array.from({ length: READERS }, connect));
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t1 = Date.now();
    const catchUps = await Promise.all(readers.map((r) => readAll(r, board.id, 0)));
    const snapshots = await Promise.all(readers.map((r) => readAll(r, board.id)));
    const ms = Date.now() - t1;
    clearInterval(sampler);
    global.gc?.();
    const after = process.memoryUsage().rss;
    const c = catchUps[0]!;
    const sn = snapshots[0]!;
    console.log(
      `large board: ${CARDS} cards; ${READERS} concurrent catch-ups (since 0) then ${READERS} snapshots in ${ms} ms: ` +
        `${c.pages} / ${sn.pages} pages each, ${c.items} changes / ${sn.items} cards each, largest ack ` +
        `${KiB(Math.max(...catchUps.map((x) => x.largest), ...snapshots.map((x) => x.largest)))}; ` +
        `RSS ${MB(before)} before, ${MB(peak)} at peak, ${MB(after)} after`,
    );
    for (const s of [owner, ...readers]) s.disconnect();
  } finally {
    await tool.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
