import { and, eq, gt, sql } from "drizzle-orm";
import { ConcordError, type Lock, type User } from "../../lib/protocol";
import { leases } from "../db/catalog-schema";
import { cards } from "../db/shard-schema";
import type { CatalogDb, ShardDb } from "../db/databases";

/** What the record service needs to know about leases: the live one on a card, if any. */
export interface LeaseReader {
  live(cardId: string): Promise<Lock | null>;
}

export const DEFAULT_TTL_MS = 30_000;

type LeaseRow = typeof leases.$inferSelect;

function toLock(row: LeaseRow): Lock {
  return {
    cardId: row.cardId,
    holder: { id: row.holderId, name: row.holderName },
    token: row.token,
    expiresAt: row.expiresAt.toISOString(),
  };
}

/**
 * Expiring leases with fencing tokens, kept in the catalog (Postgres backend).
 * SPEC LOCK-1: tokens come from one sequence, so each grant is newer than all before it.
 * SPEC LOCK-2: a grant raises the card's fence on its shard before it is returned, so the
 * database refuses older tokens even before the new holder writes anything.
 */
export class PostgresLockService implements LeaseReader {
  readonly backend = "postgres" as const;

  constructor(private readonly catalog: CatalogDb) {}

  async live(cardId: string): Promise<Lock | null> {
    const [row] = await this.catalog
      .select()
      .from(leases)
      .where(and(eq(leases.cardId, cardId), gt(leases.expiresAt, sql`now()`)));
    return row ? toLock(row) : null;
  }

  async acquire(user: User, card: { id: string; boardId: string }, shard: ShardDb, ttlMs = DEFAULT_TTL_MS): Promise<Lock> {
    const lock = await this.catalog.transaction(async (tx) => {
      const [current] = await tx.select().from(leases).where(eq(leases.cardId, card.id)).for("update");
      const live = current && current.expiresAt.getTime() > Date.now();
      if (live && current.holderId !== user.id) {
        throw new ConcordError("LOCKED", `locked by ${current.holderName}`, { lock: toLock(current) });
      }
      const [{ token }] = (await tx.execute(sql`SELECT nextval('lock_tokens')::int AS token`)) as unknown as [{ token: number }];
      const row = {
        cardId: card.id, boardId: card.boardId, holderId: user.id, holderName: user.name, token,
        expiresAt: sql`now() + make_interval(secs => ${ttlMs / 1000})`,
      };
      const [saved] = await tx
        .insert(leases)
        .values(row)
        .onConflictDoUpdate({ target: leases.cardId, set: { ...row } })
        .returning();
      return toLock(saved!);
    });
    const raised = await shard
      .update(cards)
      .set({ fence: sql`GREATEST(${cards.fence}, ${lock.token})` })
      .where(eq(cards.id, card.id))
      .returning({ id: cards.id });
    if (raised.length === 0) {
      await this.release(user, card.id, lock.token).catch(() => {});
      throw new ConcordError("NOT_FOUND", "no such card");
    }
    return lock;
  }

  async renew(user: User, cardId: string, token: number, ttlMs = DEFAULT_TTL_MS): Promise<Lock> {
    const [row] = await this.catalog
      .update(leases)
      .set({ expiresAt: sql`now() + make_interval(secs => ${ttlMs / 1000})` })
      .where(and(eq(leases.cardId, cardId), eq(leases.token, token), eq(leases.holderId, user.id), gt(leases.expiresAt, sql`now()`)))
      .returning();
    if (!row) throw new ConcordError("STALE_LOCK", "this lease expired or was granted to someone else");
    return toLock(row);
  }

  async release(user: User, cardId: string, token: number): Promise<void> {
    await this.catalog
      .delete(leases)
      .where(and(eq(leases.cardId, cardId), eq(leases.token, token), eq(leases.holderId, user.id)));
  }
}
