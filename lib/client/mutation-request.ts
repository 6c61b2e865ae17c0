import type { Card, FieldName, Sibling, WireError } from "../protocol";
import type { Transport } from "./network";
import { toCardMutation } from "./pending";
import type { PendingMutation } from "./types";

/** The result of sending one outbox mutation. */
export type MutationOutcome =
  | { kind: "ok"; card?: Card; seq?: number; ignored?: string[]; dropped?: Partial<Record<FieldName, Sibling[]>>; txId?: string; batch?: number }
  | { kind: "error"; error: WireError }
  | { kind: "timeout" | "offline" };

/**
 * Sends a pending write as its wire request (the original mutationId, hlc and context on every
 * replay, SPEC OUTBOX-3) and reads the answer. A move's `seq` is its `fromSeq`: the outbox entry
 * settles on the source board (SPEC OUTBOX-2).
 */
export async function sendMutation(
  conn: Pick<Transport, "request">,
  m: PendingMutation,
  timeoutMs: number,
  lockToken: number | undefined,
): Promise<MutationOutcome> {
  const w = toCardMutation(m, lockToken);
  switch (w.kind) {
    case "create": {
      const { kind: _, ...payload } = w;
      const out = await conn.request("card:create", payload, timeoutMs);
      return out.kind !== "reply" ? out : out.reply.ok ? { kind: "ok", card: out.reply.card, seq: out.reply.seq, ...batchOf(out.reply) } : { kind: "error", error: out.reply.error };
    }
    case "update": {
      const { kind: _, ...payload } = w;
      const out = await conn.request("card:update", payload, timeoutMs);
      if (out.kind !== "reply") return out;
      if (!out.reply.ok) return { kind: "error", error: out.reply.error };
      const { card, seq, ignored, dropped } = out.reply;
      return { kind: "ok", card, seq, ...(ignored ? { ignored } : {}), ...(dropped ? { dropped } : {}), ...batchOf(out.reply) };
    }
    case "delete": {
      const { kind: _, ...payload } = w;
      const out = await conn.request("card:delete", payload, timeoutMs);
      return out.kind !== "reply" ? out : out.reply.ok ? { kind: "ok", seq: out.reply.seq, ...batchOf(out.reply) } : { kind: "error", error: out.reply.error };
    }
    case "move": {
      const { kind: _, ...payload } = w;
      const out = await conn.request("card:move", payload, timeoutMs);
      if (out.kind !== "reply") return out;
      if (!out.reply.ok) return { kind: "error", error: out.reply.error };
      const { card, fromSeq, txId } = out.reply;
      return { kind: "ok", card, ...(fromSeq !== undefined ? { seq: fromSeq } : {}), ...(txId ? { txId } : {}) };
    }
  }
}

/** SPEC IDEM-3: the size of the server's commit batch, when the answer names it. */
function batchOf(reply: { batch?: number }): { batch?: number } {
  return reply.batch !== undefined ? { batch: reply.batch } : {};
}
