import type { Card, FieldName, Sibling, WireError } from "../protocol";
import type { Transport } from "./network";
import type { PendingMutation } from "./types";

/** The result of sending one outbox mutation. */
export type MutationOutcome =
  | { kind: "ok"; card?: Card; seq?: number; ignored?: string[]; dropped?: Partial<Record<FieldName, Sibling[]>>; txId?: string }
  | { kind: "error"; error: WireError }
  | { kind: "timeout" | "offline" };


/**
 * The wire request for a mutation (the original mutationId, hlc and context on every replay,
 * SPEC OUTBOX-3).
 */
export async function sendMutation(
  conn: Pick<Transport, "request">,
  m: PendingMutation,
  timeoutMs: number,
  lockToken: number | undefined,
): Promise<MutationOutcome> {
  const lock = lockToken === undefined ? {} : { lockToken };
  switch (m.kind) {
    case "create": {
      const out = await conn.request("card:create", {
        mutationId: m.mutationId, boardId: m.boardId, cardId: m.cardId, fields: m.fields, ...(m.hlc ? { hlc: m.hlc } : {}),
      }, timeoutMs);
      return out.kind !== "reply" ? out : out.reply.ok ? { kind: "ok", card: out.reply.card, seq: out.reply.seq } : { kind: "error", error: out.reply.error };
    }
    case "update": {
      const out = await conn.request("card:update", {
        mutationId: m.mutationId, cardId: m.cardId, baseVersion: m.baseVersion, patch: m.patch,
        ...(m.hlc ? { hlc: m.hlc } : {}), ...(m.context ? { context: m.context } : {}), ...lock,
      }, timeoutMs);
      return out.kind !== "reply" ? out : out.reply.ok
        ? {
          kind: "ok", card: out.reply.card, seq: out.reply.seq,
          ...(out.reply.ignored ? { ignored: out.reply.ignored } : {}), ...(out.reply.dropped ? { dropped: out.reply.dropped } : {}),
        }
        : { kind: "error", error: out.reply.error };
    }
    case "delete": {
      const out = await conn.request("card:delete", { mutationId: m.mutationId, cardId: m.cardId, baseVersion: m.baseVersion, ...lock }, timeoutMs);
      return out.kind !== "reply" ? out : out.reply.ok ? { kind: "ok", seq: out.reply.seq } : { kind: "error", error: out.reply.error };
    }
    case "move": {
      const out = await conn.request("card:move", {
        mutationId: m.mutationId, cardId: m.cardId, toBoardId: m.toBoardId, baseVersion: m.baseVersion, ...lock,
      }, timeoutMs);
      return out.kind !== "reply" ? out : out.reply.ok
        // The write's effect shows on the source board (where the entry settles) at `fromSeq`.
        ? { kind: "ok", card: out.reply.card, ...(out.reply.fromSeq !== undefined ? { seq: out.reply.fromSeq } : {}), ...(out.reply.txId ? { txId: out.reply.txId } : {}) }
        : { kind: "error", error: out.reply.error };
    }
  }
}
