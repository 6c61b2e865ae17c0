"use client";

import { useEffect, useRef, useState } from "react";
import type { HeldLease, SyncClientApi } from "../../lib/client/types";
import type { Board, Card, FieldName, Lock, Patch, Sibling, Status } from "../../lib/protocol";
import { LIMITS } from "../../lib/protocol";
import { draftOf, draftProblems, parseEstimate, textOf, type Draft, type DraftField } from "../_lib/card-draft";
import { errorMessage, FIELD_LABEL, parseTags, sameValue, STATUS_LABEL, STATUSES } from "../_lib/format";
import { CardEditorActions } from "./card-editor-actions";
import { CardHistory } from "./card-history";
import { CharCount } from "./char-count";
import { LeaseStatus } from "./lease-status";
import { MoveCard } from "./move-card";
import { Modal } from "./modal";
import { SiblingPicker } from "./sibling-picker";
import { ErrorText } from "./error-text";
import { typedText } from "../_lib/notice-text";
import { siblingWriterLabel } from "../_lib/writer-label";
import { TypedText } from "./typed-text";

interface CardEditorProps {
  client: SyncClientApi;
  card: Card | undefined;
  board: Board;
  /** Boards the card can move to (the person's board list). */
  boards: Board[];
  lock: Lock | undefined;
  /** The lease this tab keeps on the card (renewed while kept; SPEC LOCK-1). */
  held?: HeldLease;
  /** The simulator's "send anyway": saving a card someone else locked is allowed, to see LOCKED. */
  sendAnyway?: boolean;
  meId: string | undefined;
  /** This tab's replica id: names an mvr sibling's author "this tab" or "your other tab". */
  replicaId?: string;
  nameOf: (id: string) => string;
  onClose: () => void;
  /** A refused write's values the person asked to restore: they start as unsaved edits over the current card. */
  restore?: Patch;
  /** SPEC POS-2: the position at the end of a column, for a card whose status the editor changes. */
  endOf?: (status: Status) => string;
  /** The person saved changes (called before onClose). */
  onSaved?: () => void;
}

const DRAFT_FIELDS: DraftField[] = ["title", "body", "tags", "estimate", "status"];

/** The draft fields a restored write sets. */
function restoredFields(restore: Patch | undefined): DraftField[] {
  return restore ? DRAFT_FIELDS.filter((f) => restore[f] !== undefined) : [];
}

/** The card editor dialog. Save sends only the fields the person changed through updateCard. */
export function CardEditor({ client, card, board, boards, lock, held, sendAnyway = false, meId, replicaId, nameOf, onClose, restore, endOf, onSaved }: CardEditorProps) {
  const policy = board.policy;
  const writerOf = (s: Sibling) => siblingWriterLabel({ userId: meId, replicaId }, s, nameOf);
  const [draft, setDraft] = useState<Draft>(() => {
    const d: Draft = card ? draftOf(card) : { title: "", body: "", tags: "", estimate: "", status: "todo" };
    for (const f of restoredFields(restore)) d[f] = textOf(f, restore?.[f]);
    return d;
  });
  const [dirty, setDirty] = useState<Set<DraftField>>(() => new Set(restoredFields(restore)));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const [lockBusy, setLockBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  const openedVersion = useRef(card?.version ?? 0);
  // The card as it was when the person started typing: their edit is based on it (OCC-2).
  const editBase = useRef<Card | null>(restore && card ? card : null);

  const lockLive = lock !== undefined && Date.parse(lock.expiresAt) > Date.now();
  const lockedByOther = lockLive && lock.holder.id !== meId;
  // This tab keeps a lease (even a paused holder's stale one: its token goes with the save), or the person holds it.
  const lockMine = held !== undefined || (lockLive && lock.holder.id === meId);
  // Save is offered when the server may accept it, or when the simulator asks to see its refusal.
  const mayWrite = !lockedByOther || held !== undefined || sendAnyway;

  // Fields the person has not touched follow the live card.
  const value = (f: DraftField): string => (dirty.has(f) || !card ? draft[f] : draftOf(card)[f]);
  const set = (f: DraftField, v: string) => {
    if (!editBase.current && card) editBase.current = card;
    setDraft((d) => ({ ...d, [f]: v }));
    setDirty((d) => new Set(d).add(f));
  };

  useEffect(() => {
    if (!error) return;
    const t = window.setTimeout(() => setError(null), 8000);
    return () => window.clearTimeout(t);
  }, [error]);

  const siblings = (f: FieldName): Sibling[] => {
    const s = card?.siblings?.[f];
    return s && s.length > 1 ? s : [];
  };
  const estimate = parseEstimate(value("estimate"));

  function buildPatch(c: Card): Patch {
    const patch: Patch = {};
    // On mvr a field with siblings is always sent when touched: the write resolves them.
    const changed = (f: FieldName, v: unknown) => dirty.has(f as DraftField) && (!sameValue(v, c[f]) || siblings(f).length > 0);
    const title = value("title");
    if (changed("title", title)) patch.title = title;
    const body = value("body");
    if (changed("body", body)) patch.body = body;
    const tags = parseTags(value("tags"));
    if (changed("tags", tags)) patch.tags = tags;
    if (estimate !== undefined && changed("estimate", estimate)) patch.estimate = estimate;
    const status = value("status") as Status;
    if (changed("status", status)) {
      patch.status = status;
      // Into another column: at its end, not wherever the old column's key happens to sort there.
      if (status !== c.status && endOf) patch.position = endOf(status);
    }
    return patch;
  }

  const patch = card ? buildPatch(card) : {};
  const hasChanges = Object.keys(patch).length > 0;
  // SPEC INPUT-4: the fields the person changed are checked by the protocol's schema before Save, as the composer does.
  const problems = draftProblems(Object.fromEntries(DRAFT_FIELDS.map((f) => [f, value(f)])), [...dirty]);
  const valid = Object.keys(problems).length === 0;
  const problem = (f: DraftField) =>
    problems[f] ? (
      <p className="error-text field-problem" id={`editor-${f}-problem`} data-testid={`editor-${f}-problem`}>
        {problems[f]}
      </p>
    ) : null;

  function save() {
    if (!card || !valid) return;
    try {
      if (hasChanges) {
        client.updateCard(card.id, patch, editBase.current ?? card);
        onSaved?.();
      }
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  function remove() {
    if (!card) return;
    try {
      client.deleteCard(card.id);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  function move(toBoardId: string) {
    if (!card) return;
    try {
      client.moveCard(card.id, toBoardId);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  /** "Restore this version" (history): the version's values go back as a new, normal write based on the card shown (OCC-2 applies). */
  function restoreVersion(values: Patch, version: number) {
    if (!card) return;
    if (hasChanges) {
      setError("Save or discard your changes before restoring a version.");
      return;
    }
    try {
      // A restored status puts the card at the end of that column, as a status change in the editor does.
      if (values.status !== undefined && values.status !== card.status && endOf) values = { ...values, position: endOf(values.status) };
      client.updateCard(card.id, values, card);
      setRestored(`Restored version ${version} (${Object.keys(values).map((f) => FIELD_LABEL[f as FieldName].toLowerCase()).join(", ")}) as a new change.`);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function toggleLock() {
    if (!card) return;
    setLockBusy(true);
    setError(null);
    try {
      if (lockMine) await client.unlock(card.id);
      else await client.lock(card.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLockBusy(false);
    }
  }

  // The card vanished under the person's typing: keep it on screen to copy (nothing typed is lost).
  const typed = card ? "" : typedText({ kind: "update", fields: [...dirty], values: Object.fromEntries([...dirty].map((f) => [f, draft[f]])) });

  const changedElsewhere = card && card.version > openedVersion.current && card.updatedBy !== meId;
  // Escape or a click outside closes the editor only when no typing would be lost; ✕ and Cancel still discard on purpose.
  const unsaved = hasChanges || typed !== "";
  const [keptOpen, setKeptOpen] = useState(false);
  const unsavedAlert =
    keptOpen && unsaved ? (
      <div className="alert alert-warn" role="alert" data-testid="editor-unsaved">
        {card ? "You have unsaved changes: save them, or press Cancel to throw them away." : "Copy your text first: ✕ closes the editor and throws it away."}
      </div>
    ) : null;

  return (
    <Modal labelledBy="editor-heading" onDismiss={() => (unsaved ? setKeptOpen(true) : onClose())} testId="card-editor">
      <div className="dialog-head">
        <h2 id="editor-heading">{card ? "Edit card" : "Card deleted"}</h2>
        {card ? <span className="badge mono" title="Server version of this card">v{card.version}</span> : null}
        <button type="button" className="btn btn-ghost icon-btn" aria-label="Close editor" data-testid="editor-close" onClick={onClose}>
          ✕
        </button>
      </div>
      {!card ? (
        <div className="dialog-body">
          {unsavedAlert}
          <div className="alert alert-warn" role="status" data-testid="editor-card-deleted">
            This card was deleted while you had it open.{typed ? " What you typed is below: copy it before you close." : null}
          </div>
          {typed ? <TypedText text={typed} /> : null}
        </div>
      ) : (
        <form
          className="dialog-body"
          id="card-editor-form"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          {unsavedAlert}
          <LeaseStatus lock={lock} held={held} meId={meId} sendAnyway={sendAnyway} onSendAnyway={(on) => client.setSendAnyway(on)} />
          {changedElsewhere ? (
            <div className="alert alert-info" role="status">
              <span>{nameOf(card.updatedBy)} changed this card while you had it open; fields you have not touched show their edit.</span>
            </div>
          ) : null}
          <label className="field">
            <span className="field-label">
              {FIELD_LABEL.title}
              <CharCount id="editor-title-count" length={value("title").length} max={LIMITS.title} />
            </span>
            <input
              className="input"
              data-testid="editor-title"
              data-autofocus
              value={value("title")}
              onChange={(e) => set("title", e.target.value)}
              aria-invalid={problems.title ? true : undefined}
              aria-describedby={problems.title ? "editor-title-count editor-title-problem" : "editor-title-count"}
            />
          </label>
          {problem("title")}
          {policy === "mvr" && siblings("title").length ? (
            <SiblingPicker field="title" siblings={siblings("title")} chosen={dirty.has("title") ? value("title") : undefined} writerOf={writerOf} onPick={(v) => set("title", textOf("title", v))} />
          ) : null}
          <label className="field">
            <span className="field-label">
              {FIELD_LABEL.body}
              <CharCount id="editor-body-count" length={value("body").length} max={LIMITS.body} />
            </span>
            <textarea
              className="textarea"
              data-testid="editor-body"
              rows={6}
              value={value("body")}
              onChange={(e) => set("body", e.target.value)}
              placeholder="Add details…"
              aria-invalid={problems.body ? true : undefined}
              aria-describedby={problems.body ? "editor-body-count editor-body-problem" : "editor-body-count"}
            />
          </label>
          {problem("body")}
          {policy === "mvr" && siblings("body").length ? (
            <SiblingPicker field="body" siblings={siblings("body")} chosen={dirty.has("body") ? value("body") : undefined} writerOf={writerOf} onPick={(v) => set("body", textOf("body", v))} />
          ) : null}
          <div className="editor-grid">
            <label className="field">
              <span>{FIELD_LABEL.status}</span>
              <select className="select" data-testid="editor-status" value={value("status")} onChange={(e) => set("status", e.target.value)}>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABEL[s]}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{FIELD_LABEL.estimate}</span>
              <input
                className="input"
                data-testid="editor-estimate"
                type="number"
                step={1}
                min={0}
                inputMode="numeric"
                value={value("estimate")}
                onChange={(e) => set("estimate", e.target.value)}
                aria-invalid={problems.estimate ? true : undefined}
                aria-describedby={problems.estimate ? "editor-estimate-problem" : undefined}
                placeholder="—"
              />
            </label>
            <label className="field">
              <span>{FIELD_LABEL.tags}</span>
              <input
                className="input"
                data-testid="editor-tags"
                value={value("tags")}
                onChange={(e) => set("tags", e.target.value)}
                placeholder="design, api"
                aria-invalid={problems.tags ? true : undefined}
                aria-describedby={problems.tags ? "editor-tags-hint editor-tags-problem" : "editor-tags-hint"}
              />
              <span className="field-hint" id="editor-tags-hint">
                Comma-separated; up to {LIMITS.tags}, {LIMITS.tag} characters each
              </span>
            </label>
          </div>
          {problem("estimate")}
          {problem("tags")}
          {policy === "mvr"
            ? (["status", "estimate", "tags"] as const).map((f) =>
                siblings(f).length ? <SiblingPicker key={f} field={f} siblings={siblings(f)} chosen={dirty.has(f) ? value(f) : undefined} writerOf={writerOf} onPick={(v) => set(f, textOf(f, v))} /> : null,
              )
            : null}
          <div className="choice-row" style={{ justifyContent: "space-between" }}>
            <button type="button" className="btn btn-ghost btn-sm" aria-expanded={showHistory} data-testid="editor-history" onClick={() => setShowHistory((s) => !s)}>
              {showHistory ? "Hide history" : "Show history"}
            </button>
            <MoveCard boards={boards} current={board} disabled={!mayWrite} onMove={move} />
          </div>
          {showHistory ? <CardHistory client={client} cardId={card.id} nameOf={nameOf} card={card} onRestore={restoreVersion} /> : null}
          {restored ? (
            <p className="muted small" role="status" data-testid="history-restored">
              {restored}
            </p>
          ) : null}
          <ErrorText error={error} />
        </form>
      )}
      <CardEditorActions
        hasCard={card !== undefined}
        confirmDelete={confirmDelete}
        onConfirmDelete={setConfirmDelete}
        onDelete={remove}
        lockMine={lockMine}
        lockDisabled={lockedByOther && !lockMine}
        lockBusy={lockBusy}
        onToggleLock={toggleLock}
        canEdit={mayWrite}
        canSave={hasChanges && valid && mayWrite}
        onClose={onClose}
      />
    </Modal>
  );
}
