"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { LIMITS } from "../../lib/protocol";
import { errorMessage } from "../_lib/format";
import { useSync } from "../sync-provider";

export type SignInMode = "guest" | "signin" | "signup";

const MODES: { mode: SignInMode; label: string }[] = [
  { mode: "guest", label: "Guest" },
  { mode: "signin", label: "Sign in" },
  { mode: "signup", label: "Create account" },
];

const SUBMIT: Record<SignInMode, [idle: string, busy: string]> = {
  guest: ["Continue as guest", "Signing in…"],
  signin: ["Sign in", "Signing in…"],
  signup: ["Create account", "Creating…"],
};

/** What the person reads for the session API's codes (SPEC ACCOUNT-1, ACCOUNT-2, ACCOUNT-5). */
function failureText(err: unknown, mode: SignInMode): string {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === "INVALID_CREDENTIALS") return "Wrong name or password.";
  if (code === "NAME_TAKEN") return "An account with this name exists. Sign in, or choose another name.";
  if (code === "WEAK_PASSWORD") return `The password needs at least ${LIMITS.passwordMin} characters.`;
  if (code === "RATE_LIMITED") return `Too many attempts. ${errorMessage(err).replace(/^RATE_LIMITED: /, "")}`;
  return `Could not ${mode === "signup" ? "create the account" : "sign in"}: ${errorMessage(err)}`;
}

/**
 * Signing in (SPEC ACCOUNT-1, ACCOUNT-2): as a guest with just a name (this browser only), to an
 * account with a name and password (from any browser), or by creating an account.
 * `claim`: a guest is signed in, and creating the account keeps their boards (ACCOUNT-4).
 */
export function SignInForm({ note, initialMode = "guest", claim = false }: { note?: string; initialMode?: SignInMode; claim?: boolean }) {
  const { signIn, signInWithPassword, signUp } = useSync();
  const [mode, setMode] = useState<SignInMode>(claim ? "signup" : initialMode);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const withPassword = mode !== "guest";

  async function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setError("Please enter a name.");
      return;
    }
    if (mode === "signup" && password.length < LIMITS.passwordMin) {
      setError(`The password needs at least ${LIMITS.passwordMin} characters.`);
      return;
    }
    if (mode === "signin" && !password) {
      setError("Please enter your password.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === "guest") await signIn(trimmed);
      else if (mode === "signin") await signInWithPassword(trimmed, password);
      else await signUp(trimmed, password);
    } catch (err) {
      setError(failureText(err, mode));
      setBusy(false);
    }
  }

  const title = claim ? "Keep your boards: create an account" : mode === "signup" ? "Create your Concord account" : "Sign in to Concord";
  return (
    <main className="signin-wrap">
      <form className="panel signin-card" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <div>
          <h1 id="signin-title">{title}</h1>
          <p className="lede">
            {claim
              ? "Choose a name and a password. Your boards, cards and invites stay yours, and you can sign in from any browser."
              : "Shared boards that stay consistent across every tab, network hiccup and server."}
          </p>
        </div>
        {claim ? null : (
          <div className="mode-switch" role="group" aria-label="How to sign in">
            {MODES.map((m) => (
              <button
                key={m.mode}
                type="button"
                className="mode-switch-btn"
                aria-pressed={mode === m.mode}
                data-testid={`signin-mode-${m.mode}`}
                onClick={() => {
                  setMode(m.mode);
                  setError(null);
                }}
              >
                {m.label}
              </button>
            ))}
          </div>
        )}
        {note ? <div className="alert alert-info">{note}</div> : null}
        <label className="field">
          <span>{withPassword ? "Account name" : "Your name"}</span>
          <input
            className="input"
            data-testid="signin-name"
            name="name"
            autoComplete={withPassword ? "username" : "nickname"}
            autoFocus
            maxLength={LIMITS.userName}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "signin-error" : undefined}
            placeholder="e.g. Ada"
          />
        </label>
        {withPassword ? (
          <label className="field">
            <span>Password</span>
            <input
              className="input"
              data-testid="signin-password"
              name="password"
              type="password"
              autoComplete={mode === "signup" ? "new-password" : "current-password"}
              maxLength={LIMITS.passwordMax}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={mode === "signup" ? "signin-password-hint" : undefined}
            />
            {mode === "signup" ? (
              <span className="field-hint muted small" id="signin-password-hint">
                At least {LIMITS.passwordMin} characters.
              </span>
            ) : null}
          </label>
        ) : null}
        {error ? (
          <p className="error-text" id="signin-error" role="alert" data-testid="signin-error">
            {error}
          </p>
        ) : null}
        <button className="btn btn-primary" type="submit" data-testid="signin-submit" disabled={busy}>
          {busy ? SUBMIT[mode][1] : SUBMIT[mode][0]}
        </button>
        {mode === "guest" ? (
          <p className="muted small signin-aside">A guest&apos;s boards live with this browser. Create an account to come back to them from anywhere.</p>
        ) : null}
        {claim ? (
          <Link className="small" href="/">
            Not now, back to my boards
          </Link>
        ) : (
          <>
            <ul className="signin-points">
              <li>Edit offline; changes replay exactly once</li>
              <li>Three conflict policies you can see at work</li>
              <li>Each tab is its own replica</li>
            </ul>
            <Link className="small" href="/about">
              What is Concord? The architecture and the five techniques
            </Link>
          </>
        )}
      </form>
    </main>
  );
}
