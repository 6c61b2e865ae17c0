"use client";

import { useEffect, useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import { FIELD_NAMES, type Card, type Change } from "../../lib/protocol";
import { errorMessage, FIELD_LABEL, sameValue, timeOf } from "../_lib/format";

function describe(change: Change, previous: Card | undefined): string {
  if (change.type === "card.delete") return "deleted";
  if (!change.card) return "changed";
  if (!previous) return `created “${change.card.title || "Untitled"}”`;
  const changed = FIELD_NAMES.filter((f) => !sameValue(previous[f], change.card?.[f]));
  return changed.length ? `changed ${changed.map((f) => FIELD_LABEL[f].toLowerCase()).join(", ")}` : "touched (no visible change)";
}

/** The card's entries in the board's change log, newest first. */
export function CardHistory({ client, cardId, nameOf }: { client: SyncClientApi; cardId: string; nameOf: (id: string) => string }) {
  const [entries, setEntries] = useState<Change[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    client
      .history(cardId)
      .then((e) => live && setEntries(e))
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [client, cardId]);

  if (error) return <p className="error-text">Could not load history: {error}</p>;
  if (!entries) return <p className="muted small">Loading history…</p>;
  if (entries.length === 0) return <p className="muted small">No history yet.</p>;
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const rows = sorted.map((c, i) => ({ change: c, text: describe(c, sorted[i - 1]?.card) })).reverse();
  return (
    <ol className="history" data-testid="editor-history-list" aria-label="Card history">
      {rows.map(({ change, text }) => (
        <li key={change.seq}>
          <span className="seq">#{change.seq}</span>
          <span>
            <strong>{change.byName ?? nameOf(change.by)}</strong> {text}
            {change.card ? <span className="muted"> · v{change.card.version}</span> : null}
          </span>
          <span className="muted">{timeOf(change.at)}</span>
        </li>
      ))}
    </ol>
  );
}
