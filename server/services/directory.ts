import type { Sql, TransactionSql } from "postgres";
import { ConcordError, type User } from "../../lib/protocol";
import type { Databases } from "../db/databases";
import { replayOf } from "./idempotency";
import type { WriteResult } from "./records";

/**
 * Where a card lives (SPEC ID-1). The catalog's `card_ids` table is the authority: one row per
 * card id, claimed atomically before the card is created (so an id cannot exist on two shards),
 * moved to the target board in the same catalog transaction as a cross-shard move's commit
 * decision. Answers are cached per node; a stale answer is harmless because every write
 * re-checks the card's board inside its shard transaction, and then asks again with `fresh`,
 * which also checks the shards and repairs the row if a crash left it behind.
 */
export class CardDirectory {
  private readonly cache = new Map<string, string>(); // cardId → boardId

  constructor(private readonly dbs: Databases) {}

  /**
   * Reserves `cardId` for a create (`mutationId`) on `board`. True when the id is new, or when it
   * is this board's and no other write was ever applied to it (the same create sent again, after
   * a claim whose write did not go through); false when it belongs to another board, or was used
   * on this one (a card that exists or was deleted: ids are never reused).
   */
  async claim(cardId: string, board: { id: string; shard: string }, mutationId: string): Promise<boolean> {
    const sql = this.dbs.catalogSql;
    const inserted = await sql`INSERT INTO card_ids (card_id, board_id) VALUES (${cardId}, ${board.id}) ON CONFLICT DO NOTHING RETURNING card_id`;
    if (inserted.length > 0) {
      this.remember(cardId, board.id);
      return true;
    }
    if ((await this.lookup(cardId)) !== board.id) return false;
    const store = this.dbs.shards.get(board.shard);
    if (!store) return false;
    return (await store.appliedOfCard(store.sql, cardId)).every((m) => m.mutationId === mutationId);
  }

  async boardOf(cardId: string, fresh = false): Promise<string | null> {
    if (!fresh) {
      const hit = this.cache.get(cardId);
      if (hit) return hit;
    }
    const listed = await this.lookup(cardId);
    const boardId = !listed || fresh ? await this.verify(cardId, listed) : listed;
    if (boardId) this.remember(cardId, boardId);
    else this.cache.delete(cardId);
    return boardId;
  }

  /**
   * The shards' own answer, for ids the catalog does not know yet (cards made before it kept
   * them) or that a crash between a shard commit and its catalog update left stale. A shard row
   * wins over the catalog row, and the catalog is repaired to match.
   */
  private async verify(cardId: string, claimed: string | null): Promise<string | null> {
    const found = await Promise.all([...this.dbs.shards.values()].map((s) => s.boardOfCard(cardId)));
    const actual = found.find((b) => b !== null);
    if (!actual) return claimed; // deleted (or never created): the id stays reserved
    if (actual !== claimed) await this.point(this.dbs.catalogSql, cardId, actual);
    return actual;
  }

  /** The catalog's row for the card: its board, or null. */
  private async lookup(cardId: string): Promise<string | null> {
    const [row] = await this.dbs.catalogSql<{ board_id: string }[]>`SELECT board_id FROM card_ids WHERE card_id = ${cardId}`;
    return row?.board_id ?? null;
  }

  /**
   * Points the card's row at `boardId` (ID-1), on `q`: the catalog, or the transaction of a
   * cross-shard move's commit decision (TX-6). The cache follows once the caller has committed.
   */
  async point(q: Sql | TransactionSql, cardId: string, boardId: string): Promise<void> {
    await q`INSERT INTO card_ids (card_id, board_id) VALUES (${cardId}, ${boardId}) ON CONFLICT (card_id) DO UPDATE SET board_id = excluded.board_id`;
  }

  /** Registers every card of every shard that the catalog does not know yet (cards older than ID-1). */
  async backfill(): Promise<number> {
    let added = 0;
    for (const shard of this.dbs.shards.values()) {
      const rows = await shard.allCardIds();
      const sql = this.dbs.catalogSql;
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000).map((r) => ({ card_id: r.cardId, board_id: r.boardId }));
        const inserted = await sql`INSERT INTO card_ids ${sql(chunk, "card_id", "board_id")} ON CONFLICT DO NOTHING RETURNING card_id`;
        added += inserted.length;
      }
    }
    return added;
  }

  remember(cardId: string, boardId: string): void {
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(cardId, boardId);
  }

  forget(cardId: string): void {
    this.cache.delete(cardId);
  }

  /**
   * The stored result of a mutation applied on any shard (IDEM-2: replays of writes whose card
   * is gone or elsewhere); throws BAD_REQUEST for someone else's mutationId (IDEM-1).
   */
  async appliedAnywhere(mutationId: string, user: User): Promise<WriteResult | null> {
    const found = await Promise.all([...this.dbs.shards.values()].map((s) => s.applied<WriteResult>(s.sql, [mutationId])));
    const row = found.map((m) => m.get(mutationId)).find((r) => r !== undefined);
    if (!row) return null;
    const replay = replayOf(row, user.id);
    if (replay instanceof ConcordError) throw replay;
    return replay;
  }
}
