"use client";

import { usePathname } from "next/navigation";
import { useCallback } from "react";
import { boardPath, cardInPath, cardPath } from "./links";

/**
 * Card links (`/b/:board/c/:card`): the URL names the open card. Opening a card pushes its URL
 * (the native History API, which Next.js keeps `usePathname` in step with, so the board is not
 * re-rendered from scratch); closing goes back when this tab pushed it, so Back closes the card.
 */
export function useCardRoute(boardId: string) {
  const pathname = usePathname();
  const urlCard = cardInPath(pathname);

  const opened = useCallback(
    (cardId: string) => {
      if (cardInPath(window.location.pathname) === cardId) return;
      window.history.pushState({ concordCard: cardId }, "", cardPath(boardId, cardId));
    },
    [boardId],
  );

  const closed = useCallback(() => {
    if (cardInPath(window.location.pathname) === null) return;
    const state = window.history.state as { concordCard?: string } | null;
    if (state?.concordCard) window.history.back();
    else window.history.replaceState(null, "", boardPath(boardId));
  }, [boardId]);

  return { urlCard, opened, closed };
}
