"use client";

import { useEffect, useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import { FIELD_NAMES, type Card, type Change, type Lock, type Policy } from "../../lib/protocol";
import { errorMessage, formatValue, hlcText, timeOf } from "../_lib/format";
import type { Names } from "../_lib/inspector-names";
import { LockIcon } from "./icons";

interface CardInspectorProps {
  client: SyncClientApi;
  card: Card | undefined;
  policy: Policy;
  lock: Lock | undefined;
  names: Names;
  /** This tab's replica id: its entry in vector clocks. */
  replicaId: string;
  /** Connected and caught up: the history is read (again) then. */
  online: boolean;
  onUnpin?: () => void;
}

/** Re-renders every `ms` while `on`, returning the current time. */
function useNow(ms: number, on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, on]);
  return now;
}

/**
 * The pinned card (SPEC INSP-1): its version and field versions, its policy's clocks (HLCs, or
 * the vector clock and siblings), its lease with a live countdown, and its history.
 */
export function CardInspector({ client, card, policy, lock, names, replicaId, online, onUnpin }: CardInspectorProps) {
  const [open, setOpen] = useState(true);
  if (!card) return <p className="insp-empty">Open a card, or pick one in the timeline, to pin its versions, clocks, lease and history here.</p>;
  const clock = Object.entries(card.clock ?? {});
  const siblings = Object.entries(card.siblings ?? {}).filter(([, s]) => (s?.length ?? 0) > 0);
  return (
    <div data-testid="inspector-card" className="pinned-card">
      <div className="pinned-head">
        <strong className="pinned-title">“{card.title || "(untitled)"}”</strong>
        <span className="pill mono" title="The card's version: one more with every applied write">
          v<span data-testid="inspector-card-version">{card.version}</span>
        </span>
        <span className="pinned-actions">
          <button type="button" className="btn btn-ghost btn-sm" aria-expanded={open} aria-controls="pinned-details" onClick={() => setOpen((o) => !o)}>
            {open ? "Less" : "More"}
          </button>
          {onUnpin ? (
            <button type="button" className="btn btn-ghost btn-sm" onClick={onUnpin} aria-label="Unpin this card">
              Unpin
            </button>
          ) : null}
        </span>
      </div>
      <LeaseView lock={lock} names={names} />
      <div id="pinned-details" hidden={!open} className="pinned-card">
        <p className="small muted" style={{ margin: 0 }}>
          last written by {names.user(card.updatedBy)} at {timeOf(card.updatedAt)}
        </p>
        <h4 className="insp-sub">Field versions{policy === "lww" ? " · HLC per field" : ""}</h4>
        {policy === "lww" ? (
          <table className="insp-table">
            <thead>
              <tr>
                <th scope="col">field</th>
                <th scope="col">version</th>
                <th scope="col">HLC</th>
              </tr>
            </thead>
            <tbody>
              {FIELD_NAMES.map((f) => (
                <tr key={f} className={card.version > 1 && card.fieldVersions?.[f] === card.version ? "hot" : undefined}>
                  <th scope="row">{f}</th>
                  <td className="mono">v{card.fieldVersions?.[f] ?? 0}</td>
                  <td className="mono" title={card.hlc?.[f]}>
                    {hlcText(card.hlc?.[f])}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <ul className="fv-list" aria-label="Field versions">
            {FIELD_NAMES.map((f) => (
              <li key={f} className={card.version > 1 && card.fieldVersions?.[f] === card.version ? "hot" : undefined}>
                {f} <span className="mono">v{card.fieldVersions?.[f] ?? 0}</span>
              </li>
            ))}
          </ul>
        )}
        {policy === "mvr" ? (
          <>
            <h4 className="insp-sub">Vector clock</h4>
            {clock.length ? (
              <dl className="kv" data-testid="inspector-card-clock">
                {clock.map(([replica, n]) => (
                  <div key={replica} style={{ display: "contents" }}>
                    <dt>
                      {replica}
                      {replica === replicaId ? <span className="muted"> (this tab)</span> : null}
                    </dt>
                    <dd>{n}</dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p className="insp-empty">empty</p>
            )}
            <h4 className="insp-sub">Siblings</h4>
            {siblings.length ? (
              <ul className="insp-list">
                {siblings.flatMap(([field, list]) =>
                  (list ?? []).map((s, i) => (
                    <li key={`${field}-${i}`} style={{ flexDirection: "column", gap: 2 }}>
                      <span>
                        <span className="mono">{field}</span> {formatValue(s.value)} <span className="muted">by {s.byName ?? names.user(s.by)}</span>
                      </span>
                      <span className="mono muted">{JSON.stringify(s.clock)}</span>
                    </li>
                  )),
                )}
              </ul>
            ) : (
              <p className="insp-empty">none: every field has one value</p>
            )}
          </>
        ) : null}
        <CardHistory client={client} card={card} names={names} online={online} />
      </div>
    </div>
  );
}

/** The card's lease: holder, fencing token and a live countdown (SPEC LOCK-1, LOCK-3). */
function LeaseView({ lock, names }: { lock: Lock | undefined; names: Names }) {
  const now = useNow(250, lock !== undefined);
  if (!lock) {
    return (
      <p className="lease-line" data-testid="inspector-lease">
        <span className="muted">No lease: anyone may write (versions decide).</span>
      </p>
    );
  }
  const left = Date.parse(lock.expiresAt) - now;
  const expired = left <= 0;
  return (
    <div className={`lease-line ${expired ? "lease-expired" : left < 10_000 ? "lease-ending" : ""}`} data-testid="inspector-lease">
      <span>
        <LockIcon /> <strong>{names.user(lock.holder.id)}</strong> holds the lease · token <span className="mono">{lock.token}</span>
      </span>
      <span className="mono" data-testid="inspector-lease-countdown" role="timer" aria-live="off">
        {expired ? "expired" : `${Math.ceil(left / 1000)} s left`}
      </span>
    </div>
  );
}

/** The card's changes from the server's log (newest first), read again when its version changes or the tab is back online. */
function CardHistory({ client, card, names, online }: { client: SyncClientApi; card: Card; names: Names; online: boolean }) {
  const [entries, setEntries] = useState<Change[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!online) return;
    let live = true;
    client
      .history(card.id)
      .then((e) => {
        if (!live) return;
        setEntries(e);
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [client, card.id, card.version, online]);
  return (
    <>
      <h4 className="insp-sub">History</h4>
      {error ? <p className="insp-empty">History unavailable: {error}</p> : null}
      {entries === null && !error ? <p className="insp-empty">Loading…</p> : null}
      {entries && entries.length === 0 ? <p className="insp-empty">No changes logged yet.</p> : null}
      {entries && entries.length > 0 ? (
        <ol className="insp-list history-list" data-testid="inspector-card-history">
          {[...entries].reverse().slice(0, 20).map((e) => {
            const changed = e.card ? FIELD_NAMES.filter((f) => e.card!.fieldVersions?.[f] === e.card!.version) : [];
            return (
              <li key={`${e.boardId}-${e.seq}`}>
                <span className="mono">seq {e.seq}</span>
                <span className="grow">
                  {e.type === "card.delete" ? "deleted" : !e.card ? "changed" : e.card.version === 1 ? "v1 created" : `v${e.card.version} ${changed.join(", ")}`}{" "}
                  <span className="muted">by {e.byName ?? names.user(e.by)}</span>
                  {e.boardId !== card.boardId ? <span className="muted"> on {names.board(e.boardId)}</span> : null}
                </span>
                <span className="mono muted">{timeOf(e.at)}</span>
              </li>
            );
          })}
        </ol>
      ) : null}
    </>
  );
}
