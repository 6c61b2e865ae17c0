import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, customType, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });

/** Catalog database: who exists, which boards exist and where they live, leases, the 2PC coordinator log. */

/**
 * Users (SPEC ACCOUNT-1, ACCOUNT-2): a guest has no password; an account has an argon2id
 * `password_hash`, and no two accounts share a name (case-insensitively).
 */
export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    passwordHash: text("password_hash"),
  },
  (t) => [
    uniqueIndex("users_account_name_idx").on(sql`lower(${t.name})`).where(sql`password_hash IS NOT NULL`),
    index("users_name_idx").on(sql`lower(${t.name})`),
  ],
);

export const boards = pgTable("boards", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  policy: text("policy", { enum: ["occ", "lww", "mvr"] }).notNull(),
  shard: text("shard").notNull(),
  visibility: text("visibility", { enum: ["open", "private"] }).notNull(),
  ownerId: text("owner_id").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  /** SPEC BOARD-3: an archived board is read-only and listed apart until its owner restores it. */
  archivedAt: timestamp("archived_at", { withTimezone: true }),
  /** SPEC BOARD-4: a deleted board answers like one that never existed; its card ids stay taken (ID-1). */
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
});

export const boardMembers = pgTable(
  "board_members",
  {
    boardId: text("board_id").notNull(),
    userId: text("user_id").notNull(),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.boardId, t.userId] })],
);

/**
 * Invite codes to private boards (SPEC ACCESS-3): each expires, can be revoked, and may admit at
 * most `max_uses` people (null: any number until it expires). Rows from before expiry existed
 * get the default: 7 days from the migration.
 */
export const invites = pgTable("invites", {
  code: text("code").primaryKey(),
  boardId: text("board_id").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().default(sql`now() + interval '7 days'`),
  maxUses: integer("max_uses"),
  uses: integer("uses").notNull().default(0),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

/**
 * Sessions (SPEC SEC-2): every session token names one row; a token is accepted only while its
 * row is neither revoked (sign-out) nor expired, so signing out ends the session everywhere.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Fencing tokens come from one sequence, so every grant anywhere is newer than every earlier one. */
export const lockTokens = pgSequence("lock_tokens", { startWith: 1 });

/** One row per card that has (or had) a lease. A lease is live while expires_at > now(). */
export const leases = pgTable("leases", {
  cardId: text("card_id").primaryKey(),
  boardId: text("board_id").notNull(),
  holderId: text("holder_id").notNull(),
  holderName: text("holder_name").notNull(),
  token: bigint("token", { mode: "number" }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/**
 * Where every card lives (SPEC ID-1): one row per card id ever created, so an id is unique
 * across all shards (the primary key decides a race atomically). A cross-shard move points the
 * row at the target board in the same catalog transaction that records the commit decision.
 * Rows stay after a delete: an id is never reused.
 */
export const cardIds = pgTable("card_ids", {
  cardId: text("card_id").primaryKey(),
  boardId: text("board_id").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Coordinator log of distributed transactions (two-phase commit). */
export const txLog = pgTable(
  "tx_log",
  {
    txId: text("tx_id").primaryKey(),
    state: text("state", { enum: ["preparing", "prepared", "committed", "aborted"] }).notNull(),
    shards: jsonb("shards").$type<string[]>().notNull(),
    payload: jsonb("payload").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // TX-11: a resent move finds its earlier attempts by mutationId.
  (t) => [index("tx_log_state_idx").on(t.state), index("tx_log_mutation_idx").on(sql`(${t.payload}->'req'->>'mutationId')`)],
);

/** Large broadcast payloads of the Socket.IO Postgres adapter (NOTIFY carries at most 8 kB). */
export const socketIoAttachments = pgTable("socket_io_attachments", {
  id: bigserial("id", { mode: "number" }).unique(),
  createdAt: timestamp("created_at", { withTimezone: true }).defaultNow(),
  payload: bytea("payload"),
});

/**
 * Which server of each replicated shard is its primary, and the shard's epoch (SPEC STANDBY-3):
 * `primary` indexes the pair the configuration names (0: the first URL). Raised only by the
 * elected node's failover, by compare-and-set on `epoch`. No row: the shard has no standby.
 */
export const shardReplicas = pgTable("shard_replicas", {
  shard: text("shard").primaryKey(),
  epoch: bigint("epoch", { mode: "number" }).notNull(),
  primary: integer("primary").notNull(),
  changedAt: timestamp("changed_at", { withTimezone: true }).notNull().defaultNow(),
  /**
   * Whether the standby holds every write the primary acknowledged (SPEC STANDBY-7): set by the
   * elected node once it saw the standby stream past a WAL position taken after it became
   * synchronous; cleared by a failover (the new primary has no standby behind it yet).
   */
  standbyReady: boolean("standby_ready").notNull().default(false),
});
