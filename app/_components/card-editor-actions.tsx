interface CardEditorActionsProps {
  hasCard: boolean;
  confirmDelete: boolean;
  onConfirmDelete: (confirming: boolean) => void;
  onDelete: () => void;
  lockMine: boolean;
  lockDisabled: boolean;
  /** A lock or unlock is on its way: the button stays focusable (so focus stays in the editor) but does nothing. */
  lockBusy: boolean;
  onToggleLock: () => void;
  /** False while someone else holds the card's lease. */
  canEdit: boolean;
  canSave: boolean;
  onClose: () => void;
}

/** The editor's footer: delete (with a confirm step), lock / unlock, cancel and save. */
export function CardEditorActions(p: CardEditorActionsProps) {
  return (
    <div className="dialog-foot">
      {p.hasCard ? (
        p.confirmDelete ? (
          <>
            <span className="small">Delete this card for everyone?</span>
            <button type="button" className="btn btn-danger-solid btn-sm" data-testid="editor-delete-confirm" onClick={p.onDelete}>
              Delete
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => p.onConfirmDelete(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <button type="button" className="btn btn-danger btn-sm" data-testid="editor-delete" disabled={!p.canEdit} onClick={() => p.onConfirmDelete(true)}>
              Delete
            </button>
            <button
              type="button"
              className="btn btn-sm"
              data-testid="editor-lock"
              disabled={p.lockDisabled}
              aria-disabled={p.lockBusy || undefined}
              aria-pressed={p.lockMine}
              onClick={() => {
                if (!p.lockBusy) p.onToggleLock();
              }}
            >
              {p.lockMine ? "Unlock" : "Lock"}
            </button>
          </>
        )
      ) : null}
      <span className="spacer" />
      <button type="button" className={p.hasCard ? "btn hide-narrow" : "btn"} onClick={p.onClose}>
        {p.hasCard ? "Cancel" : "Close"}
      </button>
      {p.hasCard ? (
        <button type="submit" form="card-editor-form" className="btn btn-primary" data-testid="editor-save" disabled={!p.canSave}>
          Save
        </button>
      ) : null}
    </div>
  );
}
