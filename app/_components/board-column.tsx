"use client";

import { useDroppable } from "@dnd-kit/core";
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useMemo, useRef, type ComponentProps, type KeyboardEvent } from "react";
import type { Card, Lock, PresenceUser, Status } from "../../lib/protocol";
import { STATUS_LABEL } from "../_lib/format";
import { CardComposer } from "./card-composer";
import { columnDropId } from "./board-dnd";
import { SortableCardTile } from "./sortable-card-tile";

/** A column with at least this many cards renders only those in view (SPEC UI-1). */
export const VIRTUAL_FROM = 60;
const NO_VIEWERS: PresenceUser[] = [];

interface BoardColumnProps {
  status: Status;
  cards: Card[];
  locks: Record<string, Lock>;
  highlights: Record<string, number>;
  /** Who looks at which card (not this person). */
  viewers: Map<string, PresenceUser[]>;
  pendingCardIds: Set<string>;
  /** This tab is offline (pending cards wait instead of syncing). */
  offline?: boolean;
  meId: string | undefined;
  selectedId: string | null;
  onOpen: (cardId: string) => void;
  onAdd: (status: Status, title: string) => void;
}

const isLockedByOther = (lock: Lock | undefined, meId: string | undefined) =>
  lock !== undefined && lock.holder.id !== meId && Date.parse(lock.expiresAt) > Date.now();

/**
 * One status column with its cards (already sorted) and an add-card composer. Memoized, and its
 * tiles too (SPEC UI-1): a change re-renders the column it is in and the tiles it touched. A long
 * column is virtualized (@tanstack/react-virtual): only the tiles in view (and a few around)
 * are in the page. In every column the arrow keys, Home and End on a card move to the next,
 * previous, first or last card (scrolling it into view), and each item of a long column says its
 * place in the list (aria-posinset / aria-setsize).
 */
export const BoardColumn = memo(function BoardColumn(props: BoardColumnProps) {
  const { status, cards, onAdd } = props;
  const headingId = `column-${status}-title`;
  const { setNodeRef, isOver } = useDroppable({ id: columnDropId(status) });
  const ids = useMemo(() => cards.map((c) => c.id), [cards]);
  return (
    <section ref={setNodeRef} className="column" data-over={isOver || undefined} data-status={status} data-testid={`column-${status}`} aria-labelledby={headingId}>
      <header className="column-head">
        <span className="column-dot" aria-hidden="true" />
        <h2 id={headingId}>{STATUS_LABEL[status]}</h2>
        <span className="column-count">
          <span aria-hidden="true">{cards.length}</span>
          <span className="visually-hidden">{cards.length === 1 ? "1 card" : `${cards.length} cards`}</span>
        </span>
      </header>
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        {cards.length === 0 ? (
          <p className="column-empty">No cards</p>
        ) : cards.length < VIRTUAL_FROM ? (
          <ul className="card-list" onKeyDown={(e) => moveFocus(e, cards.length, (i) => focusCard(e.currentTarget, i))}>
            {cards.map((c) => (
              <Tile key={c.id} card={c} {...props} />
            ))}
          </ul>
        ) : (
          <VirtualList {...props} />
        )}
      </SortableContext>
      <CardComposer status={status} onAdd={(title) => onAdd(status, title)} />
    </section>
  );
});

function Tile({ card, locks, highlights, viewers, pendingCardIds, offline, meId, selectedId, onOpen, item }: BoardColumnProps & { card: Card; item?: ComponentProps<typeof SortableCardTile>["item"] }) {
  const lock = locks[card.id];
  return (
    <SortableCardTile
      card={card}
      pending={pendingCardIds.has(card.id)}
      offline={offline}
      lock={lock}
      meId={meId}
      highlightAt={highlights[card.id]}
      viewers={viewers.get(card.id) ?? NO_VIEWERS}
      selected={selectedId === card.id}
      onOpen={onOpen}
      lockedByOther={isLockedByOther(lock, meId)}
      item={item}
    />
  );
}

function VirtualList(props: BoardColumnProps) {
  const { cards, status } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const v = useVirtualizer({
    count: cards.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 72,
    gap: 8,
    overscan: 6,
    getItemKey: (i) => cards[i]!.id,
  });
  const hintId = `column-${status}-hint`;
  const go = (i: number) => {
    v.scrollToIndex(i, { align: "auto" });
    // The tile exists once the list has rendered the new range.
    const tryFocus = (left: number) => {
      if (list.current && focusCard(list.current, i)) return;
      if (left > 0) requestAnimationFrame(() => tryFocus(left - 1));
    };
    requestAnimationFrame(() => tryFocus(10));
  };
  return (
    <div className="card-scroll" ref={scroller} data-testid={`column-${status}-scroll`}>
      <p id={hintId} className="visually-hidden">
        {cards.length} cards, shown as you scroll. Arrow keys, Home and End move between them.
      </p>
      <ul className="card-list card-list-virtual" ref={list} aria-describedby={hintId} style={{ height: v.getTotalSize() }} onKeyDown={(e) => moveFocus(e, cards.length, go)}>
        {v.getVirtualItems().map((it) => (
          <Tile key={it.key} card={cards[it.index]!} {...props} item={{ index: it.index, setsize: cards.length, top: it.start, measure: v.measureElement }} />
        ))}
      </ul>
    </div>
  );
}

/** Arrow keys, Home and End on a card's open button: the card to move to (by index in the column). */
function moveFocus(e: KeyboardEvent<HTMLUListElement>, count: number, go: (index: number) => void): void {
  const target = e.target as HTMLElement;
  if (!target.classList.contains("card-open")) return;
  const li = target.closest("li");
  const at = li?.dataset.index !== undefined ? Number(li.dataset.index) : li?.parentElement ? [...li.parentElement.children].indexOf(li) : -1;
  if (at < 0) return;
  const to = e.key === "ArrowDown" ? at + 1 : e.key === "ArrowUp" ? at - 1 : e.key === "Home" ? 0 : e.key === "End" ? count - 1 : null;
  if (to === null) return;
  e.preventDefault();
  go(Math.max(0, Math.min(count - 1, to)));
}

/** Focuses the open button of the card at `index` in `list`; false when it is not rendered. */
function focusCard(list: HTMLElement, index: number): boolean {
  const li = list.querySelector<HTMLElement>(`li[data-index="${index}"]`) ?? (list.children[index] as HTMLElement | undefined);
  const button = li?.querySelector<HTMLElement>(".card-open") ?? null;
  button?.focus();
  return button !== null;
}
