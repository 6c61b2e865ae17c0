"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { errorMessage } from "../_lib/format";
import { useSync } from "../sync-provider";

/** Sign in with just a name: POST /api/session, then the token lives in localStorage. */
export function SignInForm({ note }: { note?: string }) {
  const { signIn } = useSync();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setError("Please enter a name.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(trimmed);
    } catch (err) {
      setError(`Could not sign in: ${errorMessage(err)}`);
      setBusy(false);
    }
  }

  return (
    <main className="signin-wrap">
      <form className="panel signin-card" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <div>
          <h1 id="signin-title">Sign in to Concord</h1>
          <p className="lede">Shared boards that stay consistent across every tab, network hiccup and server.</p>
        </div>
        {note ? <div className="alert alert-info">{note}</div> : null}
        <label className="field">
          <span>Your name</span>
          <input
            className="input"
            data-testid="signin-name"
            name="name"
            autoComplete="nickname"
            autoFocus
            maxLength={64}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "signin-error" : undefined}
            placeholder="e.g. Ada"
          />
        </label>
        {error ? (
          <p className="error-text" id="signin-error" role="alert" data-testid="signin-error">
            {error}
          </p>
        ) : null}
        <button className="btn btn-primary" type="submit" data-testid="signin-submit" disabled={busy}>
          {busy ? "Signing in…" : "Continue"}
        </button>
        <ul className="signin-points">
          <li>Edit offline; changes replay exactly once</li>
          <li>Three conflict policies you can see at work</li>
          <li>Each tab is its own replica</li>
        </ul>
        <Link className="small" href="/about">
          What is Concord? The architecture and the five techniques
        </Link>
      </form>
    </main>
  );
}
