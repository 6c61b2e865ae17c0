/**
 * The optimistic view (SPEC OUTBOX-2): what a person sees is the confirmed state with their own
 * not-yet-confirmed writes applied on top, in outbox order. Each write is decided by the same
 * function the server runs (`decideWrite`, lib/sync/write.ts, SPEC WRITE-1), so the view
 * follows every policy's rule: an lww edit older than the field's stamp is not shown (it will
 * lose), an mvr edit replaces only the values its context has seen and stays a sibling of the
 * others. Pure: the same inputs always give the same view, so it is simply recomputed whenever
 * confirmed state or the outbox changes.
 */

import { FIELD_NAMES, type Card, type CardMutation, type FieldName, type Policy } from "../protocol";
import { decideWrite, stateFromCard, toWireCard, type WriteDecision, type WriteEnv } from "../sync/write";
import { withChanges } from "./card-table";
import { withOwnDot } from "./outbox";
import { toCardMutation, touchedBoards } from "./pending";
import type { PendingMutation } from "./types";

/** Who writes (this tab), and its wall clock (ms) for the writes' times. */
export interface ViewWriter {
  id: string;
  name: string;
  replicaId: string;
  now: number;
}

/** A card on another board and that board's policy (a pending move's view borrows it). */
export type Lookup = (cardId: string) => { card: Card; policy: Policy } | undefined;

/**
 * The view of one board: `confirmed` with `overlay` (outbox entries, oldest first) applied.
 * Returns `confirmed` itself when no entry touches the board, so an unchanged board keeps its
 * identity. `lookup` finds a card on another board, for moves into this one.
 */
export function computeView(
  boardId: string,
  policy: Policy,
  confirmed: Record<string, Card>,
  overlay: readonly PendingMutation[],
  writer: ViewWriter,
  lookup: Lookup,
): Record<string, Card> {
  const relevant = overlay.filter((m) => touchedBoards(m).includes(boardId));
  if (relevant.length === 0) return confirmed;
  /** What the overlay changes (a card, or null: not shown); the view is `confirmed` with these, sharing the rest (card-table.ts). */
  const changes = new Map<string, Card | null>();
  const shownCard = (id: string): Card | undefined => (changes.has(id) ? (changes.get(id) ?? undefined) : confirmed[id]);
  /** Cards an earlier pending write of this tab changed in this view (their later writes chain on it). */
  const chained = new Set<string>();
  for (const m of relevant) {
    const shown = shownCard(m.cardId);
    switch (m.kind) {
      case "create": {
        if (m.boardId !== boardId || confirmed[m.cardId]) break;
        const d = decide(null, toCardMutation(m), boardId, policy, writer, m);
        // Not confirmed yet: version 0 (an editor opened on it bases its edits on the confirmed card).
        if (d.kind === "applied" && d.next) changes.set(m.cardId, { ...toWireCard(d.next, policy), version: 0, fieldVersions: zeroVersions() });
        break;
      }
      case "update": {
        if (!shown) break;
        // An earlier pending write of ours changed this card here: OUTBOX-4 rebases this one on
        // its ack before it is sent, so the view decides it rebased the same way.
        const w = chained.has(m.cardId) ? chainOn(shown, m, writer.replicaId) : toCardMutation(m);
        const d = decide(shown, w, boardId, policy, writer, m);
        // Only the fields and the policy's clocks change: version, field versions and author
        // stay the server's (the card's version badge says what the server has).
        if (d.kind === "applied" && d.next && d.changed.length > 0) {
          const { version, fieldVersions, updatedAt, updatedBy } = shown;
          changes.set(m.cardId, { ...toWireCard(d.next, policy), version, fieldVersions, updatedAt, updatedBy });
          chained.add(m.cardId);
        }
        break;
      }
      case "delete":
        if (shown && decide(shown, toCardMutation(m), boardId, policy, writer, m).kind === "applied") changes.set(m.cardId, null);
        break;
      case "move":
        if (m.boardId === boardId) {
          if (shown && decide(shown, toCardMutation(m), boardId, policy, writer, m).kind === "applied") changes.set(m.cardId, null);
        } else if (!shown) {
          const from = lookup(m.cardId);
          if (from && decide(from.card, toCardMutation(m), from.card.boardId, from.policy, writer, m).kind === "applied") {
            changes.set(m.cardId, { ...from.card, boardId });
          }
        }
        break;
    }
  }
  return changes.size === 0 ? confirmed : withChanges(confirmed, changes);
}

/**
 * `decideWrite` for the view. A pending write that will conflict (occ) is still what the person
 * did: it shows as if based on the card shown, until the server's answer turns it into a
 * conflict dialog (OCC-3). A refused one (it will be dropped with a notice) shows nothing.
 */
function decide(card: Card | null, w: CardMutation, boardId: string, policy: Policy, writer: ViewWriter, m: PendingMutation): WriteDecision {
  const state = card ? stateFromCard(card) : null;
  const env: WriteEnv = {
    board: { id: boardId, policy },
    writer: { id: writer.id, name: writer.name, replicaId: writer.replicaId },
    // The write's own time: the lww drift check (LWW-2) is the server's to make.
    now: Math.max(writer.now, Date.parse(m.createdAt) || 0),
  };
  // A base ahead of the card shown (rebased on an ack whose change has not arrived yet, OUTBOX-4)
  // saw everything shown: decide it as based on the card shown.
  const based = state && w.kind !== "create" && w.baseVersion > state.version ? { ...w, baseVersion: state.version } : w;
  const d = decideWrite(state, based, env);
  if (d.kind !== "conflict" || !state || based.kind === "create") return d;
  return decideWrite(state, { ...based, baseVersion: state.version }, env);
}

/** The write rebased on the card as the earlier pending writes left it (SPEC OUTBOX-4: mvr gets our own dot). */
function chainOn(shown: Card, m: Extract<PendingMutation, { kind: "update" }>, replicaId: string): CardMutation {
  const w = toCardMutation(m);
  if (w.kind !== "update" || w.context === undefined || !shown.clock) return w;
  const context = withOwnDot(w.context, shown.clock, replicaId);
  return context === w.context ? w : { ...w, context };
}

function zeroVersions(): Record<FieldName, number> {
  return Object.fromEntries(FIELD_NAMES.map((f) => [f, 0])) as Record<FieldName, number>;
}
