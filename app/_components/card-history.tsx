"use client";

import { useEffect, useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import { FIELD_NAMES, type Card, type Change, type Patch } from "../../lib/protocol";
import { errorMessage, FIELD_LABEL, sameValue, timeOf } from "../_lib/format";
import { restorePatch } from "../_lib/history-diff";
import { HistoryValues } from "./history-values";

function describe(change: Change, previous: Card | undefined): string {
  if (change.type === "card.delete") return "deleted";
  if (!change.card) return "changed";
  if (!previous) return `created “${change.card.title || "Untitled"}”`;
  const changed = FIELD_NAMES.filter((f) => !sameValue(previous[f], change.card?.[f]));
  return changed.length ? `changed ${changed.map((f) => FIELD_LABEL[f].toLowerCase()).join(", ")}` : "touched (no visible change)";
}

interface CardHistoryProps {
  client: SyncClientApi;
  cardId: string;
  nameOf: (id: string) => string;
  /** The card as shown now: the history reloads when its version moves, and a restore writes over it. */
  card?: Card;
  /** "Restore this version": writes `patch` (that version's values) back as a new, normal write. */
  onRestore?: (patch: Patch, version: number) => void;
}

/** The card's entries in the board's change log, newest first, each with the values it set. */
export function CardHistory({ client, cardId, nameOf, card, onRestore }: CardHistoryProps) {
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
  }, [client, cardId, card?.version]);

  if (error) return <p className="error-text">Could not load history: {error}</p>;
  if (!entries) return <p className="muted small">Loading history…</p>;
  if (entries.length === 0) return <p className="muted small">No history yet.</p>;
  // SPEC HIST-2: the entries come in time order across every board the card was on (seqs are per board).
  const sorted = entries;
  const boardsSeen = new Set(sorted.map((c) => c.boardId));
  const boardName = (id: string) => client.getSnapshot().boardList.find((b) => b.id === id)?.name ?? "another board";
  const moveOf = (c: Change) => sorted.find((o) => o !== c && o.mutationId === c.mutationId && o.boardId !== c.boardId);
  const rows = sorted
    .map((c, i) => {
      const twin = moveOf(c);
      // The card as it was before this entry: across a move, the last card before the move's delete.
      const previous = twin && c.type === "card.upsert" ? sorted.slice(0, i).reverse().find((o) => o.card)?.card : sorted[i - 1]?.card;
      const text = twin ? (c.type === "card.delete" ? `moved it to ${boardName(twin.boardId)}` : `moved it here from ${boardName(twin.boardId)}`) : describe(c, previous);
      return { change: c, previous, text };
    })
    .reverse();
  return (
    <ol className="history" data-testid="editor-history-list" aria-label="Card history">
      {rows.map(({ change, previous, text }) => {
        const restore = change.card && card && onRestore ? restorePatch(change.card, card) : {};
        return (
          <li key={`${change.boardId}:${change.seq}`} data-testid="history-entry" data-version={change.card?.version}>
            <span className="seq" title={boardsSeen.size > 1 ? `seq ${change.seq} on ${boardName(change.boardId)}` : `seq ${change.seq}`}>
              {boardsSeen.size > 1 ? <span className="muted">{boardName(change.boardId)} </span> : null}#{change.seq}
            </span>
            <span className="history-what">
              <strong>{change.byName ?? nameOf(change.by)}</strong> {text}
              {change.card ? <span className="muted"> · v{change.card.version}</span> : null}
              {change.card ? <HistoryValues card={change.card} previous={previous} /> : null}
              {change.card && Object.keys(restore).length > 0 ? (
                <button
                  type="button"
                  className="btn btn-sm history-restore"
                  data-testid="history-restore"
                  aria-label={`Restore version ${change.card.version}`}
                  title={`Writes back: ${Object.keys(restore).map((f) => FIELD_LABEL[f as keyof typeof FIELD_LABEL].toLowerCase()).join(", ")}`}
                  onClick={() => onRestore?.(restore, change.card!.version)}
                >
                  Restore this version
                </button>
              ) : null}
            </span>
            <span className="muted">{timeOf(change.at)}</span>
          </li>
        );
      })}
    </ol>
  );
}
