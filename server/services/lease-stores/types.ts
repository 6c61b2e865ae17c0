import type { Lock, User } from "../../../lib/protocol";

/**
 * Where leases live. Two backends honour one contract (tested by one suite against both):
 * Postgres (the catalog) and Redis. Tokens come from one counter per backend, so every grant is
 * newer than every earlier grant (SPEC LOCK-1).
 */
export interface LeaseStore {
  readonly backend: "postgres" | "redis";
  /** Grants the lease unless another holder's is live (then returns that one as `busy`). */
  grant(card: { id: string; boardId: string }, holder: User, ttlMs: number): Promise<{ granted: Lock } | { busy: Lock }>;
  /** Extends a live lease held by `holderId` with `token`; null when it is not (any more). */
  renew(cardId: string, holderId: string, token: number, ttlMs: number): Promise<Lock | null>;
  /** Ends the lease if `holderId` holds it with `token`; true when it did (SPEC LOCK-7). */
  release(cardId: string, holderId: string, token: number): Promise<boolean>;
  live(cardId: string): Promise<Lock | null>;
  /** The live leases among these cards (any order; cards without one are left out). */
  liveMany(cardIds: string[]): Promise<Lock[]>;
  /** Leader election: true while `nodeId` holds the lease called `name` (taken or renewed here). */
  lead(name: string, nodeId: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}
