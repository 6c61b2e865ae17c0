"use client";

import Link from "next/link";
import { useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import type { Board } from "../../lib/protocol";
import { PolicyBadge } from "./policy-badge";
import { BoardActions } from "./board-actions";
import { PersonName } from "./person-name";

/**
 * One board in the list (SPEC BOARD-7): its name (the link's accessible name is exactly that),
 * who owns it, how many cards it holds, and the owner's or member's actions.
 */
export function BoardTile({ board, meId, client }: { board: Board; meId: string | undefined; client: SyncClientApi }) {
  const mine = board.ownerId === meId;
  const [renaming, setRenaming] = useState(false);
  const cards = board.cardCount ?? 0;
  return (
    <li className="board-tile" data-board-id={board.id} data-testid={`board-tile-${board.id}`}>
      {renaming ? null : (
        <div className="board-tile-head">
          <Link href={`/b/${encodeURIComponent(board.id)}`}>{board.name}</Link>
          <BoardActions client={client} board={board} mine={mine} onRename={() => setRenaming(true)} />
        </div>
      )}
      {renaming ? <RenameForm client={client} board={board} onDone={() => setRenaming(false)} /> : null}
      <p className="board-tile-seq muted" data-testid="board-tile-cards">
        {cards === 0 ? "No cards yet" : `${cards} card${cards === 1 ? "" : "s"}`}
        {" · "}
        {mine ? "yours" : <>by {board.ownerName ? <PersonName id={board.ownerId} name={board.ownerName} /> : "someone"}</>}
      </p>
      <div className="board-tile-meta">
        <PolicyBadge policy={board.policy} />
        <span className="badge">shard {board.shard}</span>
        <span className="badge">{board.visibility === "private" ? "private" : "open"}</span>
        {board.archived ? <span className="badge">archived</span> : null}
      </div>
    </li>
  );
}

function RenameForm({ client, board, onDone }: { client: SyncClientApi; board: Board; onDone: () => void }) {
  const [name, setName] = useState(board.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return setError("A board needs a name.");
        setBusy(true);
        client.renameBoard(board.id, name.trim()).then(onDone, (err: unknown) => {
          setBusy(false);
          setError(err instanceof Error ? err.message : String(err));
        });
      }}
      onKeyDown={(e) => e.key === "Escape" && onDone()}
    >
      <label className="visually-hidden" htmlFor={`rename-${board.id}`}>
        New name for {board.name}
      </label>
      <input
        id={`rename-${board.id}`}
        className="input"
        data-testid="board-rename-input"
        value={name}
        maxLength={100}
        autoFocus
        onChange={(e) => setName(e.target.value)}
      />
      <div className="inline-form">
        <button className="btn btn-primary btn-sm" type="submit" data-testid="board-rename-save" disabled={busy}>
          Save
        </button>
        <button className="btn btn-sm" type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
