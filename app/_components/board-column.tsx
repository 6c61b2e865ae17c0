import type { BoardState } from "../../lib/client/types";
import type { Card, PresenceUser, Status } from "../../lib/protocol";
import { STATUS_LABEL } from "../_lib/format";
import { CardComposer } from "./card-composer";
import { CardTile } from "./card-tile";

interface BoardColumnProps {
  status: Status;
  cards: Card[];
  board: BoardState;
  pendingCardIds: Set<string>;
  /** This tab is offline (pending cards wait instead of syncing). */
  offline?: boolean;
  meId: string | undefined;
  selectedId: string | null;
  onOpen: (cardId: string) => void;
  onAdd: (title: string) => void;
}

/** One status column with its cards (already sorted) and an add-card composer. */
export function BoardColumn({ status, cards, board, pendingCardIds, offline, meId, selectedId, onOpen, onAdd }: BoardColumnProps) {
  const viewersOf = (cardId: string): PresenceUser[] => board.presence.filter((p) => p.cardId === cardId && p.id !== meId);
  const headingId = `column-${status}-title`;
  return (
    <section className="column" data-status={status} data-testid={`column-${status}`} aria-labelledby={headingId}>
      <header className="column-head">
        <span className="column-dot" aria-hidden="true" />
        <h2 id={headingId}>{STATUS_LABEL[status]}</h2>
        <span className="column-count">
          <span aria-hidden="true">{cards.length}</span>
          <span className="visually-hidden">{cards.length === 1 ? "1 card" : `${cards.length} cards`}</span>
        </span>
      </header>
      {cards.length === 0 ? (
        <p className="column-empty">No cards</p>
      ) : (
        <ul className="card-list">
          {cards.map((c) => (
            <CardTile
              key={c.id}
              card={c}
              pending={pendingCardIds.has(c.id)}
              offline={offline}
              lock={board.locks[c.id]}
              meId={meId}
              highlightAt={board.highlights[c.id]}
              viewers={viewersOf(c.id)}
              selected={selectedId === c.id}
              onOpen={() => onOpen(c.id)}
            />
          ))}
        </ul>
      )}
      <CardComposer status={status} onAdd={onAdd} />
    </section>
  );
}
