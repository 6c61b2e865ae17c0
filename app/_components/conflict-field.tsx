import type { FieldName } from "../../lib/protocol";
import { FIELD_LABEL, formatValue } from "../_lib/format";

export type Choice = "mine" | "theirs" | "merge";

interface ConflictFieldProps {
  field: FieldName;
  base: unknown;
  mine: unknown;
  theirs: unknown;
  theirsBy: string;
  choice: Choice | undefined;
  onChoose: (choice: Choice) => void;
  /** body only: the diff3 merge, editable. */
  merged?: { text: string; conflict: boolean; markers: number[]; onChange: (text: string) => void };
}

function Value({ value, testId }: { value: unknown; testId: string }) {
  const text = formatValue(value);
  return (
    <pre className={text ? "version-value" : "version-value empty-value"} data-testid={testId}>
      {text || "(empty)"}
    </pre>
  );
}

/** One conflicting field: Base / Mine / Theirs side by side, and the person's choice. */
export function ConflictField({ field, base, mine, theirs, theirsBy, choice, onChoose, merged }: ConflictFieldProps) {
  const label = FIELD_LABEL[field];
  return (
    <section className="conflict-field" aria-label={`${label} conflict`} data-testid={`conflict-field-${field}`}>
      <h3>
        {label}
        {choice ? <span className="badge">{choice === "merge" ? "using merge" : `keeping ${choice}`}</span> : <span className="badge conn-reconnecting">choose one</span>}
      </h3>
      <div className="three-col">
        <div className="version-box">
          <span className="version-label">Base · what you started from</span>
          <Value value={base} testId={`conflict-base-${field}`} />
        </div>
        <div className="version-box" data-chosen={choice === "mine"}>
          <span className="version-label">Mine</span>
          <Value value={mine} testId={`conflict-mine-${field}`} />
          <button type="button" className="btn btn-sm" aria-pressed={choice === "mine"} data-testid={`conflict-keep-mine-${field}`} onClick={() => onChoose("mine")}>
            Keep mine
          </button>
        </div>
        <div className="version-box" data-chosen={choice === "theirs"}>
          <span className="version-label">Theirs · {theirsBy}</span>
          <Value value={theirs} testId={`conflict-theirs-${field}`} />
          <button type="button" className="btn btn-sm" aria-pressed={choice === "theirs"} data-testid={`conflict-keep-theirs-${field}`} onClick={() => onChoose("theirs")}>
            Keep theirs
          </button>
        </div>
      </div>
      {merged ? (
        <div className="merge-box">
          <label className="field">
            <span>
              Three-way merge {merged.conflict ? "— overlapping lines are marked <<<<<<< mine / ======= / >>>>>>> theirs; edit them away" : "— merged cleanly"}
            </span>
            <textarea
              className="textarea mono"
              rows={Math.min(16, Math.max(6, merged.text.split("\n").length + 1))}
              value={merged.text}
              data-testid={`conflict-merge-${field}`}
              aria-invalid={merged.markers.length > 0 && choice === "merge"}
              aria-describedby={merged.markers.length > 0 ? `conflict-markers-${field}` : undefined}
              onChange={(e) => merged.onChange(e.target.value)}
            />
          </label>
          {merged.markers.length > 0 ? (
            <p className={choice === "merge" ? "error-text" : "small muted"} id={`conflict-markers-${field}`} data-testid={`conflict-markers-${field}`} role={choice === "merge" ? "alert" : undefined}>
              Conflict markers remain on {merged.markers.length === 1 ? "line" : "lines"} {merged.markers.join(", ")}: edit those lines into the text you want
              {choice === "merge" ? " before saving the merge." : " before using the merge."}
            </p>
          ) : null}
          <div className="choice-row">
            <button type="button" className="btn btn-sm" aria-pressed={choice === "merge"} data-testid={`conflict-use-merge-${field}`} onClick={() => onChoose("merge")}>
              Use merge
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
