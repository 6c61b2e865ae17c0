import type { CardMutation, FieldName } from "../protocol";
import type { PendingMutation } from "./types";

/** The boards whose views a write touches (a move: both). */
export function touchedBoards(m: PendingMutation): string[] {
  return m.kind === "move" ? [m.boardId, m.toBoardId] : [m.boardId];
}

/** The fields a write sets: a create's initial fields, an update's patch; none for delete and move. */
export function writtenFields(m: PendingMutation): FieldName[] {
  if (m.kind === "create") return Object.keys(m.fields) as FieldName[];
  if (m.kind === "update") return Object.keys(m.patch) as FieldName[];
  return [];
}

/** Sorts an outbox into send order: by `order`, then by creation time. */
export function sortOutbox(list: readonly PendingMutation[]): PendingMutation[] {
  return [...list].sort((a, b) => a.order - b.order || a.createdAt.localeCompare(b.createdAt));
}

/**
 * Reads a stored outbox entry into the union, whatever shape an older version of the client
 * stored (SPEC REPLICA-2: pending edits survive a reload, also across an upgrade). Before the
 * union every kind was one record with optional fields: a create kept its initial fields in
 * `patch`, `order` and `baseVersion` could be missing, and deletes and moves carried policy
 * stamps they never sent. Returns undefined for a record that names no card or kind.
 */
export function migratePending(raw: unknown): PendingMutation | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const r = raw as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : undefined);
  const num = (k: string) => (typeof r[k] === "number" ? (r[k] as number) : undefined);
  const obj = <T>(k: string) => (r[k] && typeof r[k] === "object" ? (r[k] as T) : undefined);
  const mutationId = str("mutationId");
  const boardId = str("boardId");
  const cardId = str("cardId");
  if (!mutationId || !boardId || !cardId) return undefined;
  const failures = num("failures");
  const setAside = obj<NonNullable<PendingMutation["setAside"]>>("setAside");
  const common = {
    mutationId, boardId, cardId,
    createdAt: str("createdAt") ?? new Date(0).toISOString(),
    attempts: num("attempts") ?? 0,
    order: num("order") ?? 0, // sortOutbox then keeps them in creation order
    ...(failures !== undefined ? { failures } : {}),
    ...(setAside ? { setAside } : {}),
  };
  const hlc = str("hlc");
  const baseVersion = num("baseVersion") ?? 0;
  switch (r.kind) {
    case "create":
      return { ...common, kind: "create", fields: obj("fields") ?? obj("patch") ?? {}, ...(hlc ? { hlc } : {}) };
    case "update": {
      const context = obj<Record<string, number>>("context");
      const base = obj<NonNullable<Extract<PendingMutation, { kind: "update" }>["base"]>>("base");
      return {
        ...common, kind: "update", patch: obj("patch") ?? {}, baseVersion,
        ...(hlc ? { hlc } : {}), ...(context ? { context } : {}), ...(base ? { base } : {}),
      };
    }
    case "delete":
      return { ...common, kind: "delete", baseVersion };
    case "move": {
      const toBoardId = str("toBoardId");
      return toBoardId ? { ...common, kind: "move", toBoardId, baseVersion } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The write as the server receives it (`CardMutation`: its wire request, tagged with its kind),
 * with the lease's fencing token when this client holds one (SPEC LOCK-3). What is sent and what
 * the optimistic view decides with `decideWrite` are the same value.
 */
export function toCardMutation(m: PendingMutation, lockToken?: number): CardMutation {
  const lock = lockToken === undefined ? {} : { lockToken };
  const { mutationId, cardId } = m;
  switch (m.kind) {
    case "create":
      return { kind: "create", mutationId, boardId: m.boardId, cardId, fields: m.fields, ...(m.hlc ? { hlc: m.hlc } : {}) };
    case "update":
      return {
        kind: "update", mutationId, cardId, baseVersion: m.baseVersion, patch: m.patch,
        ...(m.hlc ? { hlc: m.hlc } : {}), ...(m.context ? { context: m.context } : {}), ...lock,
      };
    case "delete":
      return { kind: "delete", mutationId, cardId, baseVersion: m.baseVersion, ...lock };
    case "move":
      return { kind: "move", mutationId, cardId, toBoardId: m.toBoardId, baseVersion: m.baseVersion, ...lock };
  }
}
