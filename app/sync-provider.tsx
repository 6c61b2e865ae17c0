"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import type { ClientState, SyncClientApi } from "../lib/client/types";
import { createSyncClient, requestSession } from "./_lib/create-client";
import { tabReplicaId } from "./_lib/replica-id";
import { clearSession, loadSession, saveSession, type StoredSession } from "./_lib/session-store";

interface SyncContextValue {
  /** False until the stored session was read (first client render). */
  ready: boolean;
  session: StoredSession | null;
  /** One SyncClient per tab, present while signed in. */
  client: SyncClientApi | null;
  signIn(name: string): Promise<void>;
  signOut(): void;
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
    const c = createSyncClient({
      url: window.location.origin,
      token: session.token,
      user: session.user,
      replicaId: tabReplicaId(),
    });
    c.connect();
    setClient(c);
    return () => {
      c.close();
      setClient(null);
    };
  }, [session]);

  const signIn = useCallback(async (name: string) => {
    const reply = await requestSession(window.location.origin, name);
    const next = { token: reply.token, user: reply.user };
    saveSession(next);
    setSession(next);
  }, []);

  const signOut = useCallback(() => {
    clearSession();
    setSession(null);
  }, []);

  const value = useMemo(() => ({ ready, session, client, signIn, signOut }), [ready, session, client, signIn, signOut]);
  return <SyncContext.Provider value={value}>{children}</SyncContext.Provider>;
}

export function useSync(): SyncContextValue {
  const ctx = useContext(SyncContext);
  if (!ctx) throw new Error("useSync must be used inside <SyncProvider>");
  return ctx;
}

const noop = () => {};

/** The client's state (null while signed out), re-rendering on every change it announces. */
export function useClientState(): ClientState | null {
  const { client } = useSync();
  const subscribe = useCallback((listener: () => void) => (client ? client.subscribe(listener) : noop), [client]);
  const getSnapshot = useCallback(() => (client ? client.getSnapshot() : null), [client]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
