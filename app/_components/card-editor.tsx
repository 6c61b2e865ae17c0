"use client";

import { useEffect, useRef, useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import type { Board, Card, FieldName, Lock, Patch, Sibling, Status } from "../../lib/protocol";
import { draftOf, parseEstimate, textOf, type Draft, type DraftField } from "../_lib/card-draft";
import { errorMessage, FIELD_LABEL, parseTags, sameValue, STATUS_LABEL, STATUSES } from "../_lib/format";
import { CardEditorActions } from "./card-editor-actions";
import { CardHistory } from "./card-history";
import { LockIcon } from "./icons";
import { MoveCard } from "./move-card";
import { Modal } from "./modal";
import { SiblingPicker } from "./sibling-picker";
import { ErrorText } from "./error-text";

interface CardEditorProps {
  client: SyncClientApi;
  card: Card | undefined;
  board: Board;
  /** Boards the card can move to (the person's board list). */
  boards: Board[];
  lock: Lock | undefined;
  meId: string | undefined;
  nameOf: (id: string) => string;
  onClose: () => void;
  /** A refused write's values the person asked to restore: they start as unsaved edits over the current card. */
  restore?: Patch;
  /** The person saved changes (called before onClose). */
  onSaved?: () => void;
}

const DRAFT_FIELDS: DraftField[] = ["title", "body", "tags", "estimate", "status"];

/** The draft fields a restored write sets. */
function restoredFields(restore: Patch | undefined): DraftField[] {
  return restore ? DRAFT_FIELDS.filter((f) => restore[f] !== undefined) : [];
}

/** The card editor dialog. Save sends only the fields the person changed through updateCard. */
export function CardEditor({ client, card, board, boards, lock, meId, nameOf, onClose, restore, onSaved }: CardEditorProps) {
  const policy = board.policy;
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
  const openedVersion = useRef(card?.version ?? 0);
  // The card as it was when the person started typing: their edit is based on it (OCC-2).
  const editBase = useRef<Card | null>(restore && card ? card : null);

  const lockLive = lock !== undefined && Date.parse(lock.expiresAt) > Date.now();
  const lockedByOther = lockLive && lock.holder.id !== meId;
  const lockMine = lockLive && lock.holder.id === meId;

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
    if (changed("status", status)) patch.status = status;
    return patch;
  }

  const patch = card ? buildPatch(card) : {};
  const hasChanges = Object.keys(patch).length > 0;

  function save() {
    if (!card || estimate === undefined) return;
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

  const changedElsewhere = card && card.version > openedVersion.current && card.updatedBy !== meId;

  return (
    <Modal labelledBy="editor-heading" onDismiss={onClose} testId="card-editor">
      <div className="dialog-head">
        <h2 id="editor-heading">{card ? "Edit card" : "Card deleted"}</h2>
        {card ? <span className="badge mono" title="Server version of this card">v{card.version}</span> : null}
        <button type="button" className="btn btn-ghost icon-btn" aria-label="Close editor" data-testid="editor-close" onClick={onClose}>
          ✕
        </button>
      </div>
      {!card ? (
        <div className="dialog-body">
          <div className="alert alert-warn">This card was deleted while you had it open.</div>
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
          {lockedByOther ? (
            <div className="alert alert-warn" role="status" data-testid="editor-locked">
              <LockIcon />
              <span>Locked by {lock.holder.name}. The server refuses edits until their lease ends or they unlock.</span>
            </div>
          ) : null}
          {changedElsewhere ? (
            <div className="alert alert-info" role="status">
              <span>{nameOf(card.updatedBy)} changed this card while you had it open; fields you have not touched show their edit.</span>
            </div>
          ) : null}
          <label className="field">
            <span>{FIELD_LABEL.title}</span>
            <input className="input" data-testid="editor-title" data-autofocus maxLength={200} value={value("title")} onChange={(e) => set("title", e.target.value)} />
          </label>
          {policy === "mvr" && siblings("title").length ? (
            <SiblingPicker field="title" siblings={siblings("title")} chosen={dirty.has("title") ? value("title") : undefined} nameOf={nameOf} onPick={(v) => set("title", textOf("title", v))} />
          ) : null}
          <label className="field">
            <span>{FIELD_LABEL.body}</span>
            <textarea className="textarea" data-testid="editor-body" rows={6} maxLength={20000} value={value("body")} onChange={(e) => set("body", e.target.value)} placeholder="Add details…" />
          </label>
          {policy === "mvr" && siblings("body").length ? (
            <SiblingPicker field="body" siblings={siblings("body")} chosen={dirty.has("body") ? value("body") : undefined} nameOf={nameOf} onPick={(v) => set("body", textOf("body", v))} />
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
                inputMode="numeric"
                value={value("estimate")}
                onChange={(e) => set("estimate", e.target.value)}
                aria-invalid={estimate === undefined}
                placeholder="—"
              />
            </label>
            <label className="field">
              <span>{FIELD_LABEL.tags}</span>
              <input className="input" data-testid="editor-tags" value={value("tags")} onChange={(e) => set("tags", e.target.value)} placeholder="design, api" />
            </label>
          </div>
          {estimate === undefined ? <p className="error-text">The estimate must be a whole number.</p> : null}
          {policy === "mvr"
            ? (["status", "estimate", "tags"] as const).map((f) =>
                siblings(f).length ? <SiblingPicker key={f} field={f} siblings={siblings(f)} chosen={dirty.has(f) ? value(f) : undefined} nameOf={nameOf} onPick={(v) => set(f, textOf(f, v))} /> : null,
              )
            : null}
          <div className="choice-row" style={{ justifyContent: "space-between" }}>
            <button type="button" className="btn btn-ghost btn-sm" aria-expanded={showHistory} data-testid="editor-history" onClick={() => setShowHistory((s) => !s)}>
              {showHistory ? "Hide history" : "Show history"}
            </button>
            <MoveCard boards={boards} current={board} disabled={lockedByOther} onMove={move} />
          </div>
          {showHistory ? <CardHistory client={client} cardId={card.id} nameOf={nameOf} /> : null}
          <ErrorText error={error} />
        </form>
      )}
      <CardEditorActions
        hasCard={card !== undefined}
        confirmDelete={confirmDelete}
        onConfirmDelete={setConfirmDelete}
        onDelete={remove}
        lockMine={lockMine}
        lockDisabled={lockBusy || lockedByOther}
        onToggleLock={toggleLock}
        canEdit={!lockedByOther}
        canSave={hasChanges && estimate !== undefined && !lockedByOther}
        onClose={onClose}
      />
    </Modal>
  );
}
