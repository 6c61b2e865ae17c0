import { eq, sql } from "drizzle-orm";
import { ConcordError, type Card, type Change } from "../../lib/protocol";
import { boardHeads, changes } from "../db/shard-schema";
import type { ShardDb } from "../db/databases";

/** Appends one change at the board's next seq (the head row must already be locked). */
export async function appendChange(
  db: Pick<ShardDb, "update" | "insert">,
  boardId: string,
  c: { type: Change["type"]; card?: Card; cardId: string; mutationId: string; by: string },
): Promise<Change> {
  const [head] = await db
    .update(boardHeads)
    .set({ seq: sql`${boardHeads.seq} + 1` })
    .where(eq(boardHeads.boardId, boardId))
    .returning({ seq: boardHeads.seq });
  if (!head) throw new ConcordError("NOT_FOUND", "board has no head on its shard");
  const at = new Date();
  await db.insert(changes).values({ boardId, seq: head.seq, type: c.type, cardId: c.cardId, card: c.card ?? null, mutationId: c.mutationId, by: c.by, at });
  const base = { boardId, seq: head.seq, type: c.type, mutationId: c.mutationId, by: c.by, at: at.toISOString() };
  return c.type === "card.upsert" ? { ...base, card: c.card! } : { ...base, cardId: c.cardId };
}
