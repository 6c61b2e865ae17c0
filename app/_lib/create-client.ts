import { io } from "socket.io-client";
import type { User } from "../../lib/protocol";
import { IndexedDbStorage } from "../../lib/client/indexeddb-storage";
import { signIn, signInWithPassword, signUp } from "../../lib/client/session";
import { SyncClient } from "../../lib/client/sync-client";
import type { SyncClientApi } from "../../lib/client/types";


/**
 * The one place the UI touches the concrete client class; everything else uses SyncClientApi.
 * The outbox and board cursors live in IndexedDB (one database per replica), so a reload, even
 * offline, keeps pending edits.
 */
export function createSyncClient(opts: { url: string; token: string; user: User; replicaId: string }): SyncClientApi {
  const storage = typeof indexedDB === "undefined" ? undefined : new IndexedDbStorage(opts.replicaId);
  return new SyncClient({ ...opts, io, storage });
}

/** POST /api/session through the client's helper. */
export function requestSession(baseUrl: string, name: string): Promise<{ token: string; user: User }> {
  return signIn(baseUrl, name);
}

/** POST /api/session with a password (SPEC ACCOUNT-2). */
export function requestAccountSession(baseUrl: string, name: string, password: string): Promise<{ user: User; account: boolean }> {
  return signInWithPassword(baseUrl, name, password);
}

/** POST /api/account (SPEC ACCOUNT-1): the browser's guest session, if any, goes with it and is claimed. */
export function requestSignUp(baseUrl: string, name: string, password: string): Promise<{ user: User; account: boolean }> {
  return signUp(baseUrl, name, password);
}

/**
 * DELETE /api/session: revokes this browser's session (the HttpOnly cookie names it) and clears
 * the cookie. `keepalive` lets it finish while the page moves on; a failure (offline) is only
 * logged: the local sign-out goes ahead, and the next sign-in replaces the cookie.
 */
export async function endSession(baseUrl: string): Promise<void> {
  try {
    await fetch(new URL("/api/session", baseUrl), { method: "DELETE", credentials: "same-origin", keepalive: true });
  } catch (err) {
    console.warn("sign-out could not reach the server", err);
  }
}
