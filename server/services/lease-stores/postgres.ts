import type { Sql } from "postgres";
import type { Lock, User } from "../../../lib/protocol";
import type { LeaseStore } from "./types";

/** A `leases` row (bigint as a string; the timestamp as the catalog client parses it). */
interface LeaseRow {
  card_id: string;
  holder_id: string;
  holder_name: string;
  token: string | number;
  expires_at: Date | string;
}

function toLock(row: LeaseRow): Lock {
  return { cardId: row.card_id, holder: { id: row.holder_id, name: row.holder_name }, token: Number(row.token), expiresAt: new Date(row.expires_at).toISOString() };
}

/** Leases as rows of the catalog's `leases` table; tokens from the `lock_tokens` sequence. */
export class PostgresLeaseStore implements LeaseStore {
  readonly backend = "postgres" as const;

  constructor(private readonly catalog: Sql) {}

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
      const out = (await this.catalog.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`lease:${card.id}`}, 0))`;
        const [saved] = await tx<LeaseRow[]>`
          INSERT INTO leases (card_id, board_id, holder_id, holder_name, token, expires_at)
          VALUES (${card.id}, ${card.boardId}, ${holder.id}, ${holder.name}, nextval('lock_tokens'),
                  statement_timestamp() + make_interval(secs => ${ttlMs / 1000}))
          ON CONFLICT (card_id) DO UPDATE SET board_id = excluded.board_id, holder_id = excluded.holder_id,
            holder_name = excluded.holder_name, token = excluded.token, expires_at = excluded.expires_at
          WHERE leases.holder_id = ${holder.id} OR leases.expires_at <= statement_timestamp()
          RETURNING *`;
        if (saved) return { granted: toLock(saved) };
        const [busy] = await tx<LeaseRow[]>`SELECT * FROM leases WHERE card_id = ${card.id} AND expires_at > statement_timestamp()`;
        return busy ? { busy: toLock(busy) } : null;
      })) as { granted: Lock } | { busy: Lock } | null;
      if (out) return out;
      // The busy lease was released or ran out between the two statements: try again.
    }
  }

  async renew(cardId: string, holderId: string, token: number, ttlMs: number) {
    const [row] = await this.catalog<LeaseRow[]>`
      UPDATE leases SET expires_at = now() + make_interval(secs => ${ttlMs / 1000})
      WHERE card_id = ${cardId} AND token = ${token} AND holder_id = ${holderId} AND expires_at > now() RETURNING *`;
    return row ? toLock(row) : null;
  }

  async release(cardId: string, holderId: string, token: number) {
    const gone = await this.catalog`DELETE FROM leases WHERE card_id = ${cardId} AND token = ${token} AND holder_id = ${holderId} RETURNING card_id`;
    return gone.length > 0;
  }

  async live(cardId: string) {
    const [row] = await this.catalog<LeaseRow[]>`SELECT * FROM leases WHERE card_id = ${cardId} AND expires_at > now()`;
    return row ? toLock(row) : null;
  }

  async liveMany(cardIds: string[]) {
    const out: Lock[] = [];
    for (let i = 0; i < cardIds.length; i += 1000) {
      const ids = cardIds.slice(i, i + 1000);
      const rows = await this.catalog<LeaseRow[]>`SELECT * FROM leases WHERE card_id IN ${this.catalog(ids)} AND expires_at > now()`;
      out.push(...rows.map(toLock));
    }
    return out;
  }

  async lead(name: string, nodeId: string, ttlMs: number) {
    const won = await this.catalog<{ holder_id: string }[]>`
      INSERT INTO leases (card_id, board_id, holder_id, holder_name, token, expires_at)
      VALUES (${`job:${name}`}, '', ${nodeId}, ${nodeId}, 0, now() + make_interval(secs => ${ttlMs / 1000}))
      ON CONFLICT (card_id) DO UPDATE SET holder_id = excluded.holder_id, holder_name = excluded.holder_name,
        expires_at = excluded.expires_at
      WHERE leases.holder_id = ${nodeId} OR leases.expires_at <= now()
      RETURNING holder_id`;
    return won[0]?.holder_id === nodeId;
  }

  async close() {}
}
