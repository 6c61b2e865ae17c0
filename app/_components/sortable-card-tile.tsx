"use client";

import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { memo, type ComponentProps } from "react";
import { CardTile } from "./card-tile";

/**
 * A card tile that can be dragged (SPEC POS-2, `board-dnd.tsx`): the whole tile by pointer,
 * its grip by keyboard. Cards locked by someone else are not draggable (the write would be LOCKED).
 * Memoized with stable props (SPEC UI-1); dnd-kit re-renders it itself while a drag runs.
 */
export const SortableCardTile = memo(function SortableCardTile(props: Omit<ComponentProps<typeof CardTile>, "drag"> & { lockedByOther: boolean }) {
  const { lockedByOther, ...tile } = props;
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: tile.card.id, disabled: lockedByOther });
  // The pointer drags the whole tile; the keyboard drags from the grip only (Enter on the title opens the card).
  const onPointerDown = listeners?.onPointerDown;
  const onKeyDown = listeners?.onKeyDown;
  return (
    <CardTile
      {...tile}
      drag={{
        setNodeRef,
        style: { transform: CSS.Translate.toString(transform), transition },
        dragging: isDragging,
        onPointerDown: onPointerDown ? (e) => onPointerDown(e) : undefined,
        grip: { ...attributes, ref: setActivatorNodeRef, onKeyDown: onKeyDown ? (e) => onKeyDown(e) : undefined, disabled: lockedByOther },
      }}
    />
  );
});
