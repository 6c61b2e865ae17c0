import Link from "next/link";
import type { Board } from "../../lib/protocol";
import { PolicyBadge } from "./policy-badge";

/** One board in the list; the link's accessible name is exactly the board's name. */
export function BoardTile({ board, mine }: { board: Board; mine: boolean }) {
  return (
    <li className="board-tile" data-board-id={board.id}>
      <Link href={`/b/${encodeURIComponent(board.id)}`}>{board.name}</Link>
      <p className="board-tile-seq muted">
        {board.seq === 0 ? "No changes yet" : `${board.seq} change${board.seq === 1 ? "" : "s"} in its log`}
      </p>
      <div className="board-tile-meta">
        <PolicyBadge policy={board.policy} />
        <span className="badge">shard {board.shard}</span>
        <span className="badge">{board.visibility === "private" ? "private" : "open"}</span>
        {mine ? <span className="badge">owner</span> : null}
      </div>
    </li>
  );
}
