"use client";

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Status } from "../../lib/protocol";
import { STATUS_LABEL } from "../_lib/format";

/** "+ Add card": opens a small title box at the bottom of a column; Enter adds, Escape closes. */
export function CardComposer({ status, onAdd }: { status: Status; onAdd: (title: string) => void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const empty = !title.trim();

  // A click elsewhere on the page closes an empty composer.
  useEffect(() => {
    if (!open || !empty) return;
    const onDown = (e: MouseEvent) => {
      if (form.current && e.target instanceof Node && !form.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open, empty]);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const t = title.trim();
    if (!t) return;
    onAdd(t.slice(0, 200));
    setTitle("");
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      setOpen(false);
      setTitle("");
    }
  }

  if (!open) {
    return (
      <button type="button" className="btn btn-ghost add-card" data-testid={`add-card-${status}`} onClick={() => setOpen(true)}>
        + Add card
      </button>
    );
  }
  return (
    <form
      ref={form}
      className="composer"
      onSubmit={submit}
      onBlur={(e) => {
        // Tabbing or clicking to another control from an empty composer closes it, so columns do
        // not fill up with open boxes. Focus dropping to nothing (page re-render, window switch) keeps it.
        const next = e.relatedTarget;
        if (!title.trim() && next instanceof Node && !e.currentTarget.contains(next)) setOpen(false);
      }}
    >
      <label className="visually-hidden" htmlFor={`new-card-${status}`}>
        New card title in {STATUS_LABEL[status]}
      </label>
      <textarea
        id={`new-card-${status}`}
        className="textarea"
        data-testid={`new-card-title-${status}`}
        autoFocus
        maxLength={200}
        placeholder="What needs doing?"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="composer-actions">
        <button type="submit" className="btn btn-primary btn-sm" data-testid={`new-card-submit-${status}`} disabled={!title.trim()}>
          Add card
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={() => {
            setOpen(false);
            setTitle("");
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
