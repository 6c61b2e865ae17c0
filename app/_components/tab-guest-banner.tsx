"use client";

import type { User } from "../../lib/protocol";
import { useSync } from "../sync-provider";
import { PersonName } from "./person-name";

/**
 * Says, on every page of a tab-only guest's tab (the lock tour's tab B, SPEC LOCK-10), that this
 * tab is another person than the browser's other tabs, and how to end it.
 */
export function TabGuestBanner({ user }: { user: User }) {
  const { signOut } = useSync();
  return (
    <div className="tab-guest-banner" role="status" data-testid="tab-guest-banner">
      <span>
        This tab is <strong data-testid="tab-guest-name"><PersonName id={user.id} name={user.name} /></strong>, a guest of this tab only — for the lock tour. Your other
        tabs are still you.
      </span>
      <button type="button" className="btn btn-sm" data-testid="tab-guest-end" onClick={signOut}>
        End this tab&apos;s guest
      </button>
    </div>
  );
}
