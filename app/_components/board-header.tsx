import Link from "next/link";
import { touchedBoards } from "../../lib/client/pending";
import type { ClientState, SyncClientApi } from "../../lib/client/types";
import type { Board } from "../../lib/protocol";
import { BrandMark } from "./brand-mark";
import { ConnectionBadge } from "./connection-badge";
import { InviteButton } from "./invite-button";
import { PolicyBadge } from "./policy-badge";
import { PresenceAvatars } from "./presence-avatars";
import { SetAsideWrites } from "./set-aside-writes";
import { UserMenu } from "./user-menu";

interface BoardHeaderProps {
  client: SyncClientApi;
  state: ClientState;
  board: Board | undefined;
  inspectorOpen: boolean;
  onToggleInspector: () => void;
  explainerHidden: boolean;
  onShowExplainer: () => void;
}

/** Board name and policy, who is here, and the sync status (connection and pending writes). */
export function BoardHeader({ client, state, board, inspectorOpen, onToggleInspector, explainerHidden, onShowExplainer }: BoardHeaderProps) {
  // Set-aside writes are not waiting for the server: they are counted once, as "not saved".
  const waiting = state.pending.filter((m) => !m.setAside);
  const pending = board ? waiting.filter((m) => touchedBoards(m).includes(board.id)).length : waiting.length;
  const presence = board ? (state.boards[board.id]?.presence ?? []) : [];
  const presenceTotal = board ? (state.boards[board.id]?.presenceTotal ?? presence.length) : 0;
  const setAside = state.pending.filter((m) => m.setAside && (!board || touchedBoards(m).includes(board.id)));
  return (
    <header className="topbar board-topbar">
      <BrandMark />
      <div className="board-title">
        <span className="crumb-sep" aria-hidden="true">
          /
        </span>
        <Link className="crumb" href="/">
          Boards
        </Link>
        <span className="crumb-sep" aria-hidden="true">
          /
        </span>
        <h1 data-testid="board-title" title={board?.name}>
          {board?.name ?? "Board"}
        </h1>
        {board ? <PolicyBadge policy={board.policy} /> : null}
        {board ? <span className="badge shard-badge">shard {board.shard}</span> : null}
        {board?.visibility === "private" ? <span className="badge shard-badge">private</span> : null}
        {board && explainerHidden ? (
          <button type="button" className="btn btn-ghost btn-sm" onClick={onShowExplainer}>
            How does {board.policy.toUpperCase()} work?
          </button>
        ) : null}
      </div>
      <span className="topbar-spacer" />
      <div className="topbar-group">
        <PresenceAvatars users={presence} total={presenceTotal} meId={state.user?.id} />
        {board && state.user && board.ownerId === state.user.id ? <InviteButton client={client} boardId={board.id} /> : null}
        <span className="pending-pill" data-testid="pending-pill" data-count={pending} title="Local writes waiting for the server's acknowledgement">
          <span data-testid="pending-count">{pending}</span>
          <span className="pending-word"> pending</span>
        </span>
        <SetAsideWrites client={client} writes={setAside} />
        {board && state.boards[board.id]?.loading ? (
          <span className="badge loading-badge" data-testid="board-loading" role="status" title="The first cards are shown; the rest of the board is on its way">
            Loading more cards…
          </span>
        ) : null}
        <ConnectionBadge state={state.connection} catchingUp={state.catchingUp} />
        <button type="button" className="btn btn-sm" aria-pressed={inspectorOpen} data-testid="inspector-toggle" onClick={onToggleInspector}>
          Inspector
        </button>
        <UserMenu avatar={false} />
      </div>
    </header>
  );
}
