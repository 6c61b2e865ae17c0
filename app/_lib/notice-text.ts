import type { Notice, WriteSummary } from "../../lib/client/types";
import type { FieldName } from "../../lib/protocol";
import { FIELD_LABEL, formatValue } from "./format";

/** What the sign-in page says when the server refused the stored session (SPEC ACCESS-1). */
export const SESSION_INVALID_TEXT = "Your session is no longer valid. Please sign in again.";

/** Someone this tab never heard of. */
const SOMEONE = "another editor";

/** A write in the person's words, as a notice's subject. */
export function writeText(w: WriteSummary): string {
  switch (w.kind) {
    case "create":
      return "Your new card";
    case "update":
      return `Your edit to ${w.fields.join(", ")}`;
    case "delete":
      return "Your delete";
    case "move":
      return "Your move";
  }
}

/** The sentence a notice shows (lib/client says what happened as data: types.ts `NoticeMessage`). */
export function noticeText(n: Notice): string {
  switch (n.code) {
    case "lww-replaced":
      return `Your edit to ${n.fields.join(", ")} was replaced by ${n.otherTab ? "your other tab" : (n.by ?? SOMEONE)}'s newer edit`;
    case "mvr-dropped": {
      const one = n.count === 1;
      const by = [...new Set(n.by.map((b) => b ?? SOMEONE))].join(", ");
      return `Your edit displaced ${n.count} concurrent value${one ? "" : "s"} of ${n.field} (by ${by}): a field keeps at most ${n.max}. The card's history still has ${one ? "it" : "them"}.`;
    }
    case "write-refused":
      return `${writeText(n.write)} was refused: ${n.error.message} (${n.error.code})`;
    case "write-conflict":
      return `${writeText(n.write)} was refused: the card changed meanwhile`;
    case "write-set-aside":
      return (
        `${writeText(n.write)} could not be saved: the server failed on it ${n.failures} times (${n.error}). ` +
        `It is set aside, kept in this tab and not sent again until you retry it; your edits to other cards go ahead` +
        (n.heldBehind ? `, ${n.heldBehind} later edit(s) of this card wait behind it.` : ".")
      );
    case "write-discarded":
      return `${writeText(n.write)} was discarded${n.alsoDiscarded > 0 ? `, with ${n.alsoDiscarded} later edit(s) of that new card` : ""}.`;
    case "lease-at-risk": {
      const left = Math.max(0, Math.ceil((Date.parse(n.expiresAt) - Date.parse(n.at)) / 1000));
      return `Renewing your lease on ${n.title ? `“${n.title}”` : "a card"} (token ${n.token}) failed (${n.problem}): it ends in ${left} s unless a renewal gets through.`;
    }
    case "lease-lost": {
      const card = n.title ? `“${n.title}”` : "a card";
      if (n.by) return `Your lease on ${card} (token ${n.token}) is over: ${n.by.name} holds it now with token ${n.by.token}. Saves with token ${n.token} are refused (STALE_LOCK).`;
      return n.reason === "expired"
        ? `Your lease on ${card} (token ${n.token}) ran out before it could be renewed${n.error ? ` (${n.error})` : ""}. Lock it again to keep others out.`
        : `Your lease on ${card} (token ${n.token}) was refused on renewal${n.error ? ` (${n.error})` : ""}: it is not yours any more.`;
    }
    case "card-moved":
      return `${n.title ? `“${n.title}”` : "Your card"} arrived on ${n.toBoardName ?? "its new board"}${n.crossShard ? " (two-phase commit across shards)" : ""}.`;
    case "card-gone":
      return "That card is not here any more.";
    case "session-invalid":
      return SESSION_INVALID_TEXT;
  }
}

/**
 * What the person typed in a refused write, as text to copy: one field's value as it is, several
 * as "Label: value" blocks. Empty when the write held no values.
 */
export function typedText(w: WriteSummary): string {
  const entries = Object.entries(w.values ?? {}).filter(([, v]) => v !== undefined) as [FieldName, unknown][];
  if (entries.length === 1) return formatValue(entries[0][1]);
  return entries.map(([f, v]) => `${FIELD_LABEL[f]}: ${formatValue(v)}`).join("\n\n");
}
