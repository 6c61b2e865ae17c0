import type { User } from "../../lib/protocol";

/** The signed-in person, kept per browser (all tabs share it) in localStorage. */
export interface StoredSession {
  token: string;
  user: User;
}

const KEY = "concord.session";

function isSession(value: unknown): value is StoredSession {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { token?: unknown; user?: { id?: unknown; name?: unknown } };
  return typeof v.token === "string" && typeof v.user?.id === "string" && typeof v.user?.name === "string";
}

/** Reads the stored session; anything malformed counts as signed out. */
export function loadSession(): StoredSession | null {
  try {
    const raw = window.localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    return isSession(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export function saveSession(session: StoredSession): void {
  window.localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  window.localStorage.removeItem(KEY);
}
