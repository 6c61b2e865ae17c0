import { eq } from "drizzle-orm";
import type { User } from "../../lib/protocol";
import { appliedMutations, cards } from "../db/shard-schema";
import type { Databases } from "../db/databases";
import type { WriteResult } from "./records";

/**
 * Where a card lives. Card ids carry no shard, so the directory asks every shard (in parallel)
 * and remembers the answer; a stale answer is harmless because every write re-checks the card's
 * board inside its transaction and retries the lookup once when it moved.
 */
export class CardDirectory {
  private readonly cache = new Map<string, string>(); // cardId → boardId

  constructor(private readonly dbs: Databases) {}

  async boardOf(cardId: string, fresh = false): Promise<string | null> {
    if (!fresh) {
      const hit = this.cache.get(cardId);
      if (hit) return hit;
    }
    const found = await Promise.all(
      [...this.dbs.shards.values()].map((s) => s.db.select({ boardId: cards.boardId }).from(cards).where(eq(cards.id, cardId))),
    );
    const boardId = found.flat()[0]?.boardId ?? null;
    if (boardId) this.remember(cardId, boardId);
    else this.cache.delete(cardId);
    return boardId;
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
    const found = await Promise.all(
      [...this.dbs.shards.values()].map((s) =>
        s.db.select().from(appliedMutations).where(eq(appliedMutations.mutationId, mutationId)),
      ),
    );
    const row = found.flat()[0];
    if (!row) return null;
    return row.userId === user.id ? (row.result as WriteResult) : "foreign";
  }
}
