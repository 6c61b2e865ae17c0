import type { ClientState, SyncClientApi } from "../../lib/client/types";
import type { Card, Policy } from "../../lib/protocol";
import { attemptsText, formatValue, timeOf } from "../_lib/format";
import { CardInspector } from "./card-inspector";
import { connectionText } from "./connection-badge";
import { NetworkSimulator } from "./network-simulator";

interface InspectorProps {
  client: SyncClientApi;
  state: ClientState;
  policy: Policy;
  selected: Card | undefined;
  nameOf: (id: string) => string;
  onClose: () => void;
}

const ARROW = { in: "↓", out: "↑", local: "•" } as const;

/** The sync inspector: what this replica knows, what it is waiting for, and what just happened. */
export function Inspector({ client, state, policy, selected, nameOf, onClose }: InspectorProps) {
  const events = state.events.slice(-40).reverse();
  return (
    <aside className="inspector" data-testid="inspector" aria-labelledby="inspector-title">
      <div className="inspector-head">
        <h2 id="inspector-title">Sync inspector</h2>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onClose} aria-label="Close inspector">
          ✕
        </button>
      </div>

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

      <section className="insp-section" aria-label="Pending mutations">
        <h3>Outbox · {state.pending.length} pending</h3>
        {state.pending.length ? (
          <ul className="insp-list" data-testid="inspector-pending">
            {state.pending.map((m) => (
              <li key={m.mutationId}>
                <span className="mono">{m.kind}</span>
                <span className="grow">
                  {m.kind === "create" || m.kind === "update"
                    ? Object.entries(m.kind === "create" ? m.fields : m.patch).map(([k, v]) => `${k}=${formatValue(v).slice(0, 24)}`).join(" ")
                    : m.cardId}
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

      <section className="insp-section" aria-label="Selected card">
        <h3>Selected card</h3>
        <CardInspector card={selected} policy={policy} nameOf={nameOf} />
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
          <p className="insp-empty">None yet (a move across shards runs two-phase commit).</p>
        )}
      </section>

      <NetworkSimulator client={client} network={state.network} />

      <section className="insp-section" aria-label="Recent events">
        <h3>Recent events</h3>
        {events.length ? (
          <ul className="insp-list" data-testid="inspector-events">
            {events.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <span className={`dir dir-${e.direction}`} role="img" aria-label={e.direction}>
                  {ARROW[e.direction]}
                </span>
                <span className="grow">
                  <span className="mono">{e.event}</span> <span className="muted">{e.summary}</span>
                </span>
                <span className="mono muted">{timeOf(e.at)}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="insp-empty">No events yet.</p>
        )}
      </section>
    </aside>
  );
}
