"use client";

import { useSync } from "../sync-provider";
import { Avatar } from "./avatar";

/** Who is signed in, and the way out. */
export function UserMenu({ avatar = true }: { avatar?: boolean }) {
  const { session, signOut } = useSync();
  if (!session) return null;
  return (
    <span className="user-chip">
      {avatar ? <Avatar id={session.user.id} name={session.user.name} /> : null}
      <span className="user-name" data-testid="current-user">
        {session.user.name}
      </span>
      <button type="button" className="btn btn-ghost btn-sm" onClick={signOut}>
        Sign out
      </button>
    </span>
  );
}
