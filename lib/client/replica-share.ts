import { cardList } from "./card-table";
import type { ClientState, ConnectionState, PendingMutation } from "./types";

/**
 * What a tab tells the other tabs of its browser about its replica (SPEC INSP-2), so each
 * inspector can put the tabs' clocks and cursors side by side: small, and rebuilt from the
 * state on every change (app/_lib/replica-share.ts sends it over a BroadcastChannel).
 */
export interface ReplicaSummary {
  replicaId: string;
  user: { id: string; name: string } | null;
  nodeId: string | null;
  connection: ConnectionState;
  /** Local time of the message (ms); peers not heard from for PEER_TTL_MS are forgotten. */
  at: number;
  /** The tab's hybrid logical clock: the last timestamp it issued or merged (SPEC LWW-2). */
  hlc: string;
  /** Per joined board: its cursor (the last seq applied in order, SPEC FEED-4). */
  boards: Record<string, { name: string; seq: number }>;
  /** Its outbox: writes not yet acknowledged (the others cannot have seen them). */
  pending: { mutationId: string; boardId: string; cardId: string; kind: PendingMutation["kind"]; attempts: number }[];
  /** Its view of each card of its boards (at most MAX_CARDS): version, per-field HLCs, vector clock. */
  cards: Record<string, { boardId: string; title: string; version: number; hlc?: Record<string, string>; clock?: Record<string, number>; siblings: number }>;
  /** The last changes it received, oldest first (at most MAX_WRITES): which write is at which seq. */
  writes: SeenWrite[];
}

/** A write as the log holds it: the board, its seq, its card and author. */
export interface SeenWrite {
  mutationId: string;
  boardId: string;
  cardId: string;
  seq: number;
  by: string;
}

export const PEER_TTL_MS = 6_000;
const MAX_CARDS = 300;
const MAX_WRITES = 16;

/** This tab's summary, from its state (pure). */
export function summarize(state: ClientState, hlc: string, at: number): ReplicaSummary {
  const boards: ReplicaSummary["boards"] = {};
  const cards: ReplicaSummary["cards"] = {};
  let listed = 0;
  for (const b of Object.values(state.boards)) {
    boards[b.board.id] = { name: b.board.name, seq: b.seq };
    // Only as many as are listed: a 5 000-card board is not walked (nor copied) 4 times a second.
    for (const c of listed < MAX_CARDS ? cardList(b.confirmed, MAX_CARDS - listed) : []) {
      listed++;
      const siblings = Object.values(c.siblings ?? {}).reduce((n, s) => n + ((s?.length ?? 0) > 1 ? 1 : 0), 0);
      cards[c.id] = {
        boardId: c.boardId, title: c.title, version: c.version, siblings,
        ...(c.hlc ? { hlc: Object.fromEntries(Object.entries(c.hlc).filter((e): e is [string, string] => typeof e[1] === "string")) } : {}),
        ...(c.clock ? { clock: c.clock } : {}),
      };
    }
  }
  const writes: SeenWrite[] = [];
  for (const e of state.events) {
    const t = e.trace;
    if (t?.type !== "change" || t.dropped || !boards[t.boardId]) continue;
    if (writes.some((w) => w.mutationId === t.mutationId)) continue;
    writes.push({ mutationId: t.mutationId, boardId: t.boardId, cardId: t.cardId, seq: t.seq, by: t.by });
  }
  return {
    replicaId: state.replicaId,
    user: state.user ? { id: state.user.id, name: state.user.name } : null,
    nodeId: state.nodeId,
    connection: state.connection,
    at,
    hlc,
    boards,
    pending: state.pending.map((m) => ({ mutationId: m.mutationId, boardId: m.boardId, cardId: m.cardId, kind: m.kind, attempts: m.attempts })),
    cards,
    writes: writes.slice(-MAX_WRITES),
  };
}

/** Where a write stands for one replica. */
export type Seen =
  | { state: "seen"; seq: number }
  | { state: "pending"; attempts: number }
  | { state: "not-yet"; cursor: number }
  | { state: "not-joined" };

/**
 * Whether `replica` has seen `write` (pure). A tab applies each board's changes in seq order
 * without gaps (SPEC FEED-4), so it has seen the write at seq S exactly when its cursor is at S
 * or past it; a write still in its outbox is its own, unacknowledged.
 */
export function seenBy(replica: ReplicaSummary, write: SeenWrite | { mutationId: string; boardId: string; seq?: number }): Seen {
  const pending = replica.pending.find((m) => m.mutationId === write.mutationId);
  const board = replica.boards[write.boardId];
  if (pending && (write.seq === undefined || !board || board.seq < write.seq)) return { state: "pending", attempts: pending.attempts };
  if (!board) return { state: "not-joined" };
  if (write.seq !== undefined && board.seq >= write.seq) return { state: "seen", seq: write.seq };
  return { state: "not-yet", cursor: board.seq };
}

/**
 * The writes to compare across replicas on one board: each replica's recent changes and pending
 * writes, newest last, at most `max` (pure).
 */
export function writesToCompare(replicas: ReplicaSummary[], boardId: string, max = 8): (SeenWrite | { mutationId: string; boardId: string; cardId: string; by: string; seq?: undefined })[] {
  const byId = new Map<string, SeenWrite | { mutationId: string; boardId: string; cardId: string; by: string; seq?: undefined }>();
  for (const r of replicas) {
    for (const w of r.writes) if (w.boardId === boardId) byId.set(w.mutationId, w);
  }
  for (const r of replicas) {
    for (const m of r.pending) {
      if (m.boardId === boardId && !byId.has(m.mutationId)) byId.set(m.mutationId, { mutationId: m.mutationId, boardId, cardId: m.cardId, by: r.user?.id ?? "" });
    }
  }
  const list = [...byId.values()];
  // Logged writes by seq, then pending ones (not in any log yet).
  list.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  return list.slice(-max);
}

/** The peers still alive at `now`, without this tab, in a stable order (pure). */
export function livePeers(peers: Iterable<ReplicaSummary>, self: string, now: number): ReplicaSummary[] {
  return [...peers].filter((p) => p.replicaId !== self && now - p.at < PEER_TTL_MS).sort((a, b) => a.replicaId.localeCompare(b.replicaId));
}
