import type { Card, FieldName } from "../../lib/protocol";
import { FIELD_LABEL, STATUS_LABEL } from "../_lib/format";
import { compactDiff, fieldsSet, lineDiff } from "../_lib/history-diff";

function shown(f: FieldName, v: unknown): string {
  if (f === "status") return STATUS_LABEL[v as Card["status"]] ?? String(v);
  if (f === "tags") return Array.isArray(v) && v.length ? v.join(", ") : "none";
  if (f === "estimate") return v === null || v === undefined ? "none" : String(v);
  if (f === "title") return v ? `“${String(v)}”` : "empty";
  return String(v ?? "");
}

/** The values one history entry set (the body as a line diff), against the entry before it. */
export function HistoryValues({ card, previous }: { card: Card; previous: Card | undefined }) {
  const set = fieldsSet(card, previous);
  // A new position is worth a line only when the card stayed in its column (a column move says status).
  // A creation lists what it set beyond the empty defaults.
  const blank = (v: unknown) => v === "" || v === null || v === undefined || (Array.isArray(v) && v.length === 0);
  const fields = set.filter((f) => (f !== "position" || (previous && !set.includes("status"))) && (previous || !blank(card[f])));
  if (fields.length === 0) return null;
  return (
    <dl className="history-values">
      {fields.map((f) => (
        <div key={f} className="history-value" data-field={f}>
          <dt>{FIELD_LABEL[f]}</dt>
          <dd>
            {f === "body" ? (
              <pre className="history-diff" aria-label="Description changes">
                {compactDiff(lineDiff(previous ? String(previous.body ?? "") : "", String(card.body ?? ""))).map((l, i) =>
                  l.kind === "gap" ? (
                    <span key={i} className="diff-gap">
                      {`… ${l.count} unchanged line${l.count === 1 ? "" : "s"}`}
                    </span>
                  ) : (
                    <span key={i} className={`diff-${l.kind}`}>
                      <span className="visually-hidden">{l.kind === "added" ? "added: " : l.kind === "removed" ? "removed: " : ""}</span>
                      <span aria-hidden="true">{l.kind === "added" ? "+ " : l.kind === "removed" ? "− " : "  "}</span>
                      {l.text || " "}
                    </span>
                  ),
                )}
              </pre>
            ) : f === "position" ? (
              <span className="muted">moved within its column</span>
            ) : (
              <>
                {previous ? (
                  <>
                    <del>{shown(f, previous[f])}</del> <span aria-hidden="true">→</span>
                    <span className="visually-hidden">to</span>{" "}
                  </>
                ) : null}
                <ins>{shown(f, card[f])}</ins>
              </>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
