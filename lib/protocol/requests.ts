import { z } from "zod";
import {
  LIMITS,
  hlcSchema,
  idSchema,
  mutationIdSchema,
  patchSchema,
  fieldsSchema,
  policySchema,
  textSchema,
  vectorClockSchema,
  visibilitySchema,
} from "./shapes";

/** Invite codes (SPEC ACCESS-3): default and bounds of their lifetime, and of their use limit. */
export const INVITE_LIMITS = {
  ttlMsDefault: 7 * 24 * 3600_000,
  ttlMsMin: 1_000,
  ttlMsMax: 30 * 24 * 3600_000,
  maxUses: 10_000,
} as const;

/** One zod schema per request event; payloads that fail them answer BAD_REQUEST. */
export const requestSchemas = {
  "board:create": z
    .object({
      name: textSchema().trim().min(1).max(LIMITS.boardName),
      policy: policySchema,
      shard: textSchema().min(1).max(32).optional(),
      visibility: visibilitySchema.optional(),
    })
    .strict(),
  "board:list": z.object({}).strict(),
  "board:join": z
    .object({
      boardId: idSchema,
      since: z.number().int().nonnegative().optional(),
      /** SPEC FEED-5: continue a paged answer where its `cursor` says. */
      cursor: z.string().min(1).max(LIMITS.cursor).optional(),
    })
    .strict()
    .refine((p) => p.since === undefined || p.cursor === undefined, { message: "send since or cursor, not both" }),
  "board:leave": z.object({ boardId: idSchema }).strict(),
  /** `ttlMs` / `maxUses` (SPEC ACCESS-3): the code expires after 7 days by default. */
  "board:invite": z
    .object({
      boardId: idSchema,
      ttlMs: z.number().int().min(INVITE_LIMITS.ttlMsMin).max(INVITE_LIMITS.ttlMsMax).optional(),
      maxUses: z.number().int().min(1).max(INVITE_LIMITS.maxUses).optional(),
    })
    .strict(),
  /** SPEC ACCESS-3: the owner withdraws an invite code; nobody can accept it after. */
  "board:revokeInvite": z.object({ code: textSchema().min(1).max(64) }).strict(),
  "board:accept": z.object({ code: textSchema().min(1).max(64) }).strict(),
  /** SPEC BOARD-1: the owner renames a board. */
  "board:rename": z.object({ boardId: idSchema, name: textSchema().trim().min(1).max(LIMITS.boardName) }).strict(),
  /** SPEC BOARD-3: the owner archives (read-only, listed apart) or restores a board. */
  "board:archive": z.object({ boardId: idSchema, archived: z.boolean() }).strict(),
  /** SPEC BOARD-4: the owner deletes a board; it answers like one that never existed afterwards. */
  "board:delete": z.object({ boardId: idSchema }).strict(),
  /** SPEC BOARD-5: a member gives up their membership (unlike `board:leave`, which only stops its broadcasts). */
  "board:quit": z.object({ boardId: idSchema }).strict(),
  "card:create": z
    .object({
      mutationId: mutationIdSchema,
      boardId: idSchema,
      fields: fieldsSchema.partial().strict(),
      /** A client-made card id (a UUID), so offline replicas can edit a card before its create is acknowledged (SPEC ID-1). */
      cardId: z.string().regex(/^c_[A-Za-z0-9-]{8,60}$/).optional(),
      hlc: hlcSchema.optional(),
    })
    .strict(),
  "card:update": z
    .object({
      mutationId: mutationIdSchema,
      cardId: idSchema,
      baseVersion: z.number().int().nonnegative(),
      patch: patchSchema,
      lockToken: z.number().int().nonnegative().optional(),
      hlc: hlcSchema.optional(),
      context: vectorClockSchema.optional(),
    })
    .strict(),
  "card:delete": z
    .object({
      mutationId: mutationIdSchema,
      cardId: idSchema,
      baseVersion: z.number().int().nonnegative(),
      lockToken: z.number().int().nonnegative().optional(),
    })
    .strict(),
  "card:move": z
    .object({
      mutationId: mutationIdSchema,
      cardId: idSchema,
      toBoardId: idSchema,
      baseVersion: z.number().int().nonnegative(),
      lockToken: z.number().int().nonnegative().optional(),
    })
    .strict(),
  "card:history": z.object({ cardId: idSchema }).strict(),
  "lock:acquire": z
    .object({
      cardId: idSchema,
      ttlMs: z.number().int().min(LIMITS.ttlMsMin).max(LIMITS.ttlMsMax).optional(),
    })
    .strict(),
  "lock:renew": z.object({ cardId: idSchema, token: z.number().int().nonnegative() }).strict(),
  "lock:release": z.object({ cardId: idSchema, token: z.number().int().nonnegative() }).strict(),
} as const;

export type RequestEvent = keyof typeof requestSchemas;
export type RequestPayload<E extends RequestEvent> = z.infer<(typeof requestSchemas)[E]>;
export const REQUEST_EVENTS = Object.keys(requestSchemas) as RequestEvent[];

/** `POST /api/session`: a guest by name, or (with `password`, SPEC ACCOUNT-2) a sign-in to an account. */
export const sessionRequestSchema = z
  .object({ name: textSchema().trim().min(1).max(LIMITS.userName), password: textSchema().min(1).max(LIMITS.passwordMax).optional() })
  .strict();

/** `POST /api/account` (SPEC ACCOUNT-1): a new account, or the current guest made one. */
export const accountRequestSchema = z
  .object({ name: textSchema().trim().min(1).max(LIMITS.userName), password: textSchema().min(LIMITS.passwordMin).max(LIMITS.passwordMax) })
  .strict();

/** Events beyond the request table of docs/PROTOCOL.md, validated the same way (PROTO-1). */
export const extraRequestSchemas = {
  /** Tells the board which card the person is looking at, for presence. */
  "presence:set": z.object({ boardId: idSchema, cardId: idSchema.nullable() }).strict(),
  /**
   * The demo fault switch (SPEC TX-10): the next cross-shard move this socket sends crashes its
   * coordinator after both parts are prepared (`prepare`) or after the commit decision
   * (`decision`); null disarms. Only on a node started with the demo faults on, else FORBIDDEN.
   */
  "sim:crash": z.object({ after: z.enum(["prepare", "decision"]).nullable() }).strict(),
} as const;
