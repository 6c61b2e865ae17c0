import { and, asc, desc, eq, gt, lte, sql } from "drizzle-orm";
import type { Board, Card, Change } from "../../lib/protocol";
import { boardHeads, cards, changes } from "../db/shard-schema";
import type { ShardDb } from "../db/databases";
import type { BoardMeta } from "./boards";
import { rowToCard } from "./card-row";

type ChangeRow = typeof changes.$inferSelect;

export function rowToChange(r: ChangeRow): Change {
  const base = { boardId: r.boardId, seq: r.seq, type: r.type, mutationId: r.mutationId, by: r.by, at: r.at.toISOString() };
  return r.type === "card.upsert" ? { ...base, card: r.card as Card } : { ...base, cardId: r.cardId };
}

export type JoinResult =
  | { board: Board; seq: number; cards: Card[]; reset?: true }
  | { board: Board; seq: number; changes: Change[] };

/**
 * The change feed (SPEC FEED-*): snapshots, exact catch-up from a cursor, card history, and
 * trimming. The log keeps at least `keep` changes per board; a cursor older than what is kept
 * gets a full snapshot with `reset: true` instead of a partial list.
 */
export class FeedService {
  constructor(
    private readonly shardOf: (board: BoardMeta) => ShardDb,
    private readonly keep: number,
  ) {}

  async join(meta: BoardMeta, since?: number): Promise<JoinResult> {
    const db = this.shardOf(meta);
    // One snapshot for head and rows (REPEATABLE READ): the cards are exactly the state at `seq`.
    return db.transaction(
      async (tx) => {
        const [head] = await tx.select().from(boardHeads).where(eq(boardHeads.boardId, meta.id));
        const seq = head?.seq ?? 0;
        const board: Board = { ...meta, seq };
        if (since !== undefined && head && since >= head.floor && since <= seq) {
          const rows = await tx
            .select()
            .from(changes)
            .where(and(eq(changes.boardId, meta.id), gt(changes.seq, since)))
            .orderBy(asc(changes.seq));
          return { board, seq, changes: rows.map(rowToChange) };
        }
        const rows = await tx.select().from(cards).where(eq(cards.boardId, meta.id)).orderBy(asc(cards.position), asc(cards.id));
        const snapshot = { board, seq, cards: rows.map((r) => rowToCard(r, meta.policy)) };
        return since === undefined ? snapshot : { ...snapshot, reset: true as const };
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
  }

  async history(meta: BoardMeta, cardId: string, limit = 200): Promise<Change[]> {
    const rows = await this.shardOf(meta)
      .select()
      .from(changes)
      .where(and(eq(changes.boardId, meta.id), eq(changes.cardId, cardId)))
      .orderBy(desc(changes.seq))
      .limit(limit);
    return rows.reverse().map(rowToChange);
  }

  /** Drops changes older than the newest `keep` of each board on `db`; raises `floor` to match. */
  async trim(db: ShardDb): Promise<number> {
    const over = await db
      .select()
      .from(boardHeads)
      .where(gt(sql`${boardHeads.seq} - ${boardHeads.floor}`, this.keep));
    let removed = 0;
    for (const h of over) {
      const floor = h.seq - this.keep;
      await db.transaction(async (tx) => {
        await tx.update(boardHeads).set({ floor }).where(and(eq(boardHeads.boardId, h.boardId), lte(boardHeads.floor, floor)));
        const gone = await tx
          .delete(changes)
          .where(and(eq(changes.boardId, h.boardId), lte(changes.seq, floor)))
          .returning({ seq: changes.seq });
        removed += gone.length;
      });
    }
    return removed;
  }
}
