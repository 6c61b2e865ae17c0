"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import { errorMessage } from "../_lib/format";
import { inviteCodeOf } from "../_lib/links";
import { ErrorText } from "./error-text";

/** Joins a private board with the invite link or code its owner shared. */
export function AcceptInviteForm({ client, onJoined }: { client: SyncClientApi; onJoined?: (boardId: string) => void }) {
  const router = useRouter();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!code.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const board = await client.accept(inviteCodeOf(code));
      setCode("");
      if (onJoined) onJoined(board.id);
      else router.push(`/b/${encodeURIComponent(board.id)}`);
    } catch (err) {
      setError(`That invite did not work: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel form-stack" onSubmit={submit} aria-labelledby="accept-title">
      <h2 id="accept-title" style={{ marginBottom: 0 }}>
        Have an invite?
      </h2>
      <div className="inline-form">
        <label className="visually-hidden" htmlFor="invite-code-input">
          Invite link or code
        </label>
        <input id="invite-code-input" className="input mono" data-testid="invite-code-input" value={code} onChange={(e) => setCode(e.target.value)} placeholder="Paste link or code" autoComplete="off" />
        <button className="btn" type="submit" data-testid="invite-accept" disabled={busy || !code.trim()}>
          Join
        </button>
      </div>
      <ErrorText error={error} />
    </form>
  );
}
