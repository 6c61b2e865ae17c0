"use client";

import Link from "next/link";
/** Last-resort screen for a render error: says what happened and offers a retry. */
export default function ErrorScreen({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="signin-wrap">
      <div className="panel signin-card" role="alert">
        <h1>Something went wrong</h1>
        <p className="lede">The page hit an unexpected error. Your pending edits are kept in this tab's outbox and will still be sent.</p>
        <pre className="alert alert-error mono" style={{ whiteSpace: "pre-wrap", margin: 0 }}>
          {error.message}
        </pre>
        <div className="inline-form">
          <button type="button" className="btn btn-primary" onClick={reset}>
            Try again
          </button>
          <Link className="btn" href="/">
            Back to boards
          </Link>
        </div>
      </div>
    </main>
  );
}
