"use client";

import { useEffect, useRef, useState } from "react";
import type { SyncClientApi } from "../../lib/client/types";
import { errorMessage } from "../_lib/format";

/** Owner only: makes an invite code for this board and shows it to copy. */
export function InviteButton({ client, boardId }: { client: SyncClientApi; boardId: string }) {
  const [open, setOpen] = useState(false);
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (anchor.current && e.target instanceof Node && !anchor.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  async function toggle() {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setCopied(false);
    setError(null);
    try {
      setCode(await client.invite(boardId));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function copy() {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code);
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
          ) : code ? (
            <>
              <span className="field-hint">Share this code; they paste it under “Have an invite code?”.</span>
              <code className="invite-code" data-testid="invite-code">
                {code}
              </code>
              <button type="button" className="btn btn-sm" onClick={copy}>
                {copied ? "Copied" : "Copy code"}
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
