/**
 * The bench's ceiling (issue 11): what any server could reach on this machine with Concord's
 * frames and Concord's fan-out, before it stores anything. Each `card:update` is a versioned
 * compare-and-set on a card held in memory (no database, no log, no idempotency, no checks); the
 * card goes out in Concord's wire shape (`toWireCard`, every field's version as Concord sends it)
 * as a `change` to every socket on the board, author included, through Concord's own Broadcaster
 * (encoded once, corked per turn: SPEC PERF-3, PERF-4), and the ack follows in the same turn.
 * A write here costs the load generator exactly what a Concord write costs it, and the server
 * only the fan-out: the gap between this row and Concord's is what storing the write costs.
 * It speaks the part of docs/PROTOCOL.md the load generator uses: `board:join`, `card:update`,
 * `change` and `CONFLICT` with `details.current.version`.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import { Server } from "socket.io";
import { changeRecord, toWireCard, type CardState } from "../../../lib/sync/write";
import { Broadcaster, boardRoom } from "../../realtime/broadcaster";

export interface CeilingServer {
  url: string;
  /** `count` cards (version 1) on `boardId`, ids shaped like Concord's; answers their ids. */
  seed(boardId: string, count: number): string[];
  close(): Promise<void>;
}

type Ack = (r: unknown) => void;
interface Update {
  mutationId: string;
  cardId: string;
  baseVersion: number;
  patch: { estimate?: number };
}

export async function startCeilingServer(): Promise<CeilingServer> {
  const cards = new Map<string, CardState>();
  const seqs = new Map<string, number>();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(server, { serveClient: false });
  const broadcaster = new Broadcaster(io as ConstructorParameters<typeof Broadcaster>[0]);
  io.on("connection", (socket) => {
    const userId = `u_${randomUUID()}`;
    socket.on("board:join", async (p: { boardId: string }, ack: Ack) => {
      await socket.join(boardRoom(p.boardId));
      ack({ ok: true });
    });
    socket.on("card:update", (p: Update, ack: Ack) => {
      const card = cards.get(p.cardId);
      if (!card) return ack({ ok: false, error: { code: "NOT_FOUND", message: "no such card" } });
      if (card.version !== p.baseVersion) {
        return ack({ ok: false, error: { code: "CONFLICT", message: "changed", details: { current: toWireCard(card, "occ"), fields: ["estimate"] } } });
      }
      const at = new Date().toISOString();
      const next: CardState = {
        ...card, estimate: p.patch.estimate ?? null, version: card.version + 1,
        fieldVersions: { ...card.fieldVersions, estimate: card.fieldVersions.estimate + 1 }, updatedAt: at, updatedBy: userId,
      };
      cards.set(p.cardId, next);
      const seq = (seqs.get(card.boardId) ?? 0) + 1;
      seqs.set(card.boardId, seq);
      const wire = toWireCard(next, "occ");
      broadcaster.change(changeRecord({ boardId: card.boardId, seq, type: "card.upsert", card: wire, cardId: card.id, mutationId: p.mutationId, by: userId, at }));
      ack({ ok: true, card: wire, seq });
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    seed: (boardId, count) =>
      Array.from({ length: count }, (_, i) => {
        const id = `c_${randomUUID()}`;
        const at = new Date().toISOString();
        cards.set(id, {
          id, boardId, title: `card ${i}`, body: "", status: "todo", position: "a0", tags: [], estimate: null, version: 1,
          fieldVersions: { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1 },
          hlc: null, registers: null, clock: null, fence: 0, updatedAt: at, updatedBy: "u_seed",
        });
        return id;
      }),
    close: async () => {
      broadcaster.close();
      io.disconnectSockets(true);
      await new Promise<void>((r) => io.close(() => r()));
    },
  };
}
