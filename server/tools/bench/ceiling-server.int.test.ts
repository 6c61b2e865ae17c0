import { randomUUID } from "node:crypto";
import { io as ioClient, type Socket } from "socket.io-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { boardWithCards, mid, ok, startCluster, type TestCluster } from "../../test/harness";
import { startCeilingServer, type CeilingServer } from "./ceiling-server";

let cluster: TestCluster;
let ceiling: CeilingServer;
beforeAll(async () => {
  cluster = await startCluster();
  ceiling = await startCeilingServer();
});
afterAll(async () => {
  await ceiling?.close();
  await cluster?.close();
});

/** Every key path of a JSON value, with the type found there ("card.fieldVersions.estimate:number"). */
function shape(v: unknown, at = ""): string[] {
  if (v === null || typeof v !== "object") return [`${at}:${v === null ? "null" : typeof v}`];
  if (Array.isArray(v)) return [`${at}:array`];
  return Object.entries(v).flatMap(([k, x]) => shape(x, at ? `${at}.${k}` : k)).sort();
}

/** The change and the ack a second socket and the writer see for one update. */
async function oneUpdate(writer: Socket, watcher: Socket, cardId: string, boardId: string) {
  const change = new Promise<unknown>((resolve) => watcher.once("change", resolve));
  const ack = (await writer.emitWithAck("card:update", { mutationId: mid(), cardId, baseVersion: 1, patch: { estimate: 3 } })) as Record<string, unknown>;
  expect(ack.ok).toBe(true);
  const c = (await change) as { boardId: string };
  expect(c.boardId).toBe(boardId);
  return { change: c, ack };
}

// The bench's ceiling row (issue 11) is only a ceiling for Concord if its frames cost the load
// generator what Concord's do: the same events, with the same fields at the same places.
it("the ceiling server sends a change and an ack of exactly Concord's shape", async () => {
  const { token } = await cluster.signIn("ceiling");
  const writer = await cluster.connect(token);
  const watcher = await cluster.connect(token);
  const { board, cards } = await boardWithCards(writer, "ceiling", 1);
  await ok(watcher, "board:join", { boardId: board.id });
  const concord = await oneUpdate(writer as unknown as Socket, watcher as unknown as Socket, cards[0]!.id, board.id);

  const boardId = `b_${randomUUID()}`;
  const [cardId] = ceiling.seed(boardId, 1);
  const connect = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = ioClient(ceiling.url, { transports: ["websocket"], forceNew: true, reconnection: false });
      s.once("connect", () => resolve(s));
      s.once("connect_error", reject);
    });
  const [w, o] = [await connect(), await connect()];
  try {
    for (const s of [w, o]) expect(((await s.emitWithAck("board:join", { boardId })) as { ok: boolean }).ok).toBe(true);
    const bare = await oneUpdate(w, o, cardId!, boardId);
    expect(shape(bare.change)).toEqual(shape(concord.change));
    // Concord's ack also says how many writes shared its transaction (`batch`): one number more.
    expect(shape(bare.ack)).toEqual(shape(concord.ack).filter((k) => !k.startsWith("batch:")));
    // A stale version is refused with the current one, as the load generator expects.
    const stale = (await w.emitWithAck("card:update", { mutationId: mid(), cardId, baseVersion: 1, patch: { estimate: 4 } })) as {
      ok: boolean; error: { code: string; details: { current: { version: number } } };
    };
    expect(stale.ok).toBe(false);
    expect(stale.error.code).toBe("CONFLICT");
    expect(stale.error.details.current.version).toBe(2);
  } finally {
    w.disconnect();
    o.disconnect();
  }
});
