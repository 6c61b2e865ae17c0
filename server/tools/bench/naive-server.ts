/**
 * The baseline Concord is measured against (issue 11): what a newcomer would write first. Each
 * `card:update` is one versioned compare-and-set `UPDATE … WHERE id AND version … RETURNING`
 * through postgres.js on its default pool, then `socket.to(room).emit("change")` and the ack.
 * No lanes, no change log, no idempotency, no access checks. Its ids have Concord's shapes (`c_`,
 * `b_` and `u_` and a UUID; each connection is one user), so both servers' frames are the same
 * size and the load generator parses the same bytes for either. `bench:broadcast` is the bare
 * Socket.IO broadcast of a given payload (no database), the fan-out baseline.
 * It speaks just enough of docs/PROTOCOL.md for the load generator: `board:join`, `card:update`,
 * the `change` broadcast and the `CONFLICT` error with `details.current.version`.
 */
import http from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { Server } from "socket.io";
import { ensureDatabase } from "../../db/databases";

export interface NaiveServer {
  url: string;
  io: Server;
  /** Inserts `count` cards (version 1) on `boardId`, with ids shaped like Concord's; answers their ids. */
  seed(boardId: string, count: number): Promise<string[]>;
  close(): Promise<void>;
}

interface CardRow {
  id: string;
  board_id: string;
  title: string;
  estimate: number | null;
  version: number;
  updated_at: Date;
  updated_by: string;
}

type Ack = (r: unknown) => void;

export async function startNaiveServer(adminUrl: string): Promise<NaiveServer> {
  const db = `concord_bench_naive_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(adminUrl, db);
  const sql = postgres(Object.assign(new URL(adminUrl), { pathname: `/${db}` }).toString(), { onnotice: () => {} });
  await sql`CREATE TABLE cards (id text PRIMARY KEY, board_id text NOT NULL, title text NOT NULL, estimate integer,
            version integer NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), updated_by text NOT NULL DEFAULT '')`;
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(server, { serveClient: false });
  io.on("connection", (socket) => {
    const userId = `u_${randomUUID()}`;
    socket.on("board:join", async (p: { boardId: string }, ack: Ack) => {
      await socket.join(`board:${p.boardId}`);
      ack({ ok: true });
    });
    socket.on("card:update", async (p: { mutationId: string; cardId: string; baseVersion: number; patch: { estimate?: number } }, ack: Ack) => {
      try {
        const [row] = await sql<CardRow[]>`
          UPDATE cards SET estimate = ${p.patch.estimate ?? null}, version = version + 1, updated_at = now(), updated_by = ${userId}
          WHERE id = ${p.cardId} AND version = ${p.baseVersion} RETURNING *`;
        if (!row) {
          const [cur] = await sql<CardRow[]>`SELECT * FROM cards WHERE id = ${p.cardId}`;
          return ack({ ok: false, error: { code: cur ? "CONFLICT" : "NOT_FOUND", message: "changed", details: { current: cur && toCard(cur) } } });
        }
        const card = toCard(row);
        socket.to(`board:${row.board_id}`).emit("change", {
          boardId: row.board_id, seq: row.version, type: "card.upsert", card, cardId: row.id, mutationId: p.mutationId, by: userId,
          at: card.updatedAt,
        });
        ack({ ok: true, card, seq: row.version });
      } catch (err) {
        ack({ ok: false, error: { code: "INTERNAL", message: String(err) } });
      }
    });
    socket.on("bench:broadcast", (p: { boardId: string; payload: unknown }, ack: Ack) => {
      io.to(`board:${p.boardId}`).emit("change", p.payload);
      ack({ ok: true });
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    io,
    seed: async (boardId, count) => {
      const rows = Array.from({ length: count }, (_, i) => ({ id: `c_${randomUUID()}`, board_id: boardId, title: `card ${i}`, version: 1 }));
      for (let i = 0; i < rows.length; i += 1000) await sql`INSERT INTO cards ${sql(rows.slice(i, i + 1000))}`;
      return rows.map((r) => r.id);
    },
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((r) => io.close(() => r()));
      await sql.end({ timeout: 5 });
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
      await admin.end();
    },
  };
}

function toCard(r: CardRow) {
  return {
    id: r.id, boardId: r.board_id, title: r.title, body: "", status: "todo", position: "a0", tags: [], estimate: r.estimate,
    version: r.version, fieldVersions: {}, updatedAt: new Date(r.updated_at).toISOString(), updatedBy: r.updated_by,
  };
}
