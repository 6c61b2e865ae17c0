"use client";

import { useCallback, useRef, useState } from "react";
import type { InviteCode, SyncClientApi } from "../../lib/client/types";
import { errorMessage } from "../_lib/format";
import { inviteLink } from "../_lib/links";
import { useClickOutside } from "../_lib/use-click-outside";

/** Owner only: makes an invite code for this board, shows it to copy with its expiry, and can revoke it (SPEC ACCESS-3). */
export function InviteButton({ client, boardId }: { client: SyncClientApi; boardId: string }) {
  const [open, setOpen] = useState(false);
  const [invite, setInvite] = useState<InviteCode | null>(null);
  const [revoked, setRevoked] = useState(false);
  const code = invite?.code ?? null;
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);

  const close = useCallback(() => setOpen(false), []);
  useClickOutside(anchor, open, close);

  async function toggle() {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setCopied(false);
    setRevoked(false);
    setError(null);
    try {
      setInvite(await client.invite(boardId));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function revoke() {
    if (!code) return;
    try {
      await client.revokeInvite(code);
      setRevoked(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function copy() {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(inviteLink(window.location.origin, code));
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <div className="popover-anchor" ref={anchor} onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      <button type="button" className="btn btn-sm" data-testid="invite-button" aria-expanded={open} onClick={toggle}>
        Invite
      </button>
      {open ? (
        <div className="popover" role="region" aria-label="Invite code">
          <strong>Invite someone</strong>
          {error ? (
            <p className="error-text" role="alert">
              {error}
            </p>
          ) : invite && revoked ? (
            <span className="muted" data-testid="invite-revoked">
              Code revoked: nobody can join with it any more.
            </span>
          ) : invite ? (
            <>
              <span className="field-hint">Share this link: it opens the board after they sign in.</span>
              <code className="invite-link" data-testid="invite-link">
                {inviteLink(window.location.origin, invite.code)}
              </code>
              <span className="field-hint">Or the code, to paste under “Have an invite?”:</span>
              <code className="invite-code" data-testid="invite-code">
                {invite.code}
              </code>
              <span className="field-hint" data-testid="invite-expiry">
                Works until {new Date(invite.expiresAt).toLocaleString()}
                {invite.maxUses !== null ? ` for ${invite.maxUses} ${invite.maxUses === 1 ? "person" : "people"}` : ""}.
              </span>
              <button type="button" className="btn btn-sm" onClick={copy}>
                {copied ? "Copied" : "Copy link"}
              </button>
              <button type="button" className="btn btn-sm" data-testid="invite-revoke" onClick={revoke}>
                Revoke code
              </button>
            </>
          ) : (
            <span className="muted">Creating a code…</span>
          )}
        </div>
      ) : null}
    </div>
  );
}
