"use client";

import { useEffect, useState } from "react";
import type { ClientState, SyncClientApi } from "../../lib/client/types";
import type { Board } from "../../lib/protocol";
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
  // SPEC BOARD-7: one's own boards, others' boards one was invited to, others' open boards, archived ones.
  const live = boards.filter((b) => !b.archived);
  const sections: { id: string; title: string; empty: string; boards: Board[] }[] = [
    { id: "mine", title: "Mine", empty: "Boards you create appear here.", boards: live.filter((b) => b.ownerId === me) },
    { id: "shared", title: "Shared with me", empty: "Boards others invite you to appear here.", boards: live.filter((b) => b.ownerId !== me && b.member) },
    { id: "open", title: "Open boards", empty: "Nobody else has an open board yet.", boards: live.filter((b) => b.ownerId !== me && !b.member) },
  ];
  const archived = boards.filter((b) => b.archived);
  if (archived.length > 0) sections.push({ id: "archived", title: "Archived", empty: "", boards: archived });

  return (
    <div className="home-grid">
      <div className="board-sections">
        {error ? (
          <div className="alert alert-error" role="alert">
            Could not load boards: {error}
          </div>
        ) : null}
        {loaded && !hasOwnDemos(state) ? <TryDemos client={client} state={state} prominent={boards.length === 0} /> : null}
        {!loaded && boards.length === 0 ? (
          <div className="empty">
            <strong>{online ? "Loading boards…" : "No boards yet"}</strong>
          </div>
        ) : (
          sections.map((sec) => (
            <section key={sec.id} aria-labelledby={`boards-${sec.id}`} data-testid={`boards-${sec.id}`}>
              <div className="section-head">
                <h2 id={`boards-${sec.id}`}>{sec.title}</h2>
                <span className="muted small">{sec.boards.length === 1 ? "1 board" : `${sec.boards.length} boards`}</span>
              </div>
              {sec.boards.length === 0 ? (
                <p className="section-empty muted">{sec.empty}</p>
              ) : (
                <ul className="board-grid" style={{ listStyle: "none", margin: 0, padding: 0 }}>
                  {sec.boards.map((b) => (
                    <BoardTile key={b.id} board={b} meId={me} client={client} />
                  ))}
                </ul>
              )}
            </section>
          ))
        )}
      </div>
      <aside className="home-side">
        <CreateBoardForm client={client} />
        <AcceptInviteForm client={client} />
      </aside>
    </div>
  );
}
