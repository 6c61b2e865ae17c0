import { memo, useCallback, type CSSProperties, type KeyboardEventHandler, type PointerEventHandler, type Ref } from "react";
import type { Card, Lock, PresenceUser } from "../../lib/protocol";
import { pendingMarkerText } from "../_lib/format";
import { Avatar } from "./avatar";
import { PersonName } from "./person-name";
import { BranchIcon, GripIcon, LockIcon } from "./icons";

const FLASH_MS = 2500;

interface CardTileProps {
  card: Card;
  pending: boolean;
  /** This tab is offline: a pending edit is waiting, not being sent. */
  offline?: boolean;
  lock: Lock | undefined;
  meId: string | undefined;
  highlightAt: number | undefined;
  viewers: PresenceUser[];
  selected: boolean;
  /** Called with the card's id (one function for every tile, so a tile's props change only with the tile, SPEC UI-1). */
  onOpen: (cardId: string) => void;
  /** Its place in a virtualized column (board-column.tsx): measured, positioned, and its index told to assistive tech. */
  item?: { index: number; setsize: number; top: number; measure: (el: HTMLElement | null) => void };
  /** Drag and drop bindings (`sortable-card-tile.tsx`); without them the tile does not move. */
  drag?: {
    setNodeRef: (el: HTMLElement | null) => void;
    style: CSSProperties;
    dragging: boolean;
    onPointerDown?: PointerEventHandler;
    grip: Record<string, unknown> & { ref: Ref<HTMLButtonElement>; onKeyDown?: KeyboardEventHandler; disabled: boolean };
  };
}

/**
 * One card on the board: title, tags, estimate and the sync markers that explain its state.
 * Memoized (SPEC UI-1): every version of a card is a new object and the other props are stable
 * per tile, so a change re-renders the tiles it touched, not the board.
 */
export const CardTile = memo(function CardTile({ card, pending, offline = false, lock, meId, highlightAt, viewers, selected, onOpen, drag, item }: CardTileProps) {
  const flash = highlightAt !== undefined && Date.now() - highlightAt < FLASH_MS;
  const siblingFields = Object.entries(card.siblings ?? {}).filter(([, s]) => (s?.length ?? 0) > 1);
  const lockLive = lock && Date.parse(lock.expiresAt) > Date.now();
  const lockMine = lockLive && lock.holder.id === meId;
  const excerpt = String(card.body ?? "").trim().split("\n")[0];
  // Defensive: a malformed card from the wire must not take the whole board down.
  const tags = Array.isArray(card.tags) ? card.tags : [];

  const setDragNode = drag?.setNodeRef;
  const measure = item?.measure;
  const setNode = useCallback(
    (el: HTMLLIElement | null) => {
      setDragNode?.(el);
      measure?.(el);
    },
    [setDragNode, measure],
  );
  return (
    <li
      ref={setNode}
      style={item ? { ...drag?.style, top: item.top } : drag?.style}
      data-dragging={drag?.dragging || undefined}
      data-index={item?.index}
      aria-posinset={item ? item.index + 1 : undefined}
      aria-setsize={item?.setsize}
    >
      <article className="card" data-testid={`card-${card.id}`} data-card-title={card.title} data-selected={selected} data-locked={lockLive && !lockMine ? true : undefined} onPointerDown={drag?.onPointerDown}>
        {flash ? <span className="card-flash" key={highlightAt} aria-hidden="true" data-testid="card-highlight" /> : null}
        <button type="button" className={card.title ? "card-open" : "card-open untitled"} onClick={() => onOpen(card.id)}>
          {card.title || "Untitled"}
        </button>
        {drag ? (
          <button type="button" className="card-grip" data-testid="card-grip" aria-label={`Move ${card.title || "Untitled"}`} title={drag.grip.disabled ? "Locked by someone else" : "Drag to move (or Space, then arrow keys)"} {...drag.grip}>
            <GripIcon />
          </button>
        ) : null}
        {excerpt ? <p className="card-excerpt">{excerpt}</p> : null}
        {tags.length || typeof card.estimate === "number" || pending || lockLive || siblingFields.length || viewers.length ? (
          <div className="card-meta">
            {tags.map((t) => (
              <span className="tag" key={t} title={t}>
                {t}
              </span>
            ))}
            {typeof card.estimate === "number" ? (
              <span className="estimate" title="Estimate">
                {card.estimate} pt{card.estimate === 1 ? "" : "s"}
              </span>
            ) : null}
            {pending ? (
              <span className="marker marker-pending" data-testid="card-pending" title={offline ? "Local edit kept in this tab; sent when the connection is back" : "Local edit not yet acknowledged by the server"}>
                {pendingMarkerText(offline)}
              </span>
            ) : null}
            {lockLive ? (
              <span className={lockMine ? "marker marker-lock mine" : "marker marker-lock"} data-testid="card-lock">
                <LockIcon /> locked by {lockMine ? "you" : <PersonName id={lock.holder.id} name={lock.holder.name} />} <span className="mono" title="fencing token (SPEC LOCK-3)">· token {lock.token}</span>
              </span>
            ) : null}
            {siblingFields.length ? (
              <span className="marker marker-siblings" data-testid="card-siblings" title={`Concurrent values in: ${siblingFields.map(([f]) => f).join(", ")}`}>
                <BranchIcon /> {siblingFields.length === 1 ? `${siblingFields[0][0]} has ${siblingFields[0][1]?.length} values` : `${siblingFields.length} fields with siblings`}
              </span>
            ) : null}
            {viewers.length ? (
              <span className="card-viewers" role="group" aria-label={`Viewing: ${viewers.map((v) => v.name).join(", ")}`}>
                {viewers.map((v) => (
                  <Avatar key={v.id} id={v.id} name={v.name} small />
                ))}
              </span>
            ) : null}
          </div>
        ) : null}
      </article>
    </li>
  );
});
