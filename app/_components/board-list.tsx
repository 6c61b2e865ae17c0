"use client";

import { useEffect, useState } from "react";
import type { ClientState, SyncClientApi } from "../../lib/client/types";
import { errorMessage } from "../_lib/format";
import { AcceptInviteForm } from "./accept-invite-form";
import { BoardTile } from "./board-tile";
import { CreateBoardForm } from "./create-board-form";
import { hasOwnDemos, TryDemos } from "./try-demos";

/** The signed-in home: boards the person may see, plus create and accept-invite forms. */
export function BoardList({ client, state }: { client: SyncClientApi; state: ClientState }) {
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const online = state.connection === "online";

  useEffect(() => {
    if (!online) return;
    let live = true;
    client
      .refreshBoards()
      .then(() => live && setError(null))
      .catch((err: unknown) => live && setError(errorMessage(err)))
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
    };
  }, [client, online]);

  const boards = [...state.boardList].sort((a, b) => a.name.localeCompare(b.name));
  const me = state.user?.id;

  return (
    <div className="home-grid">
      <section aria-labelledby="boards-title">
        <div className="section-head">
          <h2 id="boards-title">Boards</h2>
          <span className="muted small">{boards.length === 1 ? "1 board" : `${boards.length} boards`}</span>
        </div>
        {error ? (
          <div className="alert alert-error" role="alert" style={{ marginBottom: 12 }}>
            Could not load boards: {error}
          </div>
        ) : null}
        {loaded && !hasOwnDemos(state) ? <TryDemos client={client} state={state} prominent={boards.length === 0} /> : null}
        {boards.length === 0 ? (
          <div className="empty">
            <strong>{loaded || !online ? "No boards yet" : "Loading boards…"}</strong>
            {loaded || !online ? <span>Create one on the right, or join with an invite code.</span> : null}
          </div>
        ) : (
          <ul className="board-grid" style={{ listStyle: "none", margin: 0, padding: 0 }}>
            {boards.map((b) => (
              <BoardTile key={b.id} board={b} mine={b.ownerId === me} />
            ))}
          </ul>
        )}
      </section>
      <aside className="home-side">
        <CreateBoardForm client={client} />
        <AcceptInviteForm client={client} />
      </aside>
    </div>
  );
}
