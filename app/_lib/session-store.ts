import type { User } from "../../lib/protocol";

/**
 * Who is signed in, kept per browser (all tabs share it) in localStorage. The credential itself
 * is not here: it is the HttpOnly session cookie the server set at sign-in, which page scripts
 * cannot read and the browser sends with the socket handshake (SPEC SEC-2, SECURITY.md).
 */
export interface StoredSession {
  user: User;
  /** An account (a password, SPEC ACCOUNT-1) rather than a guest of this browser. */
  account?: boolean;
}

const KEY = "concord.session";

function isSession(value: unknown): value is StoredSession {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { user?: { id?: unknown; name?: unknown } };
  return typeof v.user?.id === "string" && typeof v.user?.name === "string";
}

/** Reads the stored session; anything malformed counts as signed out. */
export function loadSession(): StoredSession | null {
  try {
    const raw = window.localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null && "token" in parsed) {
      // Stored before sessions moved to a cookie: that token names no session record and is
      // refused anyway, so it is removed from script-readable storage and the person signs in.
      window.localStorage.removeItem(KEY);
      return null;
    }
    return isSession(parsed) ? { user: parsed.user, ...((parsed as { account?: unknown }).account === true ? { account: true } : {}) } : null;
  } catch {
    return null;
  }
}

export function saveSession(session: StoredSession): void {
  window.localStorage.setItem(KEY, JSON.stringify({ user: session.user, ...(session.account ? { account: true } : {}) }));
}

export function clearSession(): void {
  window.localStorage.removeItem(KEY);
}
