"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ClientState, Notice, SyncClientApi } from "../../lib/client/types";
import { keptWrite } from "../../lib/client/notices";
import { demoOf } from "../../lib/demo/plan";
import { guestCanJoin, tourOf, type TourId } from "../../lib/demo/tours";
import type { Patch, PresenceUser, Status } from "../../lib/protocol";
import { positionAtEnd } from "../../lib/client/positions";
import { useColumns } from "../_lib/board-columns";
import { errorMessage, STATUSES } from "../_lib/format";
import { nameResolver } from "../_lib/names";
import { useCardRoute } from "../_lib/use-card-route";
import { useDismissed } from "../_lib/use-dismissed";
import { BoardColumn } from "./board-column";
import { BoardDnd } from "./board-dnd";
import { BoardHeader } from "./board-header";
import { ArchivedBanner, BoardUnavailable } from "./board-unavailable";
import { CardEditor } from "./card-editor";
import { ConflictDialog } from "./conflict-dialog";
import { DemoGuide } from "./demo-guide";
import { Inspector } from "./inspector";
import { Loading } from "./loading";
import { PolicyExplainer } from "./policy-explainer";
import { Toasts } from "./toasts";
import { Tour } from "./tour";
import { useTour } from "../_lib/use-tour";

/** The board view: joins the board for as long as it is shown. */
export function BoardScreen({ client, state, boardId }: { client: SyncClientApi; state: ClientState; boardId: string }) {
  const [joinError, setJoinError] = useState<string | null>(null);
  // SPEC ACCESS-2: NOT_FOUND is not something Retry fixes; the page offers ways forward instead.
  const [notFound, setNotFound] = useState(false);
  const [joined, setJoined] = useState(false);
  const cardRoute = useCardRoute(boardId);
  const [attempt, setAttempt] = useState(0);
  const [editingId, setEditingId] = useState<string | null>(null);
  // A refused edit's typing the person asked to restore (from its notice) into that card's editor.
  const [restore, setRestore] = useState<{ noticeId: string; cardId: string; values: Patch } | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [inspectorOpen, setInspectorOpen] = useState(false);

  useEffect(() => {
    let live = true;
    setJoinError(null);
    setNotFound(false);
    setJoined(false);
    client.joinBoard(boardId).then(
      () => live && setJoined(true),
      (err: unknown) => {
        if (!live) return;
        if ((err as { code?: unknown }).code === "NOT_FOUND") setNotFound(true);
        else setJoinError(errorMessage(err));
      },
    );
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
  const tours = useTour(boardId);

  const columns = useColumns(boardState?.cards);

  // The editor's "Move to" needs the board list, also when the person came straight to this URL.
  const online = state.connection === "online";
  useEffect(() => {
    if (online) client.refreshBoards().catch(() => {});
  }, [client, online]);

  useEffect(() => {
    if (board) document.title = `${board.name} · Concord`;
  }, [board]);

  // `?card=<id>` (the "Open it on …" link after a move, SPEC TX-10) opens that card's editor once it is here.
  const linkedCardHere = typeof window !== "undefined" && boardState ? new URLSearchParams(window.location.search).get("card") : null;
  const linkedCard = linkedCardHere && boardState?.cards[linkedCardHere] ? linkedCardHere : null;
  useEffect(() => {
    if (!linkedCard) return;
    window.history.replaceState(null, "", window.location.pathname);
    setEditingId(linkedCard);
    setSelectedId(linkedCard);
  }, [linkedCard]);

  // Cards with a write on its way ("Syncing"); a set-aside write is not on its way (OUTBOX-7).
  const pendingCardIds = useMemo(() => new Set(state.pending.filter((m) => !m.setAside).map((m) => m.cardId)), [state.pending]);
  // Who looks at which card (others only), for the tiles.
  const meId = state.user?.id;
  const presence = boardState?.presence;
  const viewers = useMemo(() => {
    const by = new Map<string, PresenceUser[]>();
    for (const p of presence ?? []) if (p.cardId && p.id !== meId) by.set(p.cardId, [...(by.get(p.cardId) ?? []), p]);
    return by;
  }, [presence, meId]);
  const conflicts = state.conflicts.filter((c) => c.boardId === boardId);
  const editing = editingId ? boardState?.cards[editingId] : undefined;
  const selected = selectedId ? boardState?.cards[selectedId] : undefined;

  function open(cardId: string, fromUrl = false) {
    setRestore(null);
    setEditingId(cardId);
    setSelectedId(cardId);
    client.focusCard(boardId, cardId);
    if (!fromUrl) cardRoute.opened(cardId);
  }
  // One function for every tile, the same on every render (memoized tiles, SPEC UI-1).
  const openNow = useRef(open);
  openNow.current = open;
  const openTile = useCallback((cardId: string) => openNow.current(cardId), []);
  function closeEditor(fromUrl = false) {
    setEditingId(null);
    setRestore(null);
    client.focusCard(boardId, null);
    if (!fromUrl) cardRoute.closed();
  }
  // Card links: the URL's card opens once the board has it; Back (a URL without a card) closes it.
  const urlCard = cardRoute.urlCard;
  const urlCardLoaded = urlCard ? boardState?.cards[urlCard] !== undefined : false;
  const missingCard = urlCard !== null && joined && !urlCardLoaded;
  useEffect(() => {
    if (urlCard && urlCardLoaded && urlCard !== editingId) open(urlCard, true);
    else if (!urlCard && editingId) closeEditor(true);
  }, [urlCard, urlCardLoaded]);
  const removed = state.removedBoards[boardId];
  function restoreTyping(n: Notice) {
    const values = keptWrite(n)?.values;
    if (n.code === "write-set-aside" || !n.cardId || !values) return;
    const cardId = n.cardId;
    open(cardId);
    setRestore({ noticeId: n.id, cardId, values });
  }
  // SPEC LOCK-10: the lock tour's tab B is a guest of that tab only; it is offered where that guest can get in.
  const guestCan = board ? guestCanJoin(board, state.user?.id) : false;
  async function startTour(id: TourId) {
    // The tour's card: the first one on the board (on a demo board, the card its guide names).
    const card = columns.todo[0] ?? columns.doing[0] ?? columns.done[0];
    let guestInvite: string | undefined;
    if (tourOf(id).guestTabB && board?.visibility === "private") {
      // A private board lets the guest in by its owner's invite (ACCESS-2, ACCESS-3): one use, one hour.
      guestInvite = await client.invite(boardId, { ttlMs: 3_600_000, maxUses: 1 }).then(
        (inv) => inv.code,
        (err: unknown) => {
          console.warn("could not invite the lock tour's guest", err);
          return undefined;
        },
      );
    }
    tours.start(id, card ? { id: card.id, title: card.title } : undefined, guestInvite);
  }
  const columnsNow = useRef(columns);
  columnsNow.current = columns;
  const add = useCallback(
    (status: Status, title: string) => {
      try {
        client.createCard(boardId, { title, status, position: positionAtEnd(columnsNow.current[status]) });
      } catch (err) {
        setJoinError(errorMessage(err));
      }
    },
    [client, boardId],
  );

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
          {notFound || removed ? <BoardUnavailable client={client} boardId={boardId} why={removed ?? "not-found"} onRetry={() => setAttempt((a) => a + 1)} /> : null}
          {board?.archived ? <ArchivedBanner client={client} board={board} mine={board.ownerId === state.user?.id} /> : null}
          {missingCard && !notFound && !removed ? (
            <div className="alert alert-warn board-banner" role="status" data-testid="card-link-missing">
              <span>This link points to a card that is not on this board any more (it was deleted or moved).</span>
              <button type="button" className="btn btn-sm" style={{ marginLeft: "auto" }} onClick={() => cardRoute.closed()}>
                Dismiss
              </button>
            </div>
          ) : null}
          {joinError ? (
            <div className="alert alert-error" role="alert" data-testid="board-error">
              <span>Could not open this board: {joinError}</span>
              <button type="button" className="btn btn-sm" style={{ marginLeft: "auto" }} onClick={() => setAttempt((a) => a + 1)}>
                Retry
              </button>
            </div>
          ) : null}
          {removed || notFound ? null : !boardState ? (
            joinError || notFound ? null : <Loading label={state.connection === "offline" ? "Offline: waiting for a connection to load this board…" : "Joining board…"} />
          ) : (
            <>
              {board && demo ? <DemoGuide demo={demo} policy={board.policy} guestCan={guestCan} onStartTour={(id) => void startTour(id)} /> : null}
              {!explainerHidden && board && !demo ? <PolicyExplainer policy={board.policy} guestCan={guestCan} onDismiss={() => setExplainerHidden(true)} onStartTour={(id) => void startTour(id)} /> : null}
              <BoardDnd client={client} columns={columns}>
                {(shown) => (
                  <div className="columns">
                    {STATUSES.map((s) => (
                      <BoardColumn
                        key={s}
                        status={s}
                        cards={shown[s]}
                        locks={boardState.locks}
                        highlights={boardState.highlights}
                        viewers={viewers}
                        pendingCardIds={pendingCardIds}
                        offline={state.connection === "offline" || state.network.offline}
                        meId={meId}
                        selectedId={selectedId}
                        onOpen={openTile}
                        onAdd={add}
                      />
                    ))}
                  </div>
                )}
              </BoardDnd>
            </>
          )}
        </main>
        {inspectorOpen && board ? (
          <Inspector
            client={client}
            state={state}
            board={board}
            selected={selected}
            nameOf={nameOf}
            onClose={() => setInspectorOpen(false)}
            onSelectCard={setSelectedId}
            onUnpin={() => setSelectedId(null)}
          />
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
          held={state.leases[editingId]}
          sendAnyway={state.leaseSim.sendAnyway}
          meId={state.user?.id}
          replicaId={state.replicaId}
          nameOf={nameOf}
          onClose={() => closeEditor()}
          restore={restore?.cardId === editingId ? restore.values : undefined}
          endOf={(s) => positionAtEnd(columns[s].filter((c) => c.id !== editingId))}
          onSaved={() => {
            // The restored typing is a new write now (refused again, it gets a new notice): its old notice is done.
            if (restore?.cardId === editingId) client.dismissNotice(restore.noticeId);
          }}
        />
      ) : null}
      {conflicts.length > 0 ? <ConflictDialog key={conflicts[0].id} client={client} conflict={conflicts[0]} remaining={conflicts.length} nameOf={nameOf} viewer={{ userId: state.user?.id, replicaId: state.replicaId }} /> : null}
      {tours.tour ? <Tour tour={tours.tour} onGo={tours.go} onEnd={tours.end} onOpenTabB={tours.openTabB} /> : null}
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
