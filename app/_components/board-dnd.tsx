"use client";

import {
  closestCorners,
  DndContext,
  rectIntersection,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import { sortableKeyboardCoordinates } from "@dnd-kit/sortable";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { placeAt } from "../../lib/client/positions";
import type { SyncClientApi } from "../../lib/client/types";
import type { Card, Status } from "../../lib/protocol";
import { STATUS_LABEL, STATUSES } from "../_lib/format";

export type Columns = Record<Status, Card[]>;

/** A column's drop target id (its cards are sortable items with the card ids). */
export const columnDropId = (status: Status) => `column:${status}`;

/** Where the dragged card is shown while it is dragged: its column and index there. */
interface DragAt {
  id: string;
  status: Status;
  index: number;
}

function statusOfDropId(id: UniqueIdentifier): Status | undefined {
  const s = String(id);
  return s.startsWith("column:") ? STATUSES.find((x) => columnDropId(x) === s) : undefined;
}

/** The columns with the dragged card taken out of its place and shown at `at`. */
function withDrag(columns: Columns, at: DragAt | null): Columns {
  if (!at) return columns;
  const card = STATUSES.flatMap((s) => columns[s]).find((c) => c.id === at.id);
  if (!card) return columns;
  const out = { ...columns };
  for (const s of STATUSES) out[s] = columns[s].filter((c) => c.id !== at.id);
  const list = [...out[at.status]];
  list.splice(Math.max(0, Math.min(list.length, at.index)), 0, card);
  out[at.status] = list;
  return out;
}

function locate(columns: Columns, id: UniqueIdentifier): { status: Status; index: number } | undefined {
  const column = statusOfDropId(id);
  if (column) return { status: column, index: columns[column].length };
  for (const s of STATUSES) {
    const index = columns[s].findIndex((c) => c.id === id);
    if (index >= 0) return { status: s, index };
  }
  return undefined;
}

const titleOf = (c: Card | undefined) => `“${c?.title || "Untitled"}”`;

/**
 * Drag and drop of cards within and between columns (SPEC POS-2), by pointer or keyboard
 * (focus a card's grip, Space to pick up, arrows to move, Space to drop, Escape to cancel), with
 * screen-reader announcements. A drop is one `updateCard` of `position` (and `status`), plus the
 * neighbours `placeAt` must re-key; the board's policy resolves it like any other write.
 */
export function BoardDnd({ client, columns, children }: { client: SyncClientApi; columns: Columns; children: (shown: Columns) => ReactNode }) {
  const [dragAt, setDragAt] = useState<DragAt | null>(null);
  const shown = useMemo(() => withDrag(columns, dragAt), [columns, dragAt]);
  // Announcements read the latest columns (they are called outside React's render).
  const shownRef = useRef(shown);
  shownRef.current = shown;
  const sensors = useSensors(
    // A click (under 6 px of movement) still opens the card.
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );

  // The column the dragged card is most over decides; then the closest card in it (or the column itself when empty).
  // Plain closestCorners over everything would let a tall column win over the cards in it.
  const collisionDetection: CollisionDetection = (args) => {
    const columnsHit = rectIntersection({ ...args, droppableContainers: args.droppableContainers.filter((d) => statusOfDropId(d.id)) });
    const status = columnsHit.length ? statusOfDropId(columnsHit[0]!.id) : undefined;
    if (!status) return closestCorners(args);
    const ids = new Set(shownRef.current[status].map((c) => c.id));
    const cards = args.droppableContainers.filter((d) => ids.has(String(d.id)));
    return cards.length ? closestCorners({ ...args, droppableContainers: cards }) : columnsHit.slice(0, 1);
  };

  const cardById = (id: UniqueIdentifier) => STATUSES.flatMap((s) => columns[s]).find((c) => c.id === id);
  /** Where the dragged card would land over `overId` (a card takes that card's place; a column: its end), as announced. */
  const where = (activeId: UniqueIdentifier, overId: UniqueIdentifier) => {
    const at = locate(shownRef.current, overId);
    if (!at) return "";
    const n = shownRef.current[at.status].filter((c) => c.id !== activeId).length + 1;
    return `${STATUS_LABEL[at.status]}, position ${Math.min(at.index + 1, n)} of ${n}`;
  };
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up card ${titleOf(cardById(active.id))} in ${where(active.id, active.id)}.`,
    // Over itself (as a drag starts) is no news: the pick-up message stays.
    onDragOver: ({ active, over }) =>
      over?.id === active.id ? undefined : over ? `Card ${titleOf(cardById(active.id))} is over ${where(active.id, over.id)}.` : `Card ${titleOf(cardById(active.id))} is not over a column.`,
    onDragEnd: ({ active, over }) => (over ? `Card ${titleOf(cardById(active.id))} was dropped in ${where(active.id, over.id)}.` : `Card ${titleOf(cardById(active.id))} was dropped where it was.`),
    onDragCancel: ({ active }) => `Moving was cancelled. Card ${titleOf(cardById(active.id))} stays where it was.`,
  };

  function onDragStart({ active }: DragStartEvent) {
    const at = locate(columns, active.id);
    if (at) setDragAt({ id: String(active.id), ...at });
  }

  function onDragOver({ active, over }: DragOverEvent) {
    if (!over || !dragAt) return;
    const target = locate(shown, over.id);
    if (!target || target.status === dragAt.status) return;
    // Into another column: before the card it is over, or after it when past its middle.
    const translated = active.rect.current.translated;
    const below = !statusOfDropId(over.id) && translated && translated.top > over.rect.top + over.rect.height / 2;
    const others = shown[target.status].filter((c) => c.id !== dragAt.id);
    const index = statusOfDropId(over.id) ? others.length : target.index + (below ? 1 : 0);
    setDragAt({ ...dragAt, status: target.status, index });
  }

  function onDragEnd({ active, over }: DragEndEvent) {
    const at = dragAt;
    setDragAt(null);
    if (!at || !over) return;
    const target = locate(shown, over.id);
    const status = target?.status ?? at.status;
    // Within the column it is shown in, it takes the place of the card it is over (the sortable order).
    const index = target && !statusOfDropId(over.id) && target.status === at.status ? target.index : at.index;
    const card = cardById(active.id);
    if (!card) return;
    const others = columns[status].filter((c) => c.id !== card.id);
    const before = columns[card.status].findIndex((c) => c.id === card.id);
    if (status === card.status && index === before) return;
    for (const w of placeAt(others, index, card.id)) {
      client.updateCard(w.id, w.id === card.id ? (status === card.status ? { position: w.position } : { status, position: w.position }) : { position: w.position });
    }
  }

  const dragged = dragAt ? cardById(dragAt.id) : undefined;
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collisionDetection}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onDragEnd={onDragEnd}
      onDragCancel={() => setDragAt(null)}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable: "To move a card, press Space or Enter on its grip. Use the arrow keys to move it within a column or to another column, Space or Enter to drop it, Escape to cancel.",
        },
      }}
    >
      {children(shown)}
      <DragOverlay dropAnimation={null}>
        {dragged ? (
          <div className="card card-overlay" aria-hidden="true">
            <span className="card-open">{dragged.title || "Untitled"}</span>
          </div>
        ) : null}
      </DragOverlay>
    </DndContext>
  );
}
