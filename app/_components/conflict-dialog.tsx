"use client";

import { useState } from "react";
import type { Conflict, SyncClientApi } from "../../lib/client/types";
import type { FieldName, Patch } from "../../lib/protocol";
import { errorMessage } from "../_lib/format";
import { markerLines, mergeText } from "../_lib/three-way-merge";
import { capitalized, writerLabel, type Viewer } from "../_lib/writer-label";
import { ConflictField, type Choice } from "./conflict-field";
import { Modal } from "./modal";
import { ErrorText } from "./error-text";

interface ConflictDialogProps {
  client: SyncClientApi;
  conflict: Conflict;
  remaining: number;
  nameOf: (id: string) => string;
  /** The signed-in person and this tab: a conflicting save of theirs came from their other tab (this tab's own writes never conflict with each other). */
  viewer: Viewer;
}

function setField(patch: Patch, field: FieldName, value: unknown): void {
  // The value comes from a Card or the person's own Patch for the same field, so it has that field's type.
  Object.assign(patch, { [field]: value });
}

/**
 * occ: someone changed a field this tab also changed. The person picks, per field, mine, theirs
 * or (for the body) a diff3 merge; Resolve sends that as a new write against the current version.
 * Keyed by conflict id by the parent, so choices start fresh for each conflict.
 */
export function ConflictDialog({ client, conflict, remaining, nameOf, viewer }: ConflictDialogProps) {
  const [choices, setChoices] = useState<Partial<Record<FieldName, Choice>>>({});
  const [mergedBody, setMergedBody] = useState(() =>
    conflict.fields.includes("body") ? mergeText(conflict.base.body, conflict.mine.body ?? conflict.base.body, conflict.theirs.body) : null,
  );
  const [error, setError] = useState<string | null>(null);
  const allChosen = conflict.fields.every((f) => choices[f]);
  // "Use merge" must not save diff3 markers: the person resolves those lines first.
  const markers = choices.body === "merge" && mergedBody ? markerLines(mergedBody.text) : [];
  const canResolve = allChosen && markers.length === 0;
  const theirsBy = writerLabel(viewer, { userId: conflict.theirs.updatedBy }, nameOf);

  function resolve() {
    if (!canResolve) return;
    const patch: Patch = {};
    for (const f of conflict.fields) {
      const c = choices[f];
      if (c === "mine") setField(patch, f, conflict.mine[f]);
      else if (c === "theirs") setField(patch, f, conflict.theirs[f]);
      else if (c === "merge" && f === "body" && mergedBody) patch.body = mergedBody.text;
    }
    try {
      client.resolveConflict(conflict.id, patch);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  function discard() {
    try {
      client.discardConflict(conflict.id);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const title = conflict.theirs.title || conflict.base.title || "Untitled";
  return (
    <Modal labelledBy="conflict-heading" wide testId="conflict-dialog">
      <div className="dialog-head">
        <h2 id="conflict-heading">Conflict on “{title}”</h2>
        {remaining > 1 ? <span className="badge">{remaining} conflicts waiting</span> : null}
      </div>
      <div className="dialog-body">
        <p className="muted">
          {capitalized(theirsBy)} saved {conflict.fields.length === 1 ? "this field" : "these fields"} (now v{conflict.theirs.version}) after you started from v{conflict.base.version}.
          Nothing was lost: choose what to keep for each field.
        </p>
        {conflict.fields.map((f) => (
          <ConflictField
            key={f}
            field={f}
            base={conflict.base[f]}
            mine={conflict.mine[f]}
            theirs={conflict.theirs[f]}
            theirsBy={theirsBy}
            choice={choices[f]}
            onChoose={(c) => setChoices((prev) => ({ ...prev, [f]: c }))}
            merged={
              f === "body" && mergedBody
                ? {
                    text: mergedBody.text,
                    conflict: mergedBody.conflict,
                    markers: markerLines(mergedBody.text),
                    onChange: (text) => {
                      setMergedBody({ text, conflict: mergedBody.conflict });
                      setChoices((prev) => ({ ...prev, body: "merge" }));
                    },
                  }
                : undefined
            }
          />
        ))}
        <ErrorText error={error} />
      </div>
      <div className="dialog-foot">
        <button type="button" className="btn btn-danger" data-testid="conflict-discard" onClick={discard}>
          Discard my edit
        </button>
        <span className="spacer" />
        {!allChosen ? <span className="small muted">Choose a version for every field.</span> : null}
        {allChosen && markers.length > 0 ? (
          <span className="small muted" data-testid="conflict-resolve-blocked">
            Resolve the conflict markers in the merge first.
          </span>
        ) : null}
        <button type="button" className="btn btn-primary" data-testid="conflict-resolve" disabled={!canResolve} onClick={resolve}>
          Resolve
        </button>
      </div>
    </Modal>
  );
}
