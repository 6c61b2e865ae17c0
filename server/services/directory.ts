import { eq } from "drizzle-orm";
import type { User } from "../../lib/protocol";
import { cardIds } from "../db/catalog-schema";
import type { Databases } from "../db/databases";
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
   * Reserves `cardId` for `boardId`. True when the id is new, or already belongs to this board
   * (a retried create); false when it belongs to another board, on whatever shard.
   */
  async claim(cardId: string, boardId: string): Promise<boolean> {
    const inserted = await this.dbs.catalog.insert(cardIds).values({ cardId, boardId }).onConflictDoNothing().returning();
    if (inserted.length > 0) {
      this.remember(cardId, boardId);
      return true;
    }
    const [row] = await this.dbs.catalog.select().from(cardIds).where(eq(cardIds.cardId, cardId));
    return row?.boardId === boardId;
  }

  async boardOf(cardId: string, fresh = false): Promise<string | null> {
    if (!fresh) {
      const hit = this.cache.get(cardId);
      if (hit) return hit;
    }
    const [row] = await this.dbs.catalog.select().from(cardIds).where(eq(cardIds.cardId, cardId));
    const boardId = !row || fresh ? await this.verify(cardId, row?.boardId ?? null) : row.boardId;
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
    if (actual !== claimed) {
      await this.dbs.catalog
        .insert(cardIds)
        .values({ cardId, boardId: actual })
        .onConflictDoUpdate({ target: cardIds.cardId, set: { boardId: actual } });
    }
    return actual;
  }

  /** Registers every card of every shard that the catalog does not know yet (cards older than ID-1). */
  async backfill(): Promise<number> {
    let added = 0;
    for (const shard of this.dbs.shards.values()) {
      const rows = await shard.allCardIds();
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const inserted = await this.dbs.catalog.insert(cardIds).values(chunk).onConflictDoNothing().returning({ id: cardIds.cardId });
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

  /** A mutation already applied somewhere (for replays of writes whose card is gone). */
  async appliedAnywhere(mutationId: string, user: User): Promise<WriteResult | "foreign" | null> {
    const found = await Promise.all([...this.dbs.shards.values()].map((s) => s.applied<WriteResult>(s.sql, [mutationId])));
    const row = found.map((m) => m.get(mutationId)).find((r) => r !== undefined);
    if (!row) return null;
    return row.userId === user.id ? row.result : "foreign";
  }
}
