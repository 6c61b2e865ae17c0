"use client";

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { LIMITS, type Status } from "../../lib/protocol";
import { draftProblems } from "../_lib/card-draft";
import { STATUS_LABEL } from "../_lib/format";
import { CharCount } from "./char-count";

/** "+ Add card": opens a small title box at the bottom of a column; Enter adds, Escape closes. */
export function CardComposer({ status, onAdd }: { status: Status; onAdd: (title: string) => void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const empty = !title.trim();
  // SPEC INPUT-4: the editor's check, from the protocol's schema; a blank box just keeps Add disabled.
  const problem = empty ? undefined : draftProblems({ title: title.trim() }, ["title"]).title;

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
    if (!t || draftProblems({ title: t }, ["title"]).title) return;
    onAdd(t);
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
        placeholder="What needs doing?"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `new-card-count-${status} new-card-problem-${status}` : `new-card-count-${status}`}
      />
      {problem ? (
        <p className="error-text" id={`new-card-problem-${status}`} data-testid={`new-card-problem-${status}`}>
          {problem}
        </p>
      ) : null}
      <div className="composer-actions">
        <button type="submit" className="btn btn-primary btn-sm" data-testid={`new-card-submit-${status}`} disabled={empty || problem !== undefined}>
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
        <CharCount id={`new-card-count-${status}`} length={title.trim().length} max={LIMITS.title} />
      </div>
    </form>
  );
}
