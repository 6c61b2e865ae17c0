import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { FieldName, WireVectorClock } from "../../lib/protocol";
import type { MvrRegisters } from "../../lib/sync/write";

/** Shard database: the cards of the boards that live here, their change log, applied mutations. */

/**
 * One row per board on this shard. `seq` is the board's change-log head: every write takes this
 * row's lock (SELECT … FOR UPDATE) and moves it once it has logged, so seq is gap-free and in
 * commit order.
 * `floor` is the oldest seq still in the log minus one (trimmed below it).
 */
export const boardHeads = pgTable("board_heads", {
  boardId: text("board_id").primaryKey(),
  seq: bigint("seq", { mode: "number" }).notNull().default(0),
  floor: bigint("floor", { mode: "number" }).notNull().default(0),
  /** SPEC BOARD-8: the board is archived or deleted (null: open); every write checks it under the head's lock. */
  closed: text("closed"),
});

export const cards = pgTable(
  "cards",
  {
    id: text("id").primaryKey(),
    boardId: text("board_id").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: ["todo", "doing", "done"] }).notNull(),
    position: text("position").notNull(),
    tags: jsonb("tags").$type<string[]>().notNull(),
    estimate: integer("estimate"),
    version: integer("version").notNull(),
    fieldVersions: jsonb("field_versions").$type<Record<FieldName, number>>().notNull(),
    /** lww: HLC per field. */
    hlc: jsonb("hlc").$type<Partial<Record<FieldName, string>>>(),
    /** mvr: every field's concurrent values with their vector clocks. */
    registers: jsonb("registers").$type<MvrRegisters>(),
    /** mvr: the card's vector clock. */
    clock: jsonb("clock").$type<WireVectorClock>(),
    /** Highest fencing token granted for this card; writes with an older token are refused. */
    fence: bigint("fence", { mode: "number" }).notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  // Snapshot pages read a board's cards in (position, id) order after a cursor (SPEC FEED-5);
  // this index also serves every lookup by board.
  // A position is a fractional index (SPEC POS-1): the database holds that line too.
  (t) => [index("cards_board_page_idx").on(t.boardId, t.position, t.id), check("cards_position_check", sql`${t.position} ~ '^[0-9A-Za-z]{1,64}$'`)],
);

export const changes = pgTable(
  "changes",
  {
    boardId: text("board_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    type: text("type", { enum: ["card.upsert", "card.delete"] }).notNull(),
    cardId: text("card_id").notNull(),
    card: jsonb("card"),
    mutationId: text("mutation_id").notNull(),
    by: text("by").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.boardId, t.seq] }), index("changes_card_idx").on(t.cardId)],
);

/** Idempotency: the first result of every applied mutation, keyed by the client's mutationId. */
export const appliedMutations = pgTable(
  "applied_mutations",
  {
    mutationId: text("mutation_id").primaryKey(),
    userId: text("user_id").notNull(),
    cardId: text("card_id").notNull(),
    result: jsonb("result").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  // A move carries a card's applied mutations to the target shard (IDEM-2).
  (t) => [index("applied_mutations_card_idx").on(t.cardId)],
);

/**
 * The shard's epoch (SPEC STANDBY-3): one row, raised on the new primary by each failover. Every
 * write statement a node runs carries the epoch it believes in (the `concord.epoch` setting of
 * its connections); a trigger on the written tables refuses it when this row says otherwise, so
 * an old primary that comes back never accepts a write from a node that knows the new epoch.
 */
export const concordEpoch = pgTable("concord_epoch", {
  id: integer("id").primaryKey(),
  epoch: bigint("epoch", { mode: "number" }).notNull(),
});
