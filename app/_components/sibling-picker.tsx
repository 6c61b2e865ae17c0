import type { FieldName, Sibling } from "../../lib/protocol";
import { MVR_MAX_SIBLINGS } from "../../lib/sync/mvr";
import { FIELD_LABEL, formatValue, sameValue } from "../_lib/format";

interface SiblingPickerProps {
  field: FieldName;
  siblings: Sibling[];
  chosen: unknown;
  /** Names a sibling's author as this tab says it ("this tab", "your other tab", a name). */
  writerOf: (s: Sibling) => string;
  onPick: (value: unknown) => void;
}

/**
 * mvr: every concurrent value of one field, with who wrote it. Picking one (or typing a merge in
 * the field) and saving sends a write whose context covers all of them, which resolves them.
 */
export function SiblingPicker({ field, siblings, chosen, writerOf, onPick }: SiblingPickerProps) {
  return (
    <div className="siblings" data-testid={`siblings-${field}`} role="group" aria-label={`${FIELD_LABEL[field]}: ${siblings.length} concurrent values`}>
      <span className="siblings-head">
        {siblings.length} concurrent values for {FIELD_LABEL[field].toLowerCase()}: pick one, or edit the field to merge them, then save.
        {siblings.length >= MVR_MAX_SIBLINGS
          ? ` A field keeps at most ${MVR_MAX_SIBLINGS}: another concurrent edit displaces the oldest (the card's history keeps it).`
          : null}
      </span>
      {siblings.map((s, i) => {
        const picked = chosen !== undefined && sameValue(chosen, s.value);
        return (
          <div className="sibling" key={i}>
            <span className="sibling-value">{formatValue(s.value) || <em className="muted">(empty)</em>}</span>
            <span className="sibling-by">by {writerOf(s)}</span>
            <button type="button" className="btn btn-sm" aria-pressed={picked} onClick={() => onPick(s.value)} data-testid={`sibling-pick-${field}-${i}`}>
              {picked ? "Chosen" : "Use this"}
            </button>
          </div>
        );
      })}
    </div>
  );
}
