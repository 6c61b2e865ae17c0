import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io";
import type { z } from "zod";
import {
  ConcordError,
  extraRequestSchemas,
  requestSchemas,
  type Ack,
  type ClientToServerEvents,
  type CrashPoint,
  type Lock,
  type ResultMap,
  type ServerToClientEvents,
  type User,
} from "../../lib/protocol";
import type { Services } from "../services";
import type { BoardMeta } from "../services/boards";
import { closedError } from "../services/closed";
import type { JoinResult } from "../services/feed";
import { SimulatedCrash } from "../services/moves";
import type { Outcome, Writer, WriteResult } from "../services/records";
import { batchRoom, boardRoom, presenceRoom, type Broadcaster } from "./broadcaster";
import { badRequest, toWireError } from "./errors";
import { RateLimiter } from "./rate-limit";
import { SharedRead } from "./shared-read";

export interface SocketData {
  user: User;
  /** The client's replica id (one per tab): its entry in vector clocks on mvr boards. */
  replicaId: string;
  batch: boolean;
  /** Takes presence as `presence:delta` (SPEC PRES-1). */
  presenceDelta: boolean;
  /** Boards this socket joined, and the card it shows per board (presence). */
  boards: Map<string, string | undefined>;
  /** SPEC TX-10: the demo fault switch armed on this socket (its next cross-shard move crashes there). */
  crashAfter?: CrashPoint;
}

/** A plain join's reads: the snapshot's first page and the board's live leases (SPEC LOCK-8). */
export type JoinRead = readonly [JoinResult, Lock[] | undefined];

type ConcordSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Larger than any valid request (a card's body is at most 20 000 characters). */
const MAX_PAYLOAD_BYTES = 64 * 1024;

/** The JSON size of an untrusted payload (Socket.IO already caps a message at 1 MB). */
function payloadSize(payload: unknown): number {
  try {
    return JSON.stringify(payload ?? null)?.length ?? 0;
  } catch {
    return 0; // not JSON-shaped: the schema refuses it
  }
}

/** Turns a write outcome into the ack result (broadcasting an applied change), or throws the error it carries. */
/** What the transport reports to the metrics (server/metrics.ts). */
export interface HandlerObserver {
  /** A request answered, `seconds` after it arrived. */
  acked(event: string, seconds: number): void;
  write(outcome: "applied" | "replayed" | "conflict" | "rejected"): void;
  /** One `board:join` answer page: how many changes or cards it carried. */
  catchUp(kind: "changes" | "cards", items: number): void;
  lease(kind: "acquire" | "renew"): void;
}

const noObserver: HandlerObserver = { acked() {}, write() {}, catchUp() {}, lease() {} };

function settle(outcome: Outcome, broadcaster: Broadcaster, observer: HandlerObserver): WriteResult {
  observer.write(outcome.kind === "rejected" ? (outcome.error.code === "CONFLICT" ? "conflict" : "rejected") : outcome.kind);
  if (outcome.kind === "rejected") throw outcome.error;
  if (outcome.kind === "applied" && outcome.change) broadcaster.change(outcome.change);
  return outcome.result;
}

/** SPEC IDEM-3: the commit batch's size, when the stored result has one. */
function batchOf(result: WriteResult): { batch?: number } {
  return result.batch !== undefined ? { batch: result.batch } : {};
}

/** Every event a client may send, with its schema (PROTO-1). */
const SCHEMAS = { ...requestSchemas, ...extraRequestSchemas };
type Event = keyof typeof SCHEMAS;
type Results = ResultMap & { "presence:set": Record<string, never>; "sim:crash": Record<string, never> };

/**
 * The transport: every handler is parse → authorize → call a service → ack → broadcast.
 * Untrusted input enters only through `on`: the rate guard (INPUT-2), the size limit and the
 * schema (INPUT-1) run for every event, `presence:set` included.
 */
export function registerHandlers(
  socket: ConcordSocket,
  s: Services,
  broadcaster: Broadcaster,
  now: () => number = Date.now,
  observer: HandlerObserver = noObserver,
  joinReads: SharedRead<JoinRead> = new SharedRead(),
): void {
  const user = socket.data.user;
  const writer: Writer = { id: user.id, name: user.name, replicaId: socket.data.replicaId };
  const limiter = new RateLimiter(1000, 2000, now); // SPEC INPUT-2

  /** `fireAndForget`: the event may come without an ack (`presence:set`); it still passes every check. */
  function on<E extends Event>(event: E, fn: (p: z.infer<(typeof SCHEMAS)[E]>) => Promise<Results[E]>, fireAndForget = false): void {
    const schema = SCHEMAS[event];
    (socket as unknown as { on: (e: string, fn: (payload: unknown, ack: unknown) => void) => void }).on(event, async (payload, ack) => {
      const arrived = performance.now();
      if (typeof payload === "function" && ack === undefined) [payload, ack] = [undefined, payload];
      if (typeof ack !== "function" && !fireAndForget) return; // nobody to answer; nothing is done without an ack
      const reply = typeof ack === "function" ? (ack as (r: Ack<Results[E]>) => void) : () => {};
      if (!limiter.take()) return reply({ ok: false, error: { code: "RATE_LIMITED", message: "too many requests; slow down" } });
      if (payloadSize(payload) > MAX_PAYLOAD_BYTES) {
        return reply({ ok: false, error: { code: "TOO_LARGE", message: `payload over ${MAX_PAYLOAD_BYTES / 1024} KiB` } });
      }
      const parsed = schema.safeParse(payload ?? {});
      if (!parsed.success) return reply({ ok: false, error: badRequest(parsed.error) });
      try {
        const result = await fn(parsed.data as z.infer<(typeof SCHEMAS)[E]>);
        reply({ ok: true, ...result } as Ack<Results[E]>);
        observer.acked(event, (performance.now() - arrived) / 1000);
      } catch (err) {
        reply({ ok: false, error: toWireError(err, (e) => s.log.error({ err: e, event }, "handler failed")) });
        observer.acked(event, (performance.now() - arrived) / 1000);
      }
    });
  }

  /**
   * The board of a card the user may access; NOT_FOUND covers both "gone" and "not yours".
   * `fresh` reads where the card is now instead of this node's directory cache (SPEC LOCK-7).
   */
  async function cardBoard(
    cardId: string,
    mutationId?: string,
    fresh = false,
  ): Promise<{ replay: WriteResult; board?: undefined } | { board: BoardMeta; replay?: undefined }> {
    const boardId = await s.directory.boardOf(cardId, fresh);
    if (!boardId) {
      if (mutationId) {
        const prior = await s.directory.appliedAnywhere(mutationId, user);
        if (prior) return { replay: prior };
      }
      throw new ConcordError("NOT_FOUND", "no such card");
    }
    // SPEC ACCESS-2: a card on a board the user may not see answers exactly like a missing card.
    const board = await s.boards.authorize(user, boardId).catch((err: unknown) => {
      throw err instanceof ConcordError && err.code === "NOT_FOUND" ? new ConcordError("NOT_FOUND", "no such card") : err;
    });
    return { board };
  }

  /** SPEC BOARD-3: an archived board is read-only until its owner restores it. */
  function writable(board: BoardMeta): BoardMeta {
    if (board.archived) throw closedError("archived");
    return board;
  }

  /** SPEC BOARD-3 with IDEM-1: on an archived board a write applied before still answers its first result; a new one is FORBIDDEN. */
  async function unlessArchived(board: BoardMeta, mutationId: string): Promise<WriteResult | null> {
    if (!board.archived) return null;
    const prior = await s.directory.appliedAnywhere(mutationId, user);
    if (prior) return prior;
    writable(board);
    return null;
  }

  /** Runs a card write; if the card moved boards meanwhile, looks it up once more. */
  async function cardWrite(
    cardId: string,
    mutationId: string,
    run: (board: Awaited<ReturnType<typeof s.boards.authorize>>) => Promise<Outcome>,
  ): Promise<WriteResult> {
    let fresh = false;
    for (let attempt = 0; ; attempt++) {
      const found = await cardBoard(cardId, mutationId, fresh);
      if (found.replay) return found.replay;
      const replay = await unlessArchived(found.board!, mutationId);
      if (replay) return replay;
      const outcome = await run(found.board!);
      if (outcome.kind === "rejected" && outcome.error.code === "NOT_FOUND" && attempt === 0) {
        s.directory.forget(cardId);
        fresh = true; // ask the catalog, checked against the shards (ID-1)
        continue;
      }
      return settle(outcome, broadcaster, observer);
    }
  }

  on("board:create", async (p) => ({ board: await s.boards.create(user, p) }));
  on("board:list", async () => ({ boards: await s.boards.list(user) }));
  on("board:join", async (p) => {
    const meta = await s.boards.authorize(user, p.boardId);
    // Join the room before reading, so no change committed after the read can be missed.
    await socket.join(socket.data.batch ? batchRoom(meta.id) : boardRoom(meta.id));
    if (socket.data.presenceDelta) await socket.join(presenceRoom(meta.id));
    socket.data.boards.set(meta.id, undefined);
    // SPEC LOCK-8: the live leases come with the answer (once, on its first page: later `lock`
    // broadcasts reach this socket, already in the room), so a fresh tab shows a locked card as locked.
    const read = () => Promise.all([s.feed.join(meta, p.since, p.cursor), p.cursor === undefined ? s.locks.liveOnBoard(meta) : undefined] as const);
    // SPEC PRES-2: a plain join (a snapshot's first page) shares the board's next read with the joins that wait for it.
    const [result, leases] = p.since === undefined && p.cursor === undefined ? await joinReads.read(meta.id, read) : await read();
    // A page of a paged answer (FEED-5) is not a new arrival: announce once, on the first request.
    if (p.cursor === undefined) s.presence.joined(meta.id, socket.id, user.id);
    // SPEC REPL-2: only an answer that ends the read says where this socket is (a page with `more` is behind the head).
    if (!result.more) broadcaster.answered(meta.id, result.seq);
    if ("changes" in result) observer.catchUp("changes", result.changes.length);
    else observer.catchUp("cards", result.cards.length);
    return { ...result, ...(leases ? { leases } : {}) };
  });
  on("board:leave", async (p) => {
    await socket.leave(boardRoom(p.boardId));
    await socket.leave(batchRoom(p.boardId));
    await socket.leave(presenceRoom(p.boardId));
    socket.data.boards.delete(p.boardId);
    s.presence.left(p.boardId, user.id);
    return {};
  });
  on("board:invite", async (p) => s.boards.invite(user, p.boardId, { ttlMs: p.ttlMs, maxUses: p.maxUses }));
  on("board:revokeInvite", async (p) => {
    await s.boards.revokeInvite(user, p.code);
    return {};
  });
  on("board:accept", async (p) => ({ board: await s.boards.accept(user, p.code) }));
  // SPEC BOARD-1 … BOARD-6: owner-only changes to a board, heard by everyone who may see it.
  on("board:rename", async (p) => {
    const board = await s.boards.rename(user, p.boardId, p.name);
    broadcaster.boardChanged(board, { boardId: board.id, board }, await s.boards.memberIds(board.id));
    return { board };
  });
  on("board:archive", async (p) => {
    const board = await s.boards.archive(user, p.boardId, p.archived);
    broadcaster.boardChanged(board, { boardId: board.id, board }, await s.boards.memberIds(board.id));
    return { board };
  });
  on("board:delete", async (p) => {
    const meta = await s.boards.delete(user, p.boardId);
    broadcaster.boardChanged(meta, { boardId: meta.id, removed: "deleted" }, await s.boards.memberIds(meta.id));
    return {};
  });
  on("board:quit", async (p) => {
    const meta = await s.boards.quit(user, p.boardId);
    broadcaster.userLeft(user.id, meta);
    return {};
  });

  on("card:create", async (p) => {
    const board = await s.boards.authorize(user, p.boardId);
    const replay = await unlessArchived(board, p.mutationId);
    if (replay?.card) return { card: replay.card, seq: replay.seq };
    // SPEC ID-1: the id is claimed in the catalog first, so it cannot exist on two shards.
    const cardId = p.cardId ?? `c_${randomUUID()}`;
    if (!(await s.directory.claim(cardId, board, p.mutationId))) {
      const prior = await s.directory.appliedAnywhere(p.mutationId, user);
      if (prior?.card) return { card: prior.card, seq: prior.seq, ...batchOf(prior) };
      throw new ConcordError("BAD_REQUEST", "a card with this id exists");
    }
    const outcome = await s.records.write({ board, writer, mutation: { kind: "create", ...p, cardId } });
    const result = settle(outcome, broadcaster, observer);
    if (result.card) s.directory.remember(result.card.id, board.id);
    return { card: result.card!, seq: result.seq, ...batchOf(result) };
  });
  on("card:update", async (p) => {
    const result = await cardWrite(p.cardId, p.mutationId, (board) => s.records.write({ board, writer, mutation: { kind: "update", ...p } }));
    return { card: result.card!, seq: result.seq, ...(result.ignored ? { ignored: result.ignored } : {}), ...(result.dropped ? { dropped: result.dropped } : {}), ...batchOf(result) };
  });
  on("card:delete", async (p) => {
    const result = await cardWrite(p.cardId, p.mutationId, (board) => s.records.write({ board, writer, mutation: { kind: "delete", ...p } }));
    s.directory.forget(p.cardId);
    return { seq: result.seq, ...batchOf(result) };
  });
  on("card:move", async (p) => {
    // Moves are rare: look for a replay first, since the card may already sit on the target board.
    const prior = await s.directory.appliedAnywhere(p.mutationId, user);
    if (prior?.card) return prior as unknown as ResultMap["card:move"];
    const found = await cardBoard(p.cardId); // its mutationId was just looked up everywhere
    const to = await s.boards.authorize(user, p.toBoardId);
    writable(found.board!);
    writable(to);
    // SPEC TX-10: an armed demo crash is spent on the first move that crosses shards.
    const crashAfter = found.board!.shard !== to.shard ? socket.data.crashAfter : undefined;
    if (crashAfter) socket.data.crashAfter = undefined;
    const outcome = await s.moves.move(writer, found.board!, to, p, crashAfter).catch((err: unknown) => {
      // The coordinator "died": like a crashed node, it answers nothing; recovery finishes the move.
      if (crashAfter && err instanceof SimulatedCrash) return new Promise<never>(() => {});
      throw err;
    });
    for (const change of outcome.changes) broadcaster.change(change);
    s.directory.forget(p.cardId);
    return outcome.result;
  });
  on("card:history", async (p) => {
    const found = await cardBoard(p.cardId);
    // SPEC HIST-2: the history follows the card across moves, on the boards this user may see.
    const mayRead = (boardId: string) =>
      boardId === found.board!.id ? Promise.resolve(true) : s.boards.authorize(user, boardId).then(() => true, () => false);
    const shards = s.boards.shardNames().map((n) => s.boards.shard(n));
    return { entries: await s.boards.withNames(await s.feed.historyAcross(shards, p.cardId, mayRead)) };
  });

  // SPEC LOCK-7: every lock event authorizes against the card's current board, read fresh (a
  // node's directory may still place a moved card on its old, perhaps open, board), and the
  // grant raises the fence only while the card is still on that board.
  on("lock:acquire", async (p) => {
    const { board } = await cardBoard(p.cardId, undefined, true);
    writable(board!);
    const lock = await s.locks.acquire(user, { id: p.cardId, boardId: board!.id, shard: board!.shard }, p.ttlMs);
    observer.lease("acquire");
    broadcaster.lock(board!.id, p.cardId, lock);
    s.lockExpiry.watch(board!.id, lock);
    return { lock };
  });
  on("lock:renew", async (p) => {
    const { board } = await cardBoard(p.cardId, undefined, true);
    const lock = await s.locks.renew(user, p.cardId, p.token);
    observer.lease("renew");
    broadcaster.lock(board!.id, p.cardId, lock);
    s.lockExpiry.watch(board!.id, lock);
    return { lock };
  });
  on("lock:release", async (p) => {
    const { board } = await cardBoard(p.cardId, undefined, true);
    await s.locks.release(user, p.cardId, p.token); // refuses a non-holder or a stale token
    broadcaster.lock(board!.id, p.cardId, await s.locks.live(p.cardId));
    return {};
  });

  // The client sends it without an ack; it passes the same guard, size limit and schema as every request.
  on(
    "presence:set",
    async (p) => {
      if (!socket.data.boards.has(p.boardId)) throw new ConcordError("FORBIDDEN", "join the board first");
      socket.data.boards.set(p.boardId, p.cardId ?? undefined);
      s.presence.focused(p.boardId, user.id);
      return {};
    },
    true,
  );

  // SPEC TX-10: the demo fault switch, offered only by a node started with it (never by default).
  on(
    "sim:crash",
    async (p) => {
      if (!s.demoFaults) throw new ConcordError("FORBIDDEN", "this node does not offer the demo fault switch");
      socket.data.crashAfter = p.after ?? undefined;
      return {};
    },
    true,
  );

  socket.on("disconnect", () => {
    for (const boardId of socket.data.boards.keys()) s.presence.left(boardId, user.id);
  });
}
