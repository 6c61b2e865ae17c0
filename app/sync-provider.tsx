"use client";

import { usePathname } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import type { ClientState, SyncClientApi } from "../lib/client/types";
import { createSyncClient, endSession, requestSession } from "./_lib/create-client";
import { SESSION_INVALID_TEXT } from "./_lib/notice-text";
import { installOfflineShell, rememberPage } from "./_lib/offline-shell";
import { claimReplicaId } from "./_lib/replica-id";
import { clearSession, loadSession, saveSession, type StoredSession } from "./_lib/session-store";

interface SyncContextValue {
  /** False until the stored session was read (first client render). */
  ready: boolean;
  session: StoredSession | null;
  /** One SyncClient per tab, present while signed in. */
  client: SyncClientApi | null;
  signIn(name: string): Promise<void>;
  signOut(): void;
  /** Why the person was signed out, when it was not their choice. */
  signedOutNote: string | null;
}

const SyncContext = createContext<SyncContextValue | null>(null);

/**
 * Owns the tab's one sync client. The UI reads its state with `useClientState` and changes
 * things only through the client's methods (lib/client/types.ts is the contract).
 */
export function SyncProvider({ children }: { children: ReactNode }) {
  const [ready, setReady] = useState(false);
  const [session, setSession] = useState<StoredSession | null>(null);
  const [client, setClient] = useState<SyncClientApi | null>(null);
  const [signedOutNote, setSignedOutNote] = useState<string | null>(null);

  // The offline shell: a reload with the network down still opens the page (SPEC REPLICA-3).
  const pathname = usePathname();
  const firstPath = useRef(true);
  useEffect(() => {
    void installOfflineShell();
  }, []);
  useEffect(() => {
    if (firstPath.current) {
      firstPath.current = false; // the install above caches the first page
      return;
    }
    void rememberPage();
  }, [pathname]);

  useEffect(() => {
    setSession(loadSession());
    setReady(true);
    // Another tab signing in or out changes who this tab is too.
    const onStorage = (e: StorageEvent) => {
      if (e.key === "concord.session" || e.key === null) setSession(loadSession());
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, []);

  useEffect(() => {
    if (!session) return;
    let live = true;
    let c: SyncClientApi | null = null;
    let unsubscribe = noop;
    void claimReplicaId().then(async (replicaId) => {
      if (!live) return;
      // No token in the handshake: the browser sends the HttpOnly session cookie with it (SEC-2).
      const created = createSyncClient({ url: window.location.origin, token: "", user: session.user, replicaId });
      c = created;
      // The simulator's "offline" survives a reload of this tab (sessionStorage), so a person can
      // reload while offline and still see their pending edits before going back online.
      const wasOffline = readTabFlag(OFFLINE_KEY);
      if (wasOffline) created.setOffline(true);
      let offline = wasOffline;
      // A token the server refuses (for example after its data was reset) means signing in again.
      unsubscribe = created.subscribe(() => {
        const now = created.getSnapshot().network.offline;
        if (now !== offline) writeTabFlag(OFFLINE_KEY, (offline = now));
        if (live && created.getSnapshot().authError) {
          clearSession();
          setSignedOutNote(SESSION_INVALID_TEXT);
          setSession(null);
        }
      });
      setClient(created);
      // Restore this replica's boards and outbox first, so pending edits survive a reload, even offline.
      await created.load().catch(() => {});
      if (live) created.connect();
    });
    return () => {
      live = false;
      unsubscribe();
      c?.close();
      setClient(null);
    };
  }, [session]);

  const signIn = useCallback(async (name: string) => {
    const reply = await requestSession(window.location.origin, name);
    // The token in the reply is also in the HttpOnly cookie the reply set; scripts keep only the user.
    const next = { user: reply.user };
    saveSession(next);
    setSignedOutNote(null);
    setSession(next);
  }, []);

  // Signing out revokes the session on the server (its sockets in every tab and on every node
  // end, the cookie is cleared), then forgets the person here even when the request fails.
  const signOut = useCallback(() => {
    void endSession(window.location.origin);
    clearSession();
    setSession(null);
  }, []);

  const value = useMemo(() => ({ ready, session, client, signIn, signOut, signedOutNote }), [ready, session, client, signIn, signOut, signedOutNote]);
  return <SyncContext.Provider value={value}>{children}</SyncContext.Provider>;
}

export function useSync(): SyncContextValue {
  const ctx = useContext(SyncContext);
  if (!ctx) throw new Error("useSync must be used inside <SyncProvider>");
  return ctx;
}

const noop = () => {};

const OFFLINE_KEY = "concord.simulatedOffline";

function readTabFlag(key: string): boolean {
  try {
    return window.sessionStorage.getItem(key) === "1";
  } catch {
    return false;
  }
}

function writeTabFlag(key: string, on: boolean): void {
  try {
    if (on) window.sessionStorage.setItem(key, "1");
    else window.sessionStorage.removeItem(key);
  } catch {
    /* private mode: the flag lives for this page only */
  }
}

/** The client's state (null while signed out), re-rendering on every change it announces. */
export function useClientState(): ClientState | null {
  const { client } = useSync();
  const subscribe = useCallback((listener: () => void) => (client ? client.subscribe(listener) : noop), [client]);
  const getSnapshot = useCallback(() => (client ? client.getSnapshot() : null), [client]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
