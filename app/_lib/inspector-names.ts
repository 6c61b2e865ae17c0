import type { ClientState } from "../../lib/client/types";

/** Names instead of ids in the inspector: boards, cards and people as this tab knows them. */
export interface Names {
  board(id: string): string;
  /** A card's title; `hint` is a title the events carried (for a card this tab no longer holds). */
  card(id: string, hint?: string): string;
  user(id: string): string;
}

const short = (id: string) => (id.length > 12 ? `${id.slice(0, 10)}…` : id);

export function inspectorNames(state: ClientState, user: (id: string) => string): Names {
  return {
    board(id) {
      return state.boards[id]?.board.name ?? state.boardList.find((b) => b.id === id)?.name ?? `board ${short(id)}`;
    },
    card(id, hint) {
      for (const b of Object.values(state.boards)) {
        const c = b.cards[id] ?? b.confirmed[id];
        if (c) return c.title || "(untitled)";
      }
      return hint ?? `card ${short(id)}`;
    },
    user,
  };
}
