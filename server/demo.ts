import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { seedDemos } from "../lib/demo/seed";
import type { Ack, Board, ClientToServerEvents, ServerToClientEvents } from "../lib/protocol";
import type { SessionStore } from "./services/sessions";

type DemoSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One request over the socket; a refusal becomes an error carrying its code (seedDemos reads it). */
function call<T>(socket: DemoSocket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    (socket as unknown as { timeout(ms: number): { emit(e: string, p: unknown, cb: (err: Error | null, ack: Ack<T>) => void): void } })
      .timeout(15_000)
      .emit(event, payload, (err, ack) => {
        if (err) return reject(err);
        if (!ack.ok) return reject(Object.assign(new Error(`${event}: ${ack.error.message}`), { code: ack.error.code }));
        resolve(ack as unknown as T);
      });
  });
}

/**
 * `npm start -- --demo` / `CONCORD_DEMO=1`: on a deployment with no boards yet, signs in as
 * "Concord demo" and makes the demo boards (lib/demo/plan.ts), open to everyone, through this
 * node's own socket: the same requests, checks and change log as any client's (`board:create`,
 * `card:create`). Returns how many boards it made (0 when boards existed already).
 */
export async function seedDemoDeployment(opts: { url: string; sessions: SessionStore; boardCount: () => Promise<number> }): Promise<number> {
  if ((await opts.boardCount()) > 0) return 0;
  const session = await opts.sessions.create("Concord demo");
  const socket: DemoSocket = io(opts.url, {
    auth: { token: session.token, replicaId: `demo-${randomUUID().slice(0, 8)}` },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    const boards = await seedDemos(
      {
        createBoard: async (input) => (await call<{ board: Board }>(socket, "board:create", input)).board,
        createCard: (board, fields) => call(socket, "card:create", { mutationId: `m_${randomUUID()}`, boardId: board.id, fields }),
      },
      "open",
    );
    return boards.length;
  } finally {
    socket.close();
    await opts.sessions.revoke(session.sessionId).catch(() => {});
  }
}
