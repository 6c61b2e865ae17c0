"use client";

import { seenBy, writesToCompare, type ReplicaSummary, type Seen } from "../../lib/client/replica-share";
import type { Policy } from "../../lib/protocol";
import { hlcText } from "../_lib/format";
import type { Names } from "../_lib/inspector-names";
import { connectionText } from "./connection-badge";

interface ClocksProps {
  own: ReplicaSummary;
  peers: ReplicaSummary[];
  boardId: string;
  policy: Policy;
  /** The pinned card, compared across the tabs. */
  cardId: string | undefined;
  names: Names;
}

/**
 * The tabs of this browser side by side (SPEC INSP-2): each tab's clocks and cursor, shared over
 * a BroadcastChannel, and which write each has seen.
 */
export function Clocks({ own, peers, boardId, policy, cardId, names }: ClocksProps) {
  const replicas = [own, ...peers];
  const writes = writesToCompare(replicas, boardId);
  return (
    <div className="clocks" data-testid="clocks">
      {peers.length === 0 ? (
        <p className="insp-note" data-testid="clocks-alone">
          Only this tab so far. Open this board in a second tab of this browser: its replica shows up here, next to this one.
        </p>
      ) : null}
      <h4 className="insp-sub">Which write each tab has seen</h4>
      {writes.length ? (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Which write each tab has seen (scrolls sideways)">
          <table className="insp-table clocks-table" data-testid="clocks-writes">
            <thead>
              <tr>
                <th scope="col">write</th>
                {replicas.map((r) => (
                  <th key={r.replicaId} scope="col" className="nowrap">
                    {r === own ? "this tab" : "other tab"}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...writes].reverse().map((w) => (
                <tr key={w.mutationId} data-testid="clocks-write">
                  <th scope="row">
                    {w.seq !== undefined ? <span className="mono">seq {w.seq} </span> : null}“{names.card(w.cardId, replicas.map((r) => r.cards[w.cardId]?.title).find(Boolean))}”
                    <span className="muted block">by {names.user(w.by)}</span>
                  </th>
                  {replicas.map((r) => (
                    <SeenCell key={r.replicaId} seen={seenBy(r, w)} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="insp-empty">No writes on this board yet.</p>
      )}
      <h4 className="insp-sub">Each tab&rsquo;s replica</h4>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Each tab’s replica (scrolls sideways)">
        <table className="insp-table clocks-table" data-testid="clocks-table">
          <caption className="visually-hidden">Each tab&rsquo;s replica, side by side</caption>
          <thead>
            <tr>
              <td />
              {replicas.map((r) => (
                <th key={r.replicaId} scope="col" data-testid="clocks-replica">
                  {r === own ? "this tab" : "other tab"}
                  <span className="mono block">{r.replicaId}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <Row label="person" cells={replicas.map((r) => r.user?.name ?? "—")} />
            <Row label="node" cells={replicas.map((r) => r.nodeId ?? "—")} mono />
            <Row label="connection" cells={replicas.map((r) => connectionText(r.connection, 0))} />
            <Row label="cursor" title="The last seq of this board applied in order" cells={replicas.map((r) => (r.boards[boardId] ? `seq ${r.boards[boardId].seq}` : "not joined"))} mono testId="clocks-cursor" />
            <Row label="HLC" title="The hybrid logical clock: last timestamp issued or merged (wall time, logical counter)" cells={replicas.map((r) => hlcText(r.hlc, false))} mono />
            <Row label="outbox" cells={replicas.map((r) => `${r.pending.length} pending`)} />
            {cardId ? <CardRows replicas={replicas} cardId={cardId} policy={policy} names={names} /> : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Row({ label, cells, mono, title, testId }: { label: string; cells: string[]; mono?: boolean; title?: string; testId?: string }) {
  return (
    <tr data-testid={testId}>
      <th scope="row" title={title}>
        {label}
      </th>
      {cells.map((c, i) => (
        <td key={i} className={mono ? "mono" : undefined}>
          {c}
        </td>
      ))}
    </tr>
  );
}

function CardRows({ replicas, cardId, policy, names }: { replicas: ReplicaSummary[]; cardId: string; policy: Policy; names: Names }) {
  const views = replicas.map((r) => r.cards[cardId]);
  return (
    <>
      <tr>
        <th scope="row" colSpan={replicas.length + 1} className="clocks-group">
          pinned card “{names.card(cardId, views.find(Boolean)?.title)}”
        </th>
      </tr>
      <Row label="version" cells={views.map((v) => (v ? `v${v.version}` : "—"))} mono testId="clocks-card-version" />
      {policy === "lww" ? <Row label="title HLC" cells={views.map((v) => hlcText(v?.hlc?.title))} mono /> : null}
      {policy === "mvr" ? (
        <>
          <Row label="vector clock" cells={views.map((v) => (v?.clock ? Object.entries(v.clock).map(([k, n]) => `${k}:${n}`).join(" ") || "{}" : "—"))} mono />
          <Row label="siblings" cells={views.map((v) => (v ? (v.siblings ? `${v.siblings} field(s) with several values` : "none") : "—"))} />
        </>
      ) : null}
    </>
  );
}

function SeenCell({ seen }: { seen: Seen }) {
  switch (seen.state) {
    case "seen":
      return <td className="seen-yes">✓ seen</td>;
    case "pending":
      return <td className="seen-pending">in its outbox{seen.attempts ? ` (sent ×${seen.attempts})` : " (not sent yet)"}</td>;
    case "not-yet":
      return (
        <td className="seen-no">
          not yet <span className="block">at seq {seen.cursor}</span>
        </td>
      );
    case "not-joined":
      return <td className="muted">board not open</td>;
  }
}
