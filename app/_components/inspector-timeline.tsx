"use client";

import { useMemo, useState, type ReactNode } from "react";
import { buildTimeline, CATEGORIES, DEFAULT_FILTERS, filterRows, type Category, type Step, type TimelineRow } from "../../lib/client/timeline";
import type { InspectorEvent } from "../../lib/client/types";
import { clockTimeOf } from "../_lib/format";
import type { Names } from "../_lib/inspector-names";

/** How many rows the timeline shows (the newest). */
const MAX_ROWS = 60;

const CATEGORY_LABEL: Record<Category, string> = {
  writes: "Writes", reads: "Reads", presence: "Presence", locks: "Locks", transactions: "Transactions", network: "Network",
};
const CATEGORY_BADGE: Record<Category, string> = {
  writes: "write", reads: "read", presence: "presence", locks: "lock", transactions: "2PC", network: "net",
};

interface TimelineProps {
  events: readonly InspectorEvent[];
  names: Names;
  /** Pins a card in the inspector (its row names it). */
  onSelectCard?: (cardId: string) => void;
  /** Card ids that can be pinned (on the board shown). */
  canSelect?: (cardId: string) => boolean;
}

/** The inspector's timeline (SPEC INSP-1): one row per write, reconnect, request or transaction, newest first. */
export function Timeline({ events, names, onSelectCard, canSelect }: TimelineProps) {
  const [filters, setFilters] = useState<Record<Category, boolean>>({ ...DEFAULT_FILTERS });
  const { rows } = useMemo(() => buildTimeline(events), [events]);
  const counts = useMemo(() => {
    const n = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
    for (const r of rows) n[r.category]++;
    return n;
  }, [rows]);
  const shown = filterRows(rows, filters).slice(-MAX_ROWS).reverse();
  const hidden = rows.length - filterRows(rows, filters).length;

  return (
    <div className="timeline" data-testid="timeline">
      <div className="tl-filters" role="group" aria-label="Show in the timeline">
        {CATEGORIES.map((c) => (
          <button
            key={c}
            type="button"
            className="chip"
            aria-pressed={filters[c]}
            data-testid={`timeline-filter-${c}`}
            onClick={() => setFilters((f) => ({ ...f, [c]: !f[c] }))}
          >
            {CATEGORY_LABEL[c]} <span className="chip-count">{counts[c]}</span>
          </button>
        ))}
      </div>
      <p className="insp-hint">
        Newest first. Each write is one row, from the outbox to the server&rsquo;s answer and the broadcast back.
        {hidden > 0 ? ` ${hidden} hidden by the filters.` : ""}
      </p>
      {shown.length ? (
        <ol className="tl" data-testid="timeline-rows" aria-label="Timeline, newest first">
          {shown.map((r) => (
            <TimelineRowView key={r.key} row={r} names={names} onSelectCard={onSelectCard} canSelect={canSelect} />
          ))}
        </ol>
      ) : (
        <p className="insp-empty">Nothing yet{hidden > 0 ? " with these filters" : ""}: edit a card, or use the network simulator.</p>
      )}
    </div>
  );
}

function TimelineRowView({ row, names, onSelectCard, canSelect }: { row: TimelineRow } & Pick<TimelineProps, "names" | "onSelectCard" | "canSelect">) {
  const cardId = row.subject.cardId;
  const card =
    cardId !== undefined && cardId !== "" ? (
      onSelectCard && canSelect?.(cardId) ? (
        <button type="button" className="linklike" onClick={() => onSelectCard(cardId)} title="Pin this card in the inspector">
          “{names.card(cardId, row.titleHint)}”
        </button>
      ) : (
        <span>“{names.card(cardId, row.titleHint)}”</span>
      )
    ) : null;
  return (
    <li className={`tl-row tone-${row.status.tone}`} data-testid="timeline-row" data-kind={row.kind} data-status={row.status.label}>
      <div className="tl-head">
        <span className={`tl-badge cat-${row.category}`}>{CATEGORY_BADGE[row.category]}</span>
        <span className="tl-title">{sentence(row, names, card)}</span>
        <span className={`tl-status tone-${row.status.tone}`} data-testid="timeline-status">
          {row.status.label}
        </span>
      </div>
      {compact(row) ? (
        <p className="tl-meta">
          <time dateTime={row.at} className="tl-time">
            {clockTimeOf(row.at)}
          </time>
          <span className="tl-step">{summaryOf(row)}</span>
        </p>
      ) : (
        <ol className="tl-steps">
          {row.steps.map((s, i) => (
            <StepView key={i} step={s} first={row.steps[0]!} />
          ))}
        </ol>
      )}
    </li>
  );
}

/** Requests, presence and lease broadcasts that went as expected take one line; writes, reconnects and transactions unfold. */
function compact(row: TimelineRow): boolean {
  return (row.kind === "request" || row.kind === "presence" || row.kind === "lock") && row.status.tone !== "error";
}

function summaryOf(row: TimelineRow): string {
  const last = row.steps[row.steps.length - 1]!;
  const ms = Date.parse(last.at) - Date.parse(row.at);
  const took = row.steps.length > 1 ? ` in ${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`}` : "";
  if (row.kind === "lock") return `${row.steps.length > 1 ? `renewed ×${row.steps.length - 1} · ` : ""}${last.detail ?? ""}`;
  const details = row.steps.map((s) => s.detail).filter(Boolean);
  return `${row.kind === "request" ? last.label : ""}${took}${details.length ? `${row.kind === "request" ? " · " : ""}${details.join(" → ")}` : ""}`;
}

function StepView({ step, first }: { step: Step; first: Step }) {
  const ms = Date.parse(step.at) - Date.parse(first.at);
  const when = step === first ? clockTimeOf(step.at) : ms < 1000 ? `+${ms} ms` : `+${(ms / 1000).toFixed(1)} s`;
  return (
    <li className={`tone-${step.tone}`}>
      <time dateTime={step.at} className="tl-time">
        {when}
      </time>
      <span className="tl-step">
        <span className="tl-step-label">{step.label}</span>
        {step.detail ? <span className="tl-detail"> · {step.detail}</span> : null}
      </span>
    </li>
  );
}

/** The row's headline with names: "update title · “Launch” on Roadmap", "Bob changed “Launch”". */
function sentence(row: TimelineRow, names: Names, card: ReactNode): ReactNode {
  const { boardId, toBoardId, userId } = row.subject;
  const on = boardId ? <span className="muted"> on {names.board(boardId)}</span> : null;
  switch (row.kind) {
    case "write":
    case "change": {
      if (row.write?.kind === "remote") {
        return (
          <>
            <strong>{userId ? names.user(userId) : "someone"}</strong> {row.title === "delete" ? "deleted" : "changed"} {card}
            {on}
          </>
        );
      }
      return (
        <>
          <strong>{row.title}</strong> {card}
          {toBoardId ? <span className="muted"> → {names.board(toBoardId)}</span> : on}
        </>
      );
    }
    case "lock":
      return (
        <>
          <strong>{row.title}</strong> {card}
          {userId ? <span className="muted"> · {names.user(userId)}</span> : null}
        </>
      );
    case "request":
      return (
        <>
          <strong>{row.title}</strong> {card}
          {on}
        </>
      );
    case "presence":
      return (
        <>
          <strong>{row.title}</strong>
          {on}
        </>
      );
    default:
      return <strong>{row.title.charAt(0).toUpperCase() + row.title.slice(1)}</strong>;
  }
}
