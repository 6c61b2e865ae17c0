/**
 * Reading a board through `board:join`, following every page (SPEC FEED-5): a snapshot's card
 * pages then the changes after it, or the changes after `since`. Each page is its own recorded
 * request; an `occ` page keeps its cards in the history (they are reads for the linearizability
 * checker), other pages keep only their shape.
 */
import type { VClient } from "./client";
import type { Answer, LogEntry, Policy, WireCardLike } from "./history";

export interface BoardInfo {
  id: string;
  policy: Policy;
  shard: string;
}

export interface BoardRead {
  ok: boolean;
  /** True when the answer was a snapshot (no `since`, or `reset`). */
  snapshot: boolean;
  /** The snapshot's seq (S) when it was one. */
  snapshotSeq: number;
  cards: Map<string, WireCardLike>;
  changes: (LogEntry & { card?: WireCardLike | null })[];
  seq: number;
  floor: number;
}

const trim = (policy: Policy) => (a: Answer): Answer => {
  if (!a.ok) return a;
  const cards = a.cards as WireCardLike[] | undefined;
  return {
    ok: true,
    seq: a.seq,
    ...(a.more ? { more: true } : {}),
    ...(a.reset ? { reset: true } : {}),
    ...(cards ? { cards: policy === "occ" ? cards.map(({ id, boardId, version, fieldVersions, title, body, status, position, tags, estimate }) => ({ id, boardId, version, fieldVersions, title, body, status, position, tags, estimate })) : cards.length } : {}),
    ...(a.changes ? { changes: (a.changes as unknown[]).length } : {}),
  };
};

/** Joins `board` (leaving the socket in its room) and reads every page; ok false when a page was lost or refused. */
export async function readBoard(c: VClient, board: BoardInfo, since?: number): Promise<BoardRead> {
  const out: BoardRead = { ok: false, snapshot: since === undefined, snapshotSeq: 0, cards: new Map(), changes: [], seq: since ?? 0, floor: 0 };
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const payload: Record<string, unknown> = { boardId: board.id };
    if (cursor) payload.cursor = cursor;
    else if (since !== undefined) payload.since = since;
    const a = await c.request("board:join", payload, { kind: "read", policy: board.policy, boardId: board.id }, trim(board.policy));
    if (!a || !a.ok) return out;
    if (page === 0 && (a.reset || a.cards)) {
      out.snapshot = true;
      out.snapshotSeq = a.seq as number;
      out.cards.clear();
      out.changes = [];
    }
    for (const card of (a.cards as WireCardLike[] | undefined) ?? []) out.cards.set(card.id, card);
    for (const ch of (a.changes as (LogEntry & { card?: WireCardLike | null })[] | undefined) ?? []) out.changes.push(ch);
    out.seq = a.seq as number;
    if (typeof a.floor === "number") out.floor = a.floor;
    if (!a.more) {
      out.ok = true;
      return out;
    }
    cursor = a.cursor as string;
  }
  return out;
}

/** Applies a snapshot read and its changes: the board's cards at the read's final seq. */
export function boardState(r: BoardRead, start: Map<string, WireCardLike> = new Map()): Map<string, WireCardLike> {
  const cards = r.snapshot ? new Map(r.cards) : new Map(start);
  for (const ch of r.changes) applyChange(cards, ch);
  return cards;
}

export function applyChange(cards: Map<string, WireCardLike>, ch: { type: string; cardId?: string; card?: WireCardLike | null }): void {
  if (ch.type === "card.upsert" && ch.card) cards.set(ch.card.id, ch.card);
  else if (ch.type === "card.delete") cards.delete(ch.cardId ?? ch.card?.id ?? "");
}
