"use client";

import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { summarize } from "../../lib/client/replica-share";
import type { ClientState, SyncClientApi } from "../../lib/client/types";
import type { Board, Card } from "../../lib/protocol";
import { usePeerReplicas } from "../sync-provider";
import { attemptsText, formatValue } from "../_lib/format";
import { inspectorNames, type Names } from "../_lib/inspector-names";
import { CardInspector } from "./card-inspector";
import { connectionText } from "./connection-badge";
import { Clocks } from "./inspector-clocks";
import { Timeline } from "./inspector-timeline";
import { MoveTimelines } from "./move-timeline";
import { NetworkSimulator } from "./network-simulator";
import { ShardReplicas } from "./shard-replicas";

interface InspectorProps {
  client: SyncClientApi;
  state: ClientState;
  board: Board;
  /** The pinned card (the last opened, or picked in the timeline). */
  selected: Card | undefined;
  nameOf: (id: string) => string;
  onClose: () => void;
  onSelectCard: (cardId: string) => void;
  onUnpin: () => void;
}

/** What every inspector panel gets. */
export interface InspectorContext extends InspectorProps {
  names: Names;
}

/**
 * A tab of the inspector. To add one, append it to PANELS: `id` (unique, also its test id
 * `inspector-tab-<id>`), `label`, an optional `badge` (a count shown on the tab) and `render`.
 */
export interface InspectorPanel {
  id: string;
  label: string;
  badge?: (ctx: InspectorContext) => string | number | undefined;
  render: (ctx: InspectorContext) => ReactNode;
}

export const PANELS: InspectorPanel[] = [
  {
    id: "timeline",
    label: "Timeline",
    render: ({ state, board, names, onSelectCard }) => (
      <Timeline events={state.events} names={names} onSelectCard={onSelectCard} canSelect={(id) => state.boards[board.id]?.cards[id] !== undefined} />
    ),
  },
  { id: "clocks", label: "Tabs & clocks", render: (ctx) => <ClocksPanel {...ctx} /> },
  {
    id: "moves",
    label: "Moves · 2PC",
    badge: ({ state }) => state.moves.filter((m) => m.outcome === undefined).length || undefined,
    render: ({ client, state }) => (
      <MoveTimelines
        client={client}
        moves={state.moves}
        boards={state.boardList}
        titleOf={(cardId) => state.moves.find((t) => t.cardId === cardId)?.title ?? null}
        faults={state.faults}
        crashArmed={state.crashArmed}
      />
    ),
  },
  { id: "outbox", label: "Outbox", badge: ({ state }) => state.pending.length || undefined, render: (ctx) => <Outbox {...ctx} /> },
  { id: "replica", label: "Replica", render: (ctx) => <Replica {...ctx} /> },
];

/**
 * The sync inspector, a drawer beside the board: the network simulator and the pinned card on
 * top, then the timeline, the tabs' clocks side by side, the outbox and this replica (SPEC INSP-1).
 */
export function Inspector(props: InspectorProps) {
  const { client, state, board, selected, onClose, onUnpin } = props;
  const names = useMemo(() => inspectorNames(state, props.nameOf), [state, props.nameOf]);
  const ctx: InspectorContext = { ...props, names };
  const [active, setActive] = useState(PANELS[0]!.id);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  // Arrow keys move between the tabs (WAI-ARIA tabs pattern).
  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const i = PANELS.findIndex((p) => p.id === active);
    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? PANELS.length - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const j = (next + PANELS.length) % PANELS.length;
    setActive(PANELS[j]!.id);
    tabs.current[j]?.focus();
  }

  return (
    <aside className="inspector" data-testid="inspector" aria-labelledby="inspector-title">
      <div className="inspector-head">
        <h2 id="inspector-title">Sync inspector</h2>
        <span className={`pill conn-${state.connection}`} data-testid="inspector-connection">
          {connectionText(state.connection, state.catchingUp)}
        </span>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onClose} aria-label="Close inspector">
          ✕
        </button>
      </div>
      <NetworkSimulator client={client} network={state.network} leaseSim={state.leaseSim} />
      <ShardReplicas />
      <section className="insp-section insp-pinned" aria-label="Pinned card">
        <h3>Pinned card</h3>
        <CardInspector
          client={client}
          card={selected}
          policy={board.policy}
          lock={selected ? state.boards[board.id]?.locks[selected.id] : undefined}
          names={names}
          replicaId={state.replicaId}
          online={state.connection === "online"}
          onUnpin={selected ? onUnpin : undefined}
        />
      </section>
      <div className="insp-tabs" role="tablist" aria-label="Inspector views" onKeyDown={onKeyDown}>
        {PANELS.map((p, i) => {
          const badge = p.badge?.(ctx);
          return (
            <button
              key={p.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`inspector-tab-${p.id}`}
              data-testid={`inspector-tab-${p.id}`}
              aria-selected={active === p.id}
              aria-controls={`inspector-panel-${p.id}`}
              tabIndex={active === p.id ? 0 : -1}
              className="insp-tab"
              onClick={() => setActive(p.id)}
            >
              {p.label}
              {badge !== undefined ? <span className="chip-count">{badge}</span> : null}
            </button>
          );
        })}
      </div>
      {PANELS.map((p) => (
        // Every panel stays mounted (hidden when not chosen), so what it holds is always current.
        <div key={p.id} role="tabpanel" id={`inspector-panel-${p.id}`} aria-labelledby={`inspector-tab-${p.id}`} hidden={active !== p.id} className="insp-panel">
          {p.render(ctx)}
        </div>
      ))}
    </aside>
  );
}

function ClocksPanel({ client, state, board, selected, names }: InspectorContext) {
  const peers = usePeerReplicas();
  const own = summarize(state, client.hlc(), Date.now());
  return <Clocks own={own} peers={peers} boardId={board.id} policy={board.policy} cardId={selected?.id} names={names} />;
}

function Outbox({ state, names }: InspectorContext) {
  return (
    <section className="insp-section" aria-label="Pending mutations">
      <h3>Outbox · {state.pending.length} pending</h3>
      {state.pending.length ? (
        <ul className="insp-list" data-testid="inspector-pending">
          {state.pending.map((m) => (
            <li key={m.mutationId}>
              <span className="mono">{m.kind}</span>
              <span className="grow">
                “{names.card(m.cardId)}”{" "}
                {m.kind === "create" || m.kind === "update"
                  ? Object.entries(m.kind === "create" ? m.fields : m.patch).map(([k, v]) => `${k}=${formatValue(v).slice(0, 24)}`).join(" ")
                  : m.kind === "move"
                    ? `→ ${names.board(m.toBoardId)}`
                    : null}
                {m.kind !== "create" ? <span className="muted"> @v{m.baseVersion}</span> : null}
                {m.setAside ? <span className="muted" title="SPEC OUTBOX-7: not sent until you retry it"> · set aside ({m.setAside.code})</span> : null}
              </span>
              <span className="mono muted" title="Times sent">
                {attemptsText(m.attempts)}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="insp-empty">Nothing waiting: every local write is acknowledged.</p>
      )}
    </section>
  );
}

function Replica({ state }: InspectorContext) {
  return (
    <>
      <section className="insp-section" aria-label="Replica">
        <h3>This replica</h3>
        <dl className="kv">
          <dt>node</dt>
          <dd data-testid="inspector-node">{state.nodeId ?? "—"}</dd>
          <dt>replica</dt>
          <dd data-testid="inspector-replica">{state.replicaId}</dd>
          <dt>connection</dt>
          <dd>{connectionText(state.connection, state.catchingUp)}</dd>
        </dl>
        <p className="insp-note">Each tab is its own replica: its own outbox, clocks and cursor. Two tabs of one person can conflict with each other.</p>
      </section>
      <section className="insp-section" aria-label="Board cursors">
        <h3>Board cursors</h3>
        {Object.values(state.boards).length ? (
          <dl className="kv">
            {Object.values(state.boards).map((b) => (
              <div key={b.board.id} style={{ display: "contents" }}>
                <dt>{b.board.name}</dt>
                <dd data-testid={`inspector-seq-${b.board.id}`}>seq {b.seq}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="insp-empty">No board joined.</p>
        )}
      </section>
      <section className="insp-section" aria-label="Last transaction">
        <h3>Last distributed transaction</h3>
        {state.lastTx ? (
          <dl className="kv" data-testid="inspector-tx">
            <dt>tx</dt>
            <dd>{state.lastTx.txId}</dd>
            <dt>phase</dt>
            <dd>{state.lastTx.phase}</dd>
            <dt>shards</dt>
            <dd>{state.lastTx.shards.join(", ")}</dd>
          </dl>
        ) : (
          <p className="insp-empty">None yet (a move across shards runs two-phase commit; it shows in the timeline).</p>
        )}
      </section>
    </>
  );
}
