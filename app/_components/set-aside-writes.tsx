"use client";

import { useRef, useState } from "react";
import { summarize } from "../../lib/client/notices";
import type { PendingMutation, SyncClientApi } from "../../lib/client/types";
import { writeText } from "../_lib/notice-text";

/**
 * SPEC OUTBOX-7: writes the server kept failing on are set aside (kept in this tab, not sent).
 * Shows how many there are on this board, and lets the person retry or discard each one.
 */
export function SetAsideWrites({ client, writes }: { client: SyncClientApi; writes: PendingMutation[] }) {
  const [open, setOpen] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);
  if (writes.length === 0) return null;
  return (
    <div className="popover-anchor" ref={anchor} onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      <button
        type="button"
        className="pending-pill"
        data-count={writes.length}
        data-testid="set-aside-button"
        aria-expanded={open}
        title="Writes the server failed on repeatedly: kept here, not sent"
        onClick={() => setOpen(!open)}
      >
        <span data-testid="set-aside-count">{writes.length}</span> not saved
      </button>
      {open ? (
        <div className="popover" role="region" aria-label="Writes set aside">
          <strong>Not saved</strong>
          <span className="field-hint">The server failed on these repeatedly. Your other edits went ahead; later edits of the same card wait behind them.</span>
          <ul className="insp-list" data-testid="set-aside-list">
            {writes.map((m) => (
              <li key={m.mutationId}>
                <span>
                  {writeText(summarize(m))} <span className="muted">({m.setAside?.code})</span>
                </span>{" "}
                <button type="button" className="btn btn-sm" onClick={() => client.retryWrite(m.mutationId)}>
                  Retry
                </button>{" "}
                <button type="button" className="btn btn-sm btn-ghost" onClick={() => client.discardWrite(m.mutationId)}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
