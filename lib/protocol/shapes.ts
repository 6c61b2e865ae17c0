import { z } from "zod";

/** Limits from PROTOCOL.md "Shapes". */
export const LIMITS = {
  title: 200,
  body: 20_000,
  tags: 20,
  tag: 32,
  /** SPEC INPUT-4: the largest estimate. */
  estimate: 1_000_000_000,
  /** SPEC POS-1: characters of a card's position. */
  position: 64,
  boardName: 100,
  userName: 64,
  /** SPEC ACCOUNT-1: an account's password, in characters. */
  passwordMin: 8,
  passwordMax: 256,
  ttlMsMin: 100,
  ttlMsMax: 600_000,
  /** SPEC FEED-5: the most JSON bytes one `board:join` answer carries (a lone larger card goes alone). */
  joinPageBytes: 256 * 1024,
  /** SPEC PRES-1: the most users a `presence` list names; `total` counts everyone. */
  presenceListed: 50,
  /**
   * SPEC FEED-5: the length of a `board:join` cursor: room for the base64url JSON of a board id,
   * a card id and a position at their limits, every character escaped (about 1 600).
   */
  cursor: 2_048,
} as const;

export const policySchema = z.enum(["occ", "lww", "mvr"]);
export type Policy = z.infer<typeof policySchema>;

export const visibilitySchema = z.enum(["open", "private"]);
export type Visibility = z.infer<typeof visibilitySchema>;

/**
 * Text that can be stored as sent (SPEC INPUT-3): no NUL (Postgres refuses U+0000 in text and
 * jsonb) and no lone UTF-16 surrogate (jsonb refuses it; text would silently store U+FFFD).
 * Every string that reaches a database goes through this.
 */
export const WELL_FORMED_TEXT = /^(?:[^\u0000\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const WELL_FORMED_MESSAGE = "must not contain NUL characters or lone surrogates";
/** A string of well-formed text (see WELL_FORMED_TEXT). */
export const textSchema = () => z.string().regex(WELL_FORMED_TEXT, WELL_FORMED_MESSAGE);

/**
 * SPEC POS-1: a card's place in its column, a fractional index (the `fractional-indexing`
 * package's keys): 1..64 characters of 0-9, A-Z, a-z, compared as plain strings.
 */
export const POSITION_PATTERN = /^[0-9A-Za-z]+$/;
export const positionSchema = z
  .string()
  .min(1, "position must not be empty")
  .max(LIMITS.position, `position must be at most ${LIMITS.position} characters`)
  .regex(POSITION_PATTERN, "position must be a fractional index: only 0-9, A-Z and a-z");

export const statusSchema = z.enum(["todo", "doing", "done"]);
export type Status = z.infer<typeof statusSchema>;

/** A card's editable fields. Every write names a subset of these. */
export const fieldsSchema = z.object({
  title: textSchema().max(LIMITS.title),
  body: textSchema().max(LIMITS.body),
  status: statusSchema,
  position: positionSchema,
  tags: z.array(textSchema().min(1).max(LIMITS.tag)).max(LIMITS.tags),
  /** SPEC INPUT-4: a whole number of points, 0 or more (a negative estimate is BAD_REQUEST). */
  estimate: z.number().int().min(0, "estimate must be 0 or more").max(LIMITS.estimate).nullable(),
});
export type Fields = z.infer<typeof fieldsSchema>;
export type FieldName = keyof Fields;
export const FIELD_NAMES = Object.keys(fieldsSchema.shape) as FieldName[];

/** A patch names at least one field; unknown keys are refused, not silently dropped. */
export const patchSchema = fieldsSchema
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: "patch names no field" });
export type Patch = Partial<Fields>;

/**
 * SPEC INPUT-4: what a person may save from the UI (composer and editor alike): the wire's
 * fields, and a title that is not blank. The wire itself accepts an empty title (a card made by
 * a client that names no fields); the UI never makes one.
 */
export const personFieldsSchema = fieldsSchema.extend({
  title: fieldsSchema.shape.title.refine((t) => t.trim().length > 0, "a card needs a title"),
});

export const DEFAULT_FIELDS: Fields = {
  title: "",
  body: "",
  status: "todo",
  position: "a0",
  tags: [],
  estimate: null,
};

export const idSchema = textSchema().min(1).max(64);
/** A client-made unique string (a UUID in practice). */
export const mutationIdSchema = textSchema().min(1).max(128);
/** Vector clock on the wire: replica id → counter; compact (zero entries are omitted). */
export const vectorClockSchema = z.record(textSchema().min(1).max(64), z.number().int().nonnegative());
export type WireVectorClock = z.infer<typeof vectorClockSchema>;
/** Hybrid logical clock, `<wall 15 digits>:<logical 5 digits>:<replica id>`. */
export const hlcSchema = z.string().regex(/^\d{15}:\d{5}:[A-Za-z0-9_-]{1,64}$/);

export interface Sibling {
  value: unknown;
  by: string;
  /** The writer's display name. */
  byName?: string;
  /** The write's clock: the context it was based on plus its own fresh dot. */
  clock: WireVectorClock;
  /** The context the value was written from (what its writer had seen, SPEC MVR-1). */
  seen?: WireVectorClock;
}

export interface Board {
  id: string;
  name: string;
  policy: Policy;
  shard: string;
  visibility: Visibility;
  ownerId: string;
  seq: number;
  /** SPEC BOARD-3: archived boards are read-only until their owner restores them. */
  archived?: true;
  /** `board:list` only (SPEC BOARD-7): the owner's name, the number of cards, and whether the person is a member by invite. */
  ownerName?: string;
  cardCount?: number;
  member?: true;
}

export interface Card extends Fields {
  id: string;
  boardId: string;
  version: number;
  fieldVersions: Record<FieldName, number>;
  updatedAt: string;
  updatedBy: string;
  /** lww boards: the HLC of each field's current value. */
  hlc?: Partial<Record<FieldName, string>>;
  /** mvr boards: the card's vector clock (merge of every value's clock). */
  clock?: WireVectorClock;
  /** mvr boards: fields with unresolved concurrent values. */
  siblings?: Partial<Record<FieldName, Sibling[]>>;
}

export type ChangeType = "card.upsert" | "card.delete";

export interface Change {
  boardId: string;
  seq: number;
  type: ChangeType;
  card?: Card;
  cardId?: string;
  mutationId: string;
  by: string;
  /** In card:history entries: the author's display name. */
  byName?: string;
  at: string;
}

export interface Lock {
  cardId: string;
  holder: { id: string; name: string };
  token: number;
  expiresAt: string;
}

export interface User {
  id: string;
  name: string;
}

export interface PresenceUser {
  id: string;
  name: string;
  cardId?: string;
}

export type TxPhase = "preparing" | "prepared" | "committed" | "aborted";
