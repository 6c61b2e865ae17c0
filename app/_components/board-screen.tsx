"use client";

import { useEffect, useMemo, useState } from "react";
import type { ClientState, Notice, SyncClientApi } from "../../lib/client/types";
import { demoOf } from "../../lib/demo/plan";
import type { Card, Patch, Status } from "../../lib/protocol";
import { errorMessage, nextPosition, sortCards, STATUSES } from "../_lib/format";
import { nameResolver } from "../_lib/names";
import { useDismissed } from "../_lib/use-dismissed";
import { BoardColumn } from "./board-column";
import { BoardHeader } from "./board-header";
import { CardEditor } from "./card-editor";
import { ConflictDialog } from "./conflict-dialog";
import { DemoGuide } from "./demo-guide";
import { Inspector } from "./inspector";
import { Loading } from "./loading";
import { PolicyExplainer } from "./policy-explainer";
import { Toasts } from "./toasts";

/** The board view: joins the board for as long as it is shown. */
export function BoardScreen({ client, state, boardId }: { client: SyncClientApi; state: ClientState; boardId: string }) {
  const [joinError, setJoinError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [editingId, setEditingId] = useState<string | null>(null);
  // A refused edit's typing the person asked to restore (from its notice) into that card's editor.
  const [restore, setRestore] = useState<{ noticeId: string; cardId: string; values: Patch } | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [inspectorOpen, setInspectorOpen] = useState(false);

  useEffect(() => {
    let live = true;
    setJoinError(null);
    client.joinBoard(boardId).catch((err: unknown) => live && setJoinError(errorMessage(err)));
    return () => {
      live = false;
      client.leaveBoard(boardId);
    };
  }, [client, boardId, attempt]);

  const boardState = state.boards[boardId];
  const board = boardState?.board;
  const [explainerHidden, setExplainerHidden] = useDismissed(`concord.explainer.${board?.policy ?? "none"}`);
  // A demo board ("Try the demos") opens with its guide instead of the policy explainer.
  const demo = board ? demoOf(board) : undefined;
  const nameOf = useMemo(() => nameResolver(boardState, state.user), [boardState, state.user]);

  const columns = useMemo(() => {
    const by: Record<Status, Card[]> = { todo: [], doing: [], done: [] };
    for (const c of Object.values(boardState?.cards ?? {})) (by[c.status] ?? by.todo).push(c);
    return { todo: sortCards(by.todo), doing: sortCards(by.doing), done: sortCards(by.done) };
  }, [boardState?.cards]);

  // The editor's "Move to" needs the board list, also when the person came straight to this URL.
  const online = state.connection === "online";
  useEffect(() => {
    if (online) client.refreshBoards().catch(() => {});
  }, [client, online]);

  useEffect(() => {
    if (board) document.title = `${board.name} · Concord`;
  }, [board]);

  // Cards with a write on its way ("Syncing"); a set-aside write is not on its way (OUTBOX-7).
  const pendingCardIds = useMemo(() => new Set(state.pending.filter((m) => !m.setAside).map((m) => m.cardId)), [state.pending]);
  const conflicts = state.conflicts.filter((c) => c.boardId === boardId);
  const editing = editingId ? boardState?.cards[editingId] : undefined;
  const selected = selectedId ? boardState?.cards[selectedId] : undefined;

  function open(cardId: string) {
    setRestore(null);
    setEditingId(cardId);
    setSelectedId(cardId);
    client.focusCard(boardId, cardId);
  }
  function closeEditor() {
    setEditingId(null);
    setRestore(null);
    client.focusCard(boardId, null);
  }
  function restoreTyping(n: Notice) {
    if (n.code !== "write-refused" || !n.cardId || !n.write.values) return;
    const cardId = n.cardId;
    open(cardId);
    setRestore({ noticeId: n.id, cardId, values: n.write.values });
  }
  function add(status: Status, title: string) {
    try {
      client.createCard(boardId, { title, status, position: nextPosition(columns[status]) });
    } catch (err) {
      setJoinError(errorMessage(err));
    }
  }

  return (
    <>
      <BoardHeader
        client={client}
        state={state}
        board={board}
        inspectorOpen={inspectorOpen}
        onToggleInspector={() => setInspectorOpen((o) => !o)}
        explainerHidden={explainerHidden}
        onShowExplainer={() => setExplainerHidden(false)}
      />
      <div className="board-shell">
        <main className="board-main">
          {joinError ? (
            <div className="alert alert-error" role="alert" data-testid="board-error">
              <span>Could not open this board: {joinError}</span>
              <button type="button" className="btn btn-sm" style={{ marginLeft: "auto" }} onClick={() => setAttempt((a) => a + 1)}>
                Retry
              </button>
            </div>
          ) : null}
          {!boardState ? (
            joinError ? null : <Loading label={state.connection === "offline" ? "Offline: waiting for a connection to load this board…" : "Joining board…"} />
          ) : (
            <>
              {board && demo ? <DemoGuide demo={demo} policy={board.policy} /> : null}
              {!explainerHidden && board && !demo ? <PolicyExplainer policy={board.policy} onDismiss={() => setExplainerHidden(true)} /> : null}
              <div className="columns">
                {STATUSES.map((s) => (
                  <BoardColumn
                    key={s}
                    status={s}
                    cards={columns[s]}
                    board={boardState}
                    pendingCardIds={pendingCardIds}
                    offline={state.connection === "offline" || state.network.offline}
                    meId={state.user?.id}
                    selectedId={selectedId}
                    onOpen={open}
                    onAdd={(title) => add(s, title)}
                  />
                ))}
              </div>
            </>
          )}
        </main>
        {inspectorOpen && board ? (
          <Inspector client={client} state={state} policy={board.policy} selected={selected} nameOf={nameOf} onClose={() => setInspectorOpen(false)} />
        ) : null}
      </div>
      {editingId && board ? (
        <CardEditor
          key={restore?.cardId === editingId ? `${editingId}:${restore.noticeId}` : editingId}
          client={client}
          card={editing}
          board={board}
          boards={state.boardList}
          lock={boardState?.locks[editingId]}
          meId={state.user?.id}
          nameOf={nameOf}
          onClose={closeEditor}
          restore={restore?.cardId === editingId ? restore.values : undefined}
          onSaved={() => {
            // The restored typing is a new write now (refused again, it gets a new notice): its old notice is done.
            if (restore?.cardId === editingId) client.dismissNotice(restore.noticeId);
          }}
        />
      ) : null}
      {conflicts.length > 0 ? <ConflictDialog key={conflicts[0].id} client={client} conflict={conflicts[0]} remaining={conflicts.length} nameOf={nameOf} meId={state.user?.id} /> : null}
      <Toasts
        notices={state.notices}
        boardId={boardId}
        onDismiss={(n) => client.dismissNotice(n.id)}
        onRestore={restoreTyping}
        cardExists={(cardId) => boardState?.cards[cardId] !== undefined}
        hiddenId={restore?.cardId === editingId ? restore?.noticeId : undefined}
      />
    </>
  );
}
