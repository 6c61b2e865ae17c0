"use client";

import Link from "next/link";
import { userHandle } from "../../lib/protocol";
import { useSync } from "../sync-provider";
import { Avatar } from "./avatar";

/**
 * Who is signed in (with their handle, SPEC ACCOUNT-3), the way to keep a guest's boards as an
 * account (ACCOUNT-4), and the way out.
 */
export function UserMenu({ avatar = true, offerAccount = false }: { avatar?: boolean; offerAccount?: boolean }) {
  const { session, signOut, tabGuest } = useSync();
  if (!session) return null;
  return (
    <span className="user-chip">
      {avatar ? <Avatar id={session.user.id} name={session.user.name} /> : null}
      <span className="user-label">
        <span className="user-name" data-testid="current-user">
          {session.user.name}
        </span>
        <span className="user-handle" data-testid="current-user-handle" title={session.account ? "Your handle" : "Your handle (guest)"}>
          #{userHandle(session.user.id)}
          {session.account ? null : " · guest"}
        </span>
      </span>
      {/* A tab-only guest (SPEC LOCK-10) is for the lock tour: it does not become an account, and its banner (tab-guest-banner.tsx) ends it. */}
      {session.account || !offerAccount || tabGuest ? null : (
        <Link className="btn btn-sm" href="/account" data-testid="create-account">
          Create account
        </Link>
      )}
      {tabGuest ? null : (
        <button type="button" className="btn btn-ghost btn-sm" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      )}
    </span>
  );
}
