import { and, eq, getTableColumns, gt, lte, or, sql } from "drizzle-orm";
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

  async grant(card: { id: string; boardId: string }, holder: User, ttlMs: number) {
    return this.catalog.transaction(async (tx) => {
      const [current] = await tx
        .select({ ...getTableColumns(leases), live: sql<boolean>`${leases.expiresAt} > now()` })
        .from(leases)
        .where(eq(leases.cardId, card.id))
        .for("update");
      if (current && current.live && current.holderId !== holder.id) return { busy: toLock(current) };
      const [{ token }] = (await tx.execute(sql`SELECT nextval('lock_tokens')::int AS token`)) as unknown as [{ token: number }];
      const row = { cardId: card.id, boardId: card.boardId, holderId: holder.id, holderName: holder.name, token, expiresAt: until(ttlMs) };
      const [saved] = await tx.insert(leases).values(row).onConflictDoUpdate({ target: leases.cardId, set: row }).returning();
      return { granted: toLock(saved!) };
    });
  }

  async renew(cardId: string, holderId: string, token: number, ttlMs: number) {
    const [row] = await this.catalog
      .update(leases)
      .set({ expiresAt: until(ttlMs) })
      .where(and(eq(leases.cardId, cardId), eq(leases.token, token), eq(leases.holderId, holderId), gt(leases.expiresAt, sql`now()`)))
      .returning();
    return row ? toLock(row) : null;
  }

  async release(cardId: string, holderId: string, token: number) {
    await this.catalog.delete(leases).where(and(eq(leases.cardId, cardId), eq(leases.token, token), eq(leases.holderId, holderId)));
  }

  async live(cardId: string) {
    const [row] = await this.catalog.select().from(leases).where(and(eq(leases.cardId, cardId), gt(leases.expiresAt, sql`now()`)));
    return row ? toLock(row) : null;
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
