import { ConcordError, type Lock, type User } from "../../lib/protocol";
import type { ShardStore } from "../db/shard-store";
import { closedError } from "./closed";
import type { LeaseStore } from "./lease-stores/types";

/** What the record service needs to know about leases: the live one on a card, if any. */
export interface LeaseReader {
  live(cardId: string): Promise<Lock | null>;
}

export const DEFAULT_TTL_MS = 30_000;

/**
 * Expiring leases with fencing tokens over a LeaseStore (Postgres or Redis).
 * SPEC LOCK-2: a grant raises the card's fence on its shard before it is returned, so the
 * database refuses older tokens even before the new holder writes anything.
 */
export class LockService implements LeaseReader {
  constructor(
    private readonly store: LeaseStore,
    private readonly shardOf: (shard: string) => ShardStore,
  ) {}

  live(cardId: string): Promise<Lock | null> {
    return this.store.live(cardId);
  }

  /**
   * SPEC LOCK-8: the live leases of the cards on a board now. Only cards whose fence was ever
   * raised can have one (LOCK-2), and the fence travels with a moved card, so this asks the store
   * about those cards alone, by card id (a lease's recorded board may be out of date after a move).
   */
  async liveOnBoard(board: { id: string; shard: string }): Promise<Lock[]> {
    const fenced = await this.shardOf(board.shard).fencedCards(board.id);
    if (fenced.length === 0) return [];
    return this.store.liveMany(fenced);
  }

  /**
   * `card.boardId` is the board the caller authorized the user against, on shard `card.shard`.
   * SPEC LOCK-7: the fence is raised only while the card is still on that board (checked in the
   * same UPDATE, under the card's row lock); a card that moved away or is gone gets no lease
   * (NOT_FOUND).
   */
  async acquire(user: User, card: { id: string; boardId: string; shard: string }, ttlMs = DEFAULT_TTL_MS): Promise<Lock> {
    const r = await this.store.grant(card, user, ttlMs);
    if ("busy" in r) throw new ConcordError("LOCKED", `locked by ${r.busy.holder.name}`, { lock: r.busy });
    const lock = r.granted;
    const fenced = await this.shardOf(card.shard).raiseFence(card.id, card.boardId, lock.token);
    if (fenced !== "raised") {
      await this.store.release(card.id, user.id, lock.token).catch(() => {});
      // BOARD-8: a board closed under a node whose cache still says open grants no lease either.
      throw fenced === "gone" ? new ConcordError("NOT_FOUND", "no such card") : closedError(fenced);
    }
    return lock;
  }

  /** SPEC LOCK-7: only the holder, with the lease's current token, extends it. */
  async renew(user: User, cardId: string, token: number, ttlMs = DEFAULT_TTL_MS): Promise<Lock> {
    const lock = await this.store.renew(cardId, user.id, token, ttlMs);
    if (!lock) await this.refuse(user, cardId);
    return lock!;
  }

  /**
   * SPEC LOCK-7: only the holder, with the lease's current token, releases it. Releasing a card
   * with no live lease is a no-op (it is free already); false then.
   */
  async release(user: User, cardId: string, token: number): Promise<boolean> {
    if (await this.store.release(cardId, user.id, token)) return true;
    await this.refuse(user, cardId, true);
    return false;
  }

  /** Why a renew or release did nothing: someone else's live lease (LOCKED) or a stale token (STALE_LOCK). */
  private async refuse(user: User, cardId: string, freeIsFine = false): Promise<void> {
    const live = await this.store.live(cardId);
    if (live && live.holder.id !== user.id) throw new ConcordError("LOCKED", `locked by ${live.holder.name}`, { lock: live });
    if (live || !freeIsFine) throw new ConcordError("STALE_LOCK", "this lease expired or was granted to someone else", live ? { lock: live } : undefined);
  }
}
