import { DEFAULT_FIELDS, FIELD_NAMES, type Card, type FieldName, type Patch, type Policy } from "../protocol";
import { touchedBoards } from "./pending";
import type { PendingCreate, PendingMutation, PendingUpdate } from "./types";

/**
 * The optimistic view (SPEC OUTBOX-2): what a person sees is the confirmed state with their own
 * not-yet-confirmed writes applied on top, in outbox order. Pure: the same inputs always give
 * the same view, so it is simply recomputed whenever confirmed state or the outbox changes.
 */

/** A card made from a pending create, before the server has confirmed it (version 0). */
export function optimisticCard(m: PendingCreate, userId: string): Card {
  return {
    ...DEFAULT_FIELDS,
    ...m.fields,
    id: m.cardId,
    boardId: m.boardId,
    version: 0,
    fieldVersions: Object.fromEntries(FIELD_NAMES.map((f) => [f, 0])) as Record<FieldName, number>,
    updatedAt: m.createdAt,
    updatedBy: userId,
  };
}

/**
 * `card` with a pending patch on top. Under lww a field whose confirmed timestamp is already
 * newer than the edit's is left alone: the edit will lose on the server too, so showing it
 * would only flicker.
 */
export function applyPatch(card: Card, m: PendingUpdate, policy: Policy): Card {
  const patch: Patch = m.patch;
  let fields = Object.keys(patch) as FieldName[];
  if (policy === "lww" && m.hlc) {
    const stamps = card.hlc ?? {};
    fields = fields.filter((f) => stamps[f] === undefined || m.hlc! > stamps[f]!);
  }
  if (fields.length === 0) return card;
  return { ...card, ...Object.fromEntries(fields.map((f) => [f, patch[f]])) };
}

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
  userId: string,
  lookup: (cardId: string) => Card | undefined,
): Record<string, Card> {
  const relevant = overlay.filter((m) => touchedBoards(m).includes(boardId));
  if (relevant.length === 0) return confirmed;
  const view: Record<string, Card> = { ...confirmed };
  for (const m of relevant) {
    switch (m.kind) {
      case "create":
        if (m.boardId === boardId && !confirmed[m.cardId]) view[m.cardId] = optimisticCard(m, userId);
        break;
      case "update": {
        const card = view[m.cardId];
        if (card) view[m.cardId] = applyPatch(card, m, policy);
        break;
      }
      case "delete":
        delete view[m.cardId];
        break;
      case "move":
        if (m.boardId === boardId) delete view[m.cardId];
        else if (!view[m.cardId]) {
          const card = lookup(m.cardId);
          if (card) view[m.cardId] = { ...card, boardId };
        }
        break;
    }
  }
  return view;
}
