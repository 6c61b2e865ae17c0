/**
 * One card write, defined once. Every rule that decides whether and how a write applies lives
 * here, as pure functions: the server runs them inside its shard transaction for every write and
 * for each side of a move; a client can run the same ones for its optimistic view.
 *
 * API (stable; additions only):
 * - `decideWrite(state, mutation, env)`: `state` is the card as stored (`CardState`, or null when
 *   there is none), `mutation` a `CardMutation` (lib/protocol/mutations.ts: create | update |
 *   delete | move, with the fields of their wire requests), `env` what the write may depend on
 *   besides them (`WriteEnv`: the board and its policy, the writer, the time, a clock stamp for
 *   unstamped lww updates, the live lease on the card). It returns a `WriteDecision`:
 *   - `applied`: `next` is the card after the write (null for a delete; for a move, the card as it
 *     arrives on the target board), `effect` says what storage must do (`insert`, `update`,
 *     `delete`, `move`: delete here and insert `next` on the target board, or `none`), `changed`
 *     the fields the write changed, `ignored` (lww) the fields it lost, `dropped` (mvr) the values
 *     it displaced under the bound without having seen them, `stored` (mvr) each field's write as
 *     stored (its context and clock possibly widened by the bound);
 *   - `conflict` (occ only): the fields changed after the write's base, and the current card;
 *   - `refused`: an error `code`, `message` and `details` (NOT_FOUND, BAD_REQUEST, STALE_LOCK,
 *     LOCKED).
 *   Idempotency (a mutationId seen before) is not its business: the caller answers a replay with
 *   the stored result before deciding anything (SPEC IDEM-1).
 * - `needsLease(state)`: whether the caller must look up the live lease before deciding.
 * - `toWireCard(state, policy)`: the wire `Card` of a stored card.
 * - `changeRecord(entry)`: the wire `Change` of a change-log entry, the one place it is built.
 * - `decisionError(decision, policy)`: the wire error of a conflict (CONFLICT, `details: { current,
 *   fields }`, OCC-2) or a refusal.
 * - `stateFromCard(card)`: a `CardState` rebuilt from a wire `Card` (for an optimistic view; the
 *   fence and the clocks of single mvr values are not on the wire, see there).
 *
 * Rules, in the order they are checked: a create needs an id nobody has; a timestamp more than
 * 60 s ahead is refused (LWW-2); a card must be on the writer's board (else NOT_FOUND, as for a
 * missing one); a move must go to another board; a token older than the card's fence is
 * STALE_LOCK (LOCK-3); another user's live lease is LOCKED (LOCK-4); an update based on a version
 * ahead of the card is BAD_REQUEST (OCC-2); then the policy: occ (OCC-2, `occConflicts`), lww
 * (LWW-1, LWW-3, `applyLww`), mvr (MVR-1, MVR-3, MVR-5, `applyBoundedWrite`). Deletes and moves
 * conflict on occ boards when anything changed after their base.
 */

import {
  ConcordError,
  DEFAULT_FIELDS,
  FIELD_NAMES,
  type Card,
  type CardMutation,
  type Change,
  type ErrorCode,
  type FieldName,
  type Fields,
  type Lock,
  type Patch,
  type Policy,
  type Sibling,
  type WireVectorClock,
} from "../protocol";
import { encodeHlc, isTooFarInFuture } from "./hlc";
import { applyLww } from "./lww";
import { applyBoundedWrite, MVR_MAX_SIBLINGS, resolvedValue, writeClock, type MvrValue } from "./mvr";
import { occConflicts } from "./occ";
import { merge as mergeClocks, normalize } from "./vector-clock";

/** One stored value of an mvr field, with its writer's display name. */
export type StoredValue = MvrValue<unknown> & { byName?: string };
/** mvr: each field's stored values (SPEC MVR-1). */
export type MvrRegisters = Partial<Record<FieldName, StoredValue[]>>;

/** A card as stored: its fields, versions and, per policy, its clocks; `fence` guards leases (LOCK-3). */
export interface CardState extends Fields {
  id: string;
  boardId: string;
  version: number;
  fieldVersions: Record<FieldName, number>;
  /** lww: the HLC of each field's value. */
  hlc: Partial<Record<FieldName, string>> | null;
  /** mvr: every field's values (one, or siblings). */
  registers: MvrRegisters | null;
  /** mvr: the card's vector clock. */
  clock: WireVectorClock | null;
  /** The newest fencing token granted for the card (0: never leased). */
  fence: number;
  /** ISO time. */
  updatedAt: string;
  updatedBy: string;
}

/** Everything a write depends on besides the card and the mutation. */
export interface WriteEnv {
  /** The board the writer was authorized on (for a move: the source board). */
  board: { id: string; policy: Policy };
  /** `replicaId`: the writing tab's entry in vector clocks (mvr). */
  writer: { id: string; name: string; replicaId: string };
  /** Wall clock, ms since the epoch: `updatedAt`, and the drift check of LWW-2. */
  now: number;
  /** lww: the stamp of an update that carries no `hlc` (LWW-3); called only when needed. */
  stamp?: string | (() => string);
  /** The live lease on the card, if any (look it up when `needsLease(state)`). */
  lease?: Lock | null;
  /** mvr: the most values one field keeps (SPEC MVR-5). */
  maxSiblings?: number;
}

/** What storage must do for an applied write. */
export type WriteEffect = "insert" | "update" | "delete" | "move" | "none";

export type WriteDecision =
  | {
      kind: "applied";
      effect: WriteEffect;
      /** The card after the write; null after a delete; for a move, the card on the target board. */
      next: CardState | null;
      changed: FieldName[];
      /** lww: patched fields whose stored value was newer. */
      ignored?: FieldName[];
      /** mvr: values displaced by the bound that the write had not seen (SPEC MVR-5). */
      dropped?: MvrRegisters;
      /** mvr: each written field's value as stored. */
      stored?: Partial<Record<FieldName, StoredValue>>;
    }
  | { kind: "conflict"; current: CardState; fields: FieldName[] }
  | { kind: "refused"; code: ErrorCode; message: string; details?: unknown };

export type AppliedWrite = Extract<WriteDecision, { kind: "applied" }>;

/** The stamp of a card's initial values when its create carries no HLC (SPEC LWW-3). */
export const INITIAL_HLC = encodeHlc({ wall: 0, logical: 0, replica: "initial" });

const refuse = (code: ErrorCode, message: string, details?: unknown): WriteDecision =>
  details === undefined ? { kind: "refused", code, message } : { kind: "refused", code, message, details };

/** True when a lease may be live on the card: a grant raises the fence before it is returned (LOCK-2). */
export function needsLease(state: CardState | null): boolean {
  return state !== null && state.fence > 0;
}

/** Decides one write; see the header for the rules and their order. Pure: never mutates its inputs. */
export function decideWrite(state: CardState | null, m: CardMutation, env: WriteEnv): WriteDecision {
  if (m.kind === "create") {
    if (state) return refuse("BAD_REQUEST", "a card with this id exists");
    if (!m.cardId) return refuse("BAD_REQUEST", "a create needs a card id");
  }
  if ((m.kind === "create" || m.kind === "update") && m.hlc !== undefined && isTooFarInFuture(m.hlc, env.now)) {
    return refuse("BAD_REQUEST", "hlc is too far in the future (more than 60 s ahead of the server)");
  }
  if (m.kind === "create") return create(m, env);
  if (!state || state.boardId !== env.board.id) return refuse("NOT_FOUND", "no such card");
  if (m.kind === "move" && m.toBoardId === state.boardId) return refuse("BAD_REQUEST", "the card is already on that board");
  if (m.lockToken !== undefined && m.lockToken < state.fence) {
    return refuse("STALE_LOCK", "your lock token is older than the newest grant", { fence: state.fence });
  }
  if (env.lease && env.lease.holder.id !== env.writer.id) {
    return refuse("LOCKED", `locked by ${env.lease.holder.name}`, { lock: env.lease });
  }
  if (m.kind === "update") return update(state, m, env);
  // A delete or a move replaces the whole card: on occ it conflicts when anything changed after its base (OCC-2).
  if (env.board.policy === "occ" && state.version > m.baseVersion) {
    return { kind: "conflict", current: state, fields: occConflicts(state.fieldVersions, m.baseVersion, FIELD_NAMES) };
  }
  if (m.kind === "delete") return { kind: "applied", effect: "delete", next: null, changed: [] };
  const next: CardState = { ...state, boardId: m.toBoardId, version: state.version + 1, updatedAt: iso(env.now), updatedBy: env.writer.id };
  return { kind: "applied", effect: "move", next, changed: [] };
}

function create(m: Extract<CardMutation, { kind: "create" }>, env: WriteEnv): WriteDecision {
  const fields: Fields = { ...DEFAULT_FIELDS, ...definedOnly(m.fields) };
  let hlc: CardState["hlc"] = null;
  let registers: MvrRegisters | null = null;
  let clock: WireVectorClock | null = null;
  if (env.board.policy === "lww") {
    // Creating a card is not an edit of its fields: unstamped initial values lose to any stamped edit (LWW-3).
    const stamp = m.hlc ?? INITIAL_HLC;
    hlc = Object.fromEntries(FIELD_NAMES.map((f) => [f, stamp]));
  } else if (env.board.policy === "mvr") {
    clock = writeClock({}, {}, env.writer.replicaId);
    const c = clock;
    registers = Object.fromEntries(FIELD_NAMES.map((f) => [f, [storedValue(fields[f], env, c, {})]]));
  }
  const next: CardState = {
    id: m.cardId!,
    boardId: env.board.id,
    ...fields,
    version: 1,
    fieldVersions: Object.fromEntries(FIELD_NAMES.map((f) => [f, 1])) as Record<FieldName, number>,
    hlc,
    registers,
    clock,
    fence: 0,
    updatedAt: iso(env.now),
    updatedBy: env.writer.id,
  };
  return { kind: "applied", effect: "insert", next, changed: [...FIELD_NAMES] };
}

function update(state: CardState, m: Extract<CardMutation, { kind: "update" }>, env: WriteEnv): WriteDecision {
  if (m.baseVersion > state.version) return refuse("BAD_REQUEST", "baseVersion is newer than the card");
  const patch = definedOnly(m.patch);
  let changed: Patch;
  let { hlc, registers, clock } = state;
  let ignored: FieldName[] | undefined;
  let dropped: MvrRegisters | undefined;
  let stored: Partial<Record<FieldName, StoredValue>> | undefined;
  if (env.board.policy === "occ") {
    const fields = occConflicts(state.fieldVersions, m.baseVersion, patch);
    if (fields.length > 0) return { kind: "conflict", current: state, fields };
    changed = patch;
  } else if (env.board.policy === "lww") {
    const stamp = m.hlc ?? (typeof env.stamp === "function" ? env.stamp() : env.stamp);
    if (stamp === undefined) return refuse("BAD_REQUEST", "an lww update needs a timestamp");
    const r = applyLww({ fields: pick(state), hlc: state.hlc ?? {} }, patch, stamp);
    if (r.ignored.length > 0) ignored = r.ignored;
    changed = Object.fromEntries(r.applied.map((f) => [f, r.fields[f]])) as Patch;
    hlc = r.hlc;
  } else {
    // The context can only claim what the card has seen (MVR-3); the write gets a fresh dot of
    // the writing replica and replaces only the values its context had seen (MVR-1), widened
    // over the weakest excess values when the field would keep too many (MVR-5).
    const context = clampClock(m.context ?? {}, state.clock ?? {});
    const wc = writeClock(state.clock ?? {}, context, env.writer.replicaId);
    const regs: MvrRegisters = { ...(state.registers ?? {}) };
    const values: Record<string, unknown> = {};
    stored = {};
    for (const f of Object.keys(patch) as FieldName[]) {
      const bounded = applyBoundedWrite(regs[f] ?? [], storedValue(patch[f], env, wc, context), env.maxSiblings ?? MVR_MAX_SIBLINGS);
      regs[f] = bounded.register;
      stored[f] = bounded.write;
      if (bounded.dropped.length > 0) (dropped ??= {})[f] = bounded.dropped;
      values[f] = resolvedValue(bounded.register);
    }
    changed = values as Patch;
    registers = regs;
    clock = normalize(mergeClocks(state.clock ?? {}, wc));
  }
  const touched = Object.keys(changed) as FieldName[];
  // lww: every field lost to a newer one; nothing changes and nothing is logged.
  if (touched.length === 0) return { kind: "applied", effect: "none", next: state, changed: [], ...(ignored ? { ignored } : {}) };
  const version = state.version + 1;
  const fieldVersions = { ...state.fieldVersions, ...Object.fromEntries(touched.map((f) => [f, version])) };
  const next: CardState = { ...state, ...changed, hlc, registers, clock, version, fieldVersions, updatedAt: iso(env.now), updatedBy: env.writer.id };
  return {
    kind: "applied",
    effect: "update",
    next,
    changed: touched,
    ...(ignored ? { ignored } : {}),
    ...(dropped ? { dropped } : {}),
    ...(stored ? { stored } : {}),
  };
}

/** The error a conflict or a refusal answers: CONFLICT with `{ current, fields }` (OCC-2), or the refusal's code. */
export function decisionError(d: Exclude<WriteDecision, AppliedWrite>, policy: Policy): ConcordError {
  if (d.kind === "refused") return new ConcordError(d.code, d.message, d.details);
  return new ConcordError("CONFLICT", `changed since your version: ${d.fields.join(", ")}`, { current: toWireCard(d.current, policy), fields: d.fields });
}

/** The wire form of a stored card; each policy's metadata only where the policy uses it. */
export function toWireCard(state: CardState, policy: Policy): Card {
  const card: Card = {
    id: state.id,
    boardId: state.boardId,
    ...pick(state),
    version: state.version,
    fieldVersions: state.fieldVersions,
    updatedAt: state.updatedAt,
    updatedBy: state.updatedBy,
  };
  if (policy === "lww") card.hlc = state.hlc ?? {};
  if (policy === "mvr") {
    card.clock = state.clock ?? {};
    const siblings: Partial<Record<FieldName, Sibling[]>> = {};
    for (const [f, reg] of Object.entries(state.registers ?? {}) as [FieldName, Sibling[]][]) {
      if (reg.length > 1) siblings[f] = reg;
    }
    if (Object.keys(siblings).length > 0) card.siblings = siblings;
  }
  return card;
}

/** One change-log entry, as stored or as just written. */
export interface ChangeEntry {
  boardId: string;
  seq: number;
  type: Change["type"];
  /** The card after an upsert (null or absent for a delete). */
  card?: Card | null;
  cardId: string;
  mutationId: string;
  by: string;
  /** ISO time. */
  at: string;
}

/** The wire `Change` of a log entry: the card on an upsert, the card id on a delete. */
export function changeRecord(e: ChangeEntry): Change {
  const base = { boardId: e.boardId, seq: e.seq, type: e.type, mutationId: e.mutationId, by: e.by, at: e.at };
  return e.type === "card.upsert" ? { ...base, card: e.card! } : { ...base, cardId: e.cardId };
}

/**
 * A `CardState` rebuilt from a wire card, for an optimistic view. The wire does not carry the
 * fence (0 here: the server checks leases) nor the clock of an mvr field's single value: it is
 * taken as the card's clock, which is what any write based on this card has seen.
 */
export function stateFromCard(card: Card): CardState {
  let registers: MvrRegisters | null = null;
  if (card.clock) {
    const clock = card.clock;
    registers = Object.fromEntries(
      FIELD_NAMES.map((f) => {
        const siblings = card.siblings?.[f];
        const values: StoredValue[] = siblings
          ? siblings.map((s) => ({ value: s.value, by: s.by, ...(s.byName ? { byName: s.byName } : {}), clock: s.clock, seen: s.seen ?? {} }))
          : [{ value: card[f], by: card.updatedBy, clock, seen: clock }];
        return [f, values];
      }),
    );
  }
  return {
    id: card.id,
    boardId: card.boardId,
    ...pick(card),
    version: card.version,
    fieldVersions: card.fieldVersions,
    hlc: card.hlc ?? null,
    registers,
    clock: card.clock ?? null,
    fence: 0,
    updatedAt: card.updatedAt,
    updatedBy: card.updatedBy,
  };
}

/** Pointwise minimum, built without `obj[key] = …` so any replica id is a plain own property (MVR-3). */
function clampClock(context: WireVectorClock, seen: WireVectorClock): WireVectorClock {
  const out: WireVectorClock = {};
  for (const [r, n] of Object.entries(context)) {
    const m = Math.min(n, Object.hasOwn(seen, r) ? seen[r]! : 0);
    if (m > 0) Object.defineProperty(out, r, { value: m, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function storedValue(value: unknown, env: WriteEnv, clock: WireVectorClock, seen: WireVectorClock): StoredValue {
  return { value, by: env.writer.id, byName: env.writer.name, clock, seen };
}

function pick(f: Fields): Fields {
  return { title: f.title, body: f.body, status: f.status, position: f.position, tags: f.tags, estimate: f.estimate };
}

/** A patch without keys whose value is `undefined` (they are not part of it). */
function definedOnly(p: Patch): Patch {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Patch;
}

const iso = (ms: number) => new Date(ms).toISOString();
