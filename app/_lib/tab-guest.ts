import type { User } from "../../lib/protocol";
import { signIn } from "../../lib/client/session";

/**
 * A tab-only guest (SPEC LOCK-10): the lock tour's tab B is another person, not a second tab of
 * the person who started it (leases are held per user, LOCK-4). The tab is opened with
 * `?as=guest` (and `&guestInvite=<code>` on a private board its owner invited the guest to); it
 * signs in a new guest with `credentials: "omit"`, so the browser's session cookie, and every
 * other tab, stay who they were; the guest's token lives in this tab's sessionStorage only (never
 * localStorage) and goes in this tab's socket handshake (`auth.token`) and HTTP calls (Bearer).
 */

/** The guest's name: the README's lock row calls the second person Bob. */
export const TAB_GUEST_NAME = "Bob";

/** The URL parameters that open a tab as a tab-only guest. */
export const TAB_GUEST_PARAMS = { marker: "as", invite: "guestInvite" } as const;

const KEY = "concord.tabGuest";

export interface TabGuestMarker {
  /** A one-use invite code to the board (a private board's owner started the tour). */
  invite?: string;
}

export interface TabGuest {
  user: User;
  token: string;
}

const INVITE = /^[A-Za-z0-9_-]{1,64}$/;

/** The marker in a URL's query (`?as=guest`, maybe `&guestInvite=<code>`), from untrusted text; anything else is no marker. */
export function parseTabGuestMarker(search: string): TabGuestMarker | null {
  const q = new URLSearchParams(search);
  if (q.get(TAB_GUEST_PARAMS.marker) !== "guest") return null;
  const invite = q.get(TAB_GUEST_PARAMS.invite);
  return invite !== null && INVITE.test(invite) ? { invite } : {};
}

/** The query without the marker (a reload or a copied URL should not make another guest), "" or "?…". */
export function withoutTabGuestMarker(search: string): string {
  const q = new URLSearchParams(search);
  for (const p of Object.values(TAB_GUEST_PARAMS)) q.delete(p);
  const rest = q.toString();
  return rest ? `?${rest}` : "";
}

/** Adds the marker to the query of the URL that opens tab B. */
export function markTabGuest(q: URLSearchParams, invite?: string): void {
  q.set(TAB_GUEST_PARAMS.marker, "guest");
  if (invite !== undefined) q.set(TAB_GUEST_PARAMS.invite, invite);
}

/** A stored tab guest from untrusted text; anything malformed is none. */
export function parseTabGuest(raw: string | null): TabGuest | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as { user?: { id?: unknown; name?: unknown }; token?: unknown } | null;
    if (typeof v?.user?.id !== "string" || typeof v.user.name !== "string" || typeof v.token !== "string" || v.token === "") return null;
    return { user: { id: v.user.id, name: v.user.name }, token: v.token };
  } catch {
    return null;
  }
}

/** This tab's guest, if it is one. */
export function loadTabGuest(): TabGuest | null {
  try {
    return parseTabGuest(window.sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function saveTabGuest(guest: TabGuest): void {
  window.sessionStorage.setItem(KEY, JSON.stringify({ user: guest.user, token: guest.token }));
}

export function clearTabGuest(): void {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    /* storage unavailable: nothing was kept */
  }
}

/** Signs a new guest in for this tab only: no cookie is sent or set (`credentials: "omit"`). */
export async function signInTabGuest(origin: string): Promise<TabGuest> {
  const { token, user } = await signIn(origin, TAB_GUEST_NAME, "omit");
  const guest = { user, token };
  saveTabGuest(guest);
  return guest;
}

/** Revokes the tab guest's session (Bearer, no cookie), so the throwaway token is dead on the server too. */
export async function endTabGuest(origin: string, token: string): Promise<void> {
  try {
    await fetch(new URL("/api/session", origin), { method: "DELETE", credentials: "omit", headers: { authorization: `Bearer ${token}` }, keepalive: true });
  } catch (err) {
    console.warn("ending the tab guest could not reach the server", err);
  }
}

/** How this tab's own HTTP calls authenticate: the tab guest's Bearer token, else the browser's cookie. */
export function tabAuth(): { credentials: RequestCredentials; headers: Record<string, string> } {
  const guest = loadTabGuest();
  return guest ? { credentials: "omit", headers: { authorization: `Bearer ${guest.token}` } } : { credentials: "same-origin", headers: {} };
}
