import { z } from "zod";
import { ConcordError, LIMITS, textSchema, type Board, type Card, type Change } from "../../lib/protocol";
import { toWireCard, type CardState } from "../../lib/sync/write";
import type { ShardStore, ShardTx } from "../db/shard-store";
import type { BoardMeta } from "./boards";

/** `more` + `cursor`: the answer continues; ask again with `board:join { boardId, cursor }` (SPEC FEED-5). */
type Paging = { more?: true; cursor?: string };

export type JoinResult =
  | ({ board: Board; seq: number; cards: Card[]; reset?: true } & Paging)
  | ({ board: Board; seq: number; changes: Change[] } & Paging);

/** Room left in each page for the envelope (board, seq, cursor, and what the transport adds). */
const ENVELOPE_BYTES = 32 * 1024;
/** SPEC FEED-7: the most JSON a snapshot's first page carries (about a hundred cards): enough for the top of every column. */
const FIRST_PAGE_BYTES = 48 * 1024;
/** Most items in one page, however small. */
const MAX_PAGE_ROWS = 1_000;
/**
 * Rows read at first for a page, then as many as the largest so far says still fit, at most
 * MAX_BATCH_ROWS: what a page holds in memory beyond its budget is at most one batch of rows,
 * each bounded by the field limits and MVR-5.
 */
const FIRST_BATCH_ROWS = 16;
const MAX_BATCH_ROWS = 64;
/**
 * SPEC FEED-6: below this many changes a catch-up always answers the changes (small and exact);
 * above it, it answers whichever is smaller, the changes or a snapshot. `CATCH_UP_MIN_CHANGES`
 * sets it (`npm run verify` raises it: its checkers read every board's whole log with since 0).
 */
export const CATCH_UP_MIN_CHANGES = Number(process.env.CATCH_UP_MIN_CHANGES) > 0 ? Number(process.env.CATCH_UP_MIN_CHANGES) : 256;

/**
 * Where a paged answer continues (SPEC FEED-5), opaque to clients. `cards`: the snapshot taken at
 * `seq`, after the card at (`position`, `id`); `changes`: the change log after `seq`. Nothing is
 * kept on the server, so any node can serve the next page.
 */
const cursorSchema = z.discriminatedUnion("k", [
  // SPEC INPUT-3: a forged cursor's text reaches SQL too, so it must be well-formed text.
  z.object({ k: z.literal("cards"), b: textSchema(), s: z.number().int().nonnegative(), p: textSchema(), i: textSchema() }).strict(),
  z.object({ k: z.literal("changes"), b: textSchema(), s: z.number().int().nonnegative() }).strict(),
]);
type Cursor = z.infer<typeof cursorSchema>;

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

/** A cursor this server made for this board, or BAD_REQUEST. */
function decodeCursor(text: string, boardId: string): Cursor {
  let parsed: ReturnType<typeof cursorSchema.safeParse> | undefined;
  try {
    parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success || parsed.data.b !== boardId) throw new ConcordError("BAD_REQUEST", "cursor is not one this board's join answered");
  return parsed.data;
}

const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/**
 * Fills one page (SPEC FEED-5): reads rows in order, in batches sized from the largest row seen
 * so far, and keeps items while their JSON fits `budget` (always at least one: a lone item larger
 * than the budget goes alone). So a page never loads more than what fits plus one batch, and
 * costs a few round trips whatever the row size. `more`: an item was left for the next page.
 */
async function fillPage<R, T>(
  fetch: (after: R | undefined, limit: number) => Promise<R[]>,
  toItem: (row: R) => T,
  budget: number,
): Promise<{ items: { row: R; item: T }[]; more: boolean }> {
  const items: { row: R; item: T }[] = [];
  let used = 0;
  let largest = 0;
  let batch = FIRST_BATCH_ROWS;
  for (;;) {
    const rows = await fetch(items[items.length - 1]?.row, batch);
    for (const row of rows) {
      const item = toItem(row);
      const size = jsonBytes(item);
      if (items.length > 0 && (used + size > budget || items.length >= MAX_PAGE_ROWS)) return { items, more: true };
      items.push({ row, item });
      used += size;
      largest = Math.max(largest, size);
    }
    if (rows.length < batch) return { items, more: false };
    batch = Math.min(MAX_BATCH_ROWS, Math.max(1, Math.floor((budget - used) / largest) + 1));
  }
}

/**
 * The change feed (SPEC FEED-*): snapshots, exact catch-up from a cursor, card history, and
 * trimming. The log keeps at least `keep` changes per board; a cursor older than what is kept
 * gets a full snapshot with `reset: true` instead of a partial list. Every answer is one page of
 * at most `pageBytes` of JSON (FEED-5); `more` + `cursor` say where it continues.
 */
export class FeedService {
  /** `pageBytes`: the most JSON one `board:join` answer carries (SPEC FEED-5). */
  constructor(
    private readonly shardOf: (board: BoardMeta) => ShardStore,
    private readonly keep: number,
    private readonly pageBytes: number = LIMITS.joinPageBytes,
  ) {}

  /**
   * One page of a `board:join` answer (SPEC FEED-2, FEED-5): changes after `since`, a snapshot,
   * or the continuation a `cursor` names. Each page is read in one REPEATABLE READ transaction.
   */
  async join(meta: BoardMeta, since?: number, cursor?: string): Promise<JoinResult> {
    const at = cursor === undefined ? undefined : decodeCursor(cursor, meta.id);
    const budget = Math.max(1, this.pageBytes - ENVELOPE_BYTES);
    const store = this.shardOf(meta);
    // SPEC STANDBY-4: the standby may answer once it has reached the primary's head.
    const known = Math.max(since ?? 0, at?.s ?? 0);
    return store.snapshot(async (tx) => {
      const head = await store.head(tx, meta.id);
      const seq = head?.seq ?? 0;
      const inLog = (n: number) => head !== null && n >= head.floor && n <= seq;
      const from = at ? (at.k === "changes" ? at.s : undefined) : since;
      // SPEC FEED-6: a `since` whose changes outweigh the board's cards gets the snapshot instead.
      const smaller = at === undefined && from !== undefined && inLog(from) && (await this.snapshotIsSmaller(tx, store, meta.id, seq - from));
      if (from !== undefined && inLog(from) && !smaller) return this.changesPage(tx, store, { ...meta, seq }, from, budget);
      // A snapshot's later pages are read as of now, not as of its seq: the changes after its
      // seq, which the last page sends the client on to, repair whatever moved in between.
      if (at?.k === "cards" && inLog(at.s)) return this.cardsPage(tx, store, meta, at.s, seq, { position: at.p, id: at.i }, budget);
      // SPEC FEED-7: a first join's first page is small, so a tab can show the top of the board at once.
      const fresh = since === undefined && at === undefined;
      const first = await this.cardsPage(tx, store, meta, seq, seq, undefined, fresh ? Math.min(budget, FIRST_PAGE_BYTES) : budget);
      return fresh ? first : { ...first, reset: true as const };
    }, { boardId: meta.id, known });
  }

  /**
   * SPEC FEED-6: true when `changes` changes outweigh a snapshot of the board. Each change carries
   * at most one card (a delete carries none), a snapshot each live card once, so it compares
   * counts: the changes outweigh the snapshot when there are more of them than live cards. The
   * count stops at `changes` (an index-only read of at most that many rows).
   */
  private async snapshotIsSmaller(tx: ShardTx, store: ShardStore, boardId: string, changes: number): Promise<boolean> {
    if (changes <= CATCH_UP_MIN_CHANGES) return false;
    return (await store.countCards(tx, boardId, changes)) < changes;
  }

  /**
   * Cards of the snapshot taken at `snapSeq`, in (position, id) order after `after`, up to the
   * budget. The last page of a snapshot read over several pages points on to the changes after
   * `snapSeq` (unless there are none): only then is the client's copy exact.
   */
  private async cardsPage(
    tx: ShardTx, store: ShardStore, meta: BoardMeta, snapSeq: number, headSeq: number, after: { position: string; id: string } | undefined, budget: number,
  ): Promise<JoinResult> {
    const { items, more } = await fillPage<CardState, Card>(
      (from, limit) => store.cardsAfter(tx, meta.id, from ?? after, limit),
      (r) => toWireCard(r, meta.policy),
      budget,
    );
    const board: Board = { ...meta, seq: snapSeq };
    const page = items.map((x) => x.item);
    if (more) {
      const last = items[items.length - 1]!.row;
      return { board, seq: snapSeq, cards: page, more: true, cursor: encodeCursor({ k: "cards", b: meta.id, s: snapSeq, p: last.position, i: last.id }) };
    }
    if (after !== undefined && snapSeq < headSeq) {
      return { board, seq: snapSeq, cards: page, more: true, cursor: encodeCursor({ k: "changes", b: meta.id, s: snapSeq }) };
    }
    return { board, seq: snapSeq, cards: page };
  }

  /**
   * Changes after `since` in seq order, up to the budget. `seq` is where the page ends, so a
   * client that applies it is exactly there, whether or not it follows `more`.
   */
  private async changesPage(tx: ShardTx, store: ShardStore, board: Board, since: number, budget: number): Promise<JoinResult> {
    const { items, more } = await fillPage<Change, Change>(
      (from, limit) => store.changesAfter(tx, board.id, from?.seq ?? since, limit),
      (c) => c,
      budget,
    );
    const page = items.map((x) => x.item);
    if (more) {
      const end = page[page.length - 1]!.seq;
      return { board: { ...board, seq: end }, seq: end, changes: page, more: true, cursor: encodeCursor({ k: "changes", b: board.id, s: end }) };
    }
    return { board, seq: board.seq, changes: page };
  }

  /**
   * SPEC HIST-2: the card's changes on every board it has been on (every shard: a card id is
   * unique, ID-1), in time order, the newest `limit`, keeping only those on boards `mayRead`
   * admits. A move shows as its delete on the old board and its upsert on the new one (one mutationId).
   */
  async historyAcross(shards: ShardStore[], cardId: string, mayRead: (boardId: string) => Promise<boolean>, limit = 200): Promise<Change[]> {
    const all = (await Promise.all(shards.map((s) => s.cardHistory(cardId, limit)))).flat();
    const readable = new Map<string, boolean>();
    for (const b of new Set(all.map((c) => c.boardId))) readable.set(b, await mayRead(b));
    // Time order; within one instant a move's delete (old board) comes before its upsert (new board).
    const rank = (c: Change) => (c.type === "card.delete" ? 0 : 1);
    return all
      .filter((c) => readable.get(c.boardId))
      .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0) || (x.mutationId === y.mutationId ? rank(x) - rank(y) : 0) || x.seq - y.seq)
      .slice(-limit);
  }

  /** The card's changes on the board, oldest first, at most `limit`. */
  history(meta: BoardMeta, cardId: string, limit = 200): Promise<Change[]> {
    return this.shardOf(meta).history(meta.id, cardId, limit);
  }

  /** Trims every shard's logs to the newest `keep` changes per board (FEED-3). */
  async trim(shards: Iterable<ShardStore>): Promise<number> {
    let removed = 0;
    for (const shard of shards) removed += await shard.trim(this.keep);
    return removed;
  }
}
