"use client";

import BoardPage from "../../page";

/** `/b/:board/c/:card`: the board with that card's editor open (the board screen reads the card from the URL). */
export default function CardLinkPage() {
  return <BoardPage />;
}
