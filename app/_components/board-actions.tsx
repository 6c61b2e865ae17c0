"use client";

import { useCallback, useRef, useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import type { Board } from "../../lib/protocol";
import { errorMessage } from "../_lib/format";
import { useClickOutside } from "../_lib/use-click-outside";
import { Modal } from "./modal";

type Confirm = "delete" | "quit" | null;

/**
 * What one may do with a board from the list: the owner renames, archives or restores, and
 * deletes it (SPEC BOARD-1, BOARD-3, BOARD-4); a member leaves it (BOARD-5). Others see no menu.
 */
export function BoardActions({ client, board, mine, onRename }: { client: SyncClientApi; board: Board; mine: boolean; onRename: () => void }) {
  const [open, setOpen] = useState(false);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [error, setError] = useState<string | null>(null);
  const anchor = useRef<HTMLDivElement>(null);

  const close = useCallback(() => setOpen(false), []);
  useClickOutside(anchor, open, close);

  if (!mine && !board.member) return null;

  const run = (work: Promise<unknown>) => {
    setError(null);
    work.then(
      () => {
        setOpen(false);
        setConfirm(null);
      },
      (err: unknown) => setError(errorMessage(err)),
    );
  };
  const cards = board.cardCount ?? 0;

  return (
    <div className="popover-anchor board-actions" ref={anchor} onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      <button
        type="button"
        className="btn btn-ghost btn-sm board-actions-toggle"
        aria-expanded={open}
        aria-label={`Manage ${board.name}`}
        data-testid="board-actions"
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open ? (
        <div className="popover board-actions-menu" role="group" aria-label={`Manage ${board.name}`}>
          {mine ? (
            <>
              {board.archived ? null : (
                <button
                  type="button"
                  className="btn btn-sm"
                  data-testid="board-rename"
                  onClick={() => {
                    setOpen(false);
                    onRename();
                  }}
                >
                  Rename
                </button>
              )}
              <button type="button" className="btn btn-sm" data-testid="board-archive" onClick={() => run(client.archiveBoard(board.id, !board.archived))}>
                {board.archived ? "Restore from archive" : "Archive (read-only)"}
              </button>
              <button type="button" className="btn btn-sm btn-danger" data-testid="board-delete" onClick={() => setConfirm("delete")}>
                Delete…
              </button>
            </>
          ) : (
            <button type="button" className="btn btn-sm" data-testid="board-quit" onClick={() => setConfirm("quit")}>
              Leave board…
            </button>
          )}
          {error && !confirm ? (
            <p className="error-text" role="alert">
              {error}
            </p>
          ) : null}
        </div>
      ) : null}
      {confirm ? (
        <Modal labelledBy="board-confirm-title" onDismiss={() => setConfirm(null)} testId="board-confirm">
          <div className="dialog-head">
            <h2 id="board-confirm-title">{confirm === "delete" ? `Delete “${board.name}”?` : `Leave “${board.name}”?`}</h2>
          </div>
          <div className="dialog-body">
            <p>
              {confirm === "delete"
                ? `The board and its ${cards === 1 ? "card" : `${cards} cards`} are gone for everyone, and its invite codes stop working. This cannot be undone.`
                : board.visibility === "private"
                  ? "You will no longer see this private board. To come back you need a new invite from its owner."
                  : "You will no longer be a member; the board stays open, so you can still find it under Open boards."}
            </p>
            {error ? (
              <p className="error-text" role="alert">
                {error}
              </p>
            ) : null}
          </div>
          <div className="dialog-foot">
            <span className="spacer" />
            <button type="button" className="btn" onClick={() => setConfirm(null)} data-autofocus>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-danger"
              data-testid="board-confirm-ok"
              onClick={() => run(confirm === "delete" ? client.deleteBoard(board.id) : client.quitBoard(board.id))}
            >
              {confirm === "delete" ? "Delete board" : "Leave board"}
            </button>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}
