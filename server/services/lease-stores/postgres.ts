import { and, eq, gt, inArray, lte, or, sql } from "drizzle-orm";
import type { Lock, User } from "../../../lib/protocol";
import { leases } from "../../db/catalog-schema";
import type { CatalogDb } from "../../db/databases";
import type { LeaseStore } from "./types";

type LeaseRow = typeof leases.$inferSelect;

function toLock(row: LeaseRow): Lock {
  return { cardId: row.cardId, holder: { id: row.holderId, name: row.holderName }, token: row.token, expiresAt: new Date(row.expiresAt).toISOString() };
}

const until = (ttlMs: number) => sql`now() + make_interval(secs => ${ttlMs / 1000})`;

/** Leases as rows of the catalog's `leases` table; tokens from the `lock_tokens` sequence. */
export class PostgresLeaseStore implements LeaseStore {
  readonly backend = "postgres" as const;

  constructor(private readonly catalog: CatalogDb) {}

  /**
   * SPEC LOCK-6: exclusive. The grant is one conditional upsert: it inserts the lease, or takes
   * over the card's row only when that row has expired or is the same holder's; when another
   * holder's lease is live it changes nothing and returns no row (a `SELECT … FOR UPDATE` cannot
   * do this: on a card without a row it locks nothing, and two grants both went on to write).
   * A transaction-scoped advisory lock per card orders the grants of one card, so the token
   * (taken after that lock) grows with every grant of the card (SPEC LOCK-1), even when a
   * release deletes the row between two grants.
   */
  async grant(card: { id: string; boardId: string }, holder: User, ttlMs: number): Promise<{ granted: Lock } | { busy: Lock }> {
    for (;;) {
      const out = await this.catalog.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`lease:${card.id}`}, 0))`);
        const expiresAt = sql`statement_timestamp() + make_interval(secs => ${ttlMs / 1000})`;
        const [saved] = await tx
          .insert(leases)
          .values({ cardId: card.id, boardId: card.boardId, holderId: holder.id, holderName: holder.name, token: sql`nextval('lock_tokens')`, expiresAt })
          .onConflictDoUpdate({
            target: leases.cardId,
            set: {
              boardId: sql`excluded.board_id`, holderId: sql`excluded.holder_id`, holderName: sql`excluded.holder_name`,
              token: sql`excluded.token`, expiresAt: sql`excluded.expires_at`,
            },
            setWhere: or(eq(leases.holderId, holder.id), lte(leases.expiresAt, sql`statement_timestamp()`)),
          })
          .returning();
        if (saved) return { granted: toLock(saved) };
        const [busy] = await tx.select().from(leases).where(and(eq(leases.cardId, card.id), gt(leases.expiresAt, sql`statement_timestamp()`)));
        return busy ? { busy: toLock(busy) } : null;
      });
      if (out) return out;
      // The busy lease was released or ran out between the two statements: try again.
    }
  }

  async renew(cardId: string, holderId: string, token: number, ttlMs: number) {
    const [row] = await this.catalog
      .update(leases)
      .set({ expiresAt: until(ttlMs) })
      .where(and(eq(leases.cardId, cardId), eq(leases.token, token), eq(leases.holderId, holderId)))
      .returning();
    return row ? toLock(row) : null;
  }

  async release(cardId: string, holderId: string, token: number) {
    const gone = await this.catalog
      .delete(leases)
      .where(and(eq(leases.cardId, cardId), eq(leases.token, token), eq(leases.holderId, holderId)))
      .returning({ cardId: leases.cardId });
    return gone.length > 0;
  }

  async live(cardId: string) {
    const [row] = await this.catalog.select().from(leases).where(and(eq(leases.cardId, cardId), gt(leases.expiresAt, sql`now()`)));
    return row ? toLock(row) : null;
  }

  async liveMany(cardIds: string[]) {
    const out: Lock[] = [];
    for (let i = 0; i < cardIds.length; i += 1000) {
      const ids = cardIds.slice(i, i + 1000);
      const rows = await this.catalog.select().from(leases).where(and(inArray(leases.cardId, ids), gt(leases.expiresAt, sql`now()`)));
      out.push(...rows.map(toLock));
    }
    return out;
  }

  async lead(name: string, nodeId: string, ttlMs: number) {
    const key = `job:${name}`;
    const row = { cardId: key, boardId: "", holderId: nodeId, holderName: nodeId, token: 0, expiresAt: until(ttlMs) };
    const won = await this.catalog
      .insert(leases)
      .values(row)
      .onConflictDoUpdate({
        target: leases.cardId,
        set: { holderId: nodeId, holderName: nodeId, expiresAt: until(ttlMs) },
        setWhere: or(eq(leases.holderId, nodeId), lte(leases.expiresAt, sql`now()`)),
      })
      .returning({ holder: leases.holderId });
    return won[0]?.holder === nodeId;
  }

  async close() {}
}
