"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import type { SyncClientApi } from "../../lib/client/types";
import type { Board } from "../../lib/protocol";
import { useSync } from "../sync-provider";
import { AcceptInviteForm } from "./accept-invite-form";

export type Unavailable = "not-found" | "deleted" | "left";

const TEXT: Record<Unavailable, [title: string, lede: string]> = {
  "not-found": [
    "This board is private, or it does not exist",
    "Private boards open only for their owner and the people they invite. If you were invited, paste the invite link or code below, or sign in with the account that has access.",
  ],
  deleted: ["This board was deleted", "Its owner deleted it; its cards are gone for everyone."],
  left: ["You left this board", "To come back to a private board you need a new invite from its owner."],
};

/**
 * A board that cannot be shown (SPEC ACCESS-2, BOARD-4, BOARD-5), with ways forward instead of a
 * Retry that cannot help: paste an invite, sign in as someone else, or go back to one's boards.
 */
export function BoardUnavailable({ client, boardId, why, onRetry }: { client: SyncClientApi; boardId: string; why: Unavailable; onRetry: () => void }) {
  const { session, signOut } = useSync();
  const router = useRouter();
  const [title, lede] = TEXT[why];
  return (
    <section className="panel form-stack board-unavailable" data-testid="board-unavailable" data-reason={why} aria-labelledby="unavailable-title">
      <h2 id="unavailable-title">{title}</h2>
      <p className="muted">{lede}</p>
      {why === "deleted" ? null : (
        <AcceptInviteForm client={client} onJoined={(joined) => (joined === boardId ? onRetry() : router.push(`/b/${encodeURIComponent(joined)}`))} />
      )}
      <div className="unavailable-actions">
        <Link className="btn btn-primary" href="/">
          Back to my boards
        </Link>
        {why === "not-found" ? (
          <button type="button" className="btn" data-testid="switch-account" onClick={signOut}>
            Sign in as someone else{session ? ` (now ${session.user.name})` : ""}
          </button>
        ) : null}
      </div>
      {why === "not-found" && session && !session.account ? (
        <p className="muted small" style={{ margin: 0 }}>
          You are a guest: signing out leaves this guest&apos;s boards behind for good. <Link href="/account">Create an account first</Link> to keep them.
        </p>
      ) : null}
    </section>
  );
}

/** SPEC BOARD-3: an archived board says it is read-only; its owner can restore it here. */
export function ArchivedBanner({ client, board, mine }: { client: SyncClientApi; board: Board; mine: boolean }) {
  return (
    <div className="alert alert-warn board-banner" role="status" data-testid="board-archived">
      <span>This board is archived: it is read-only.</span>
      {mine ? (
        <button type="button" className="btn btn-sm" style={{ marginLeft: "auto" }} onClick={() => void client.archiveBoard(board.id, false).catch(() => {})}>
          Restore it
        </button>
      ) : null}
    </div>
  );
}
