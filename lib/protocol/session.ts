/** Health answer of `GET /api/health`. */
export interface Health {
  ok: true;
  nodeId: string;
  shards: string[];
  twoPhaseCommit: boolean;
  locks: "postgres" | "redis";
  adapter: "postgres" | "redis" | "memory";
  /** Each shard that has a standby (SPEC STANDBY-6); absent when none has. */
  replication?: ShardReplication[];
  /** Demo mode with embedded standbys: `POST /api/demo/kill-primary { shard }` kills a shard's primary. */
  canKillPrimary?: true;
}

/** One replicated shard as `GET /api/health` reports it (SPEC STANDBY-6). */
export interface ShardReplication {
  shard: string;
  /** `sync`: a commit is acknowledged once the standby has it on disk; `async`: at once. */
  mode: "sync" | "async";
  /** The shard's fencing epoch: raised by each failover (STANDBY-3). */
  epoch: number;
  /** host:port of the primary (writes) and of the standby. */
  primary: string;
  standby: string;
  standbyState: "streaming" | "down" | "fenced";
  /** Whether commits wait for the standby right now. */
  synchronous: boolean;
  /** Not yet replayed on the standby: WAL bytes and milliseconds (async: the loss window); null: unknown. */
  lagBytes: number | null;
  lagMs: number | null;
  /** Reads answered by each server on this node, and which answered the last (STANDBY-4). */
  reads: { primary: number; standby: number; last: "primary" | "standby" };
  primaryDownSince: string | null;
  /**
   * Whether the standby holds every acknowledged write (SPEC STANDBY-7). In sync mode a failover
   * happens only then: false right after a failover, until the rebuilt standby has caught up.
   */
  standbyReady: boolean;
  failovers: number;
}

export interface SessionReply {
  token: string;
  user: { id: string; name: string };
}

/**
 * Someone's handle (SPEC ACCOUNT-3): the first four characters of their user id after `u_`.
 * People are shown as "name #handle", and no two users of one name share a handle.
 */
export function userHandle(userId: string): string {
  return userId.replace(/^u_/, "").slice(0, 4);
}
