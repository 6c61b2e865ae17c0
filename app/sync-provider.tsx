"use client";

import { usePathname } from "next/navigation";
import { mark } from "../lib/client/marks";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import type { ReplicaSummary } from "../lib/client/replica-share";
import type { ClientState, SyncClientApi } from "../lib/client/types";
import { createSyncClient, endSession, requestAccountSession, requestSession, requestSignUp } from "./_lib/create-client";
import { SESSION_INVALID_TEXT } from "./_lib/notice-text";
import { installOfflineShell, rememberPage } from "./_lib/offline-shell";
import { claimReplicaId } from "./_lib/replica-id";

/**
 * The tab's replica id is claimed (a 120 ms wait for a twin tab's answer) as soon as this module
 * runs in the browser, while React hydrates, rather than after: the first client takes it once.
 */
if (typeof window !== "undefined") mark("sync provider loaded");
let earlyClaim: Promise<string> | null = typeof window !== "undefined" ? claimReplicaId() : null;
function takeEarlyClaim(): Promise<string> | null {
  const claim = earlyClaim;
  earlyClaim = null;
  return claim;
}
import { ReplicaShare } from "./_lib/replica-share";
import { clearSession, loadSession, saveSession, type StoredSession } from "./_lib/session-store";
import { clearTabGuest, endTabGuest, loadTabGuest, parseTabGuestMarker, signInTabGuest, withoutTabGuestMarker, type TabGuest } from "./_lib/tab-guest";
import { TabGuestBanner } from "./_components/tab-guest-banner";

interface SyncContextValue {
  /** False until the stored session was read (first client render). */
  ready: boolean;
  session: StoredSession | null;
  /** One SyncClient per tab, present while signed in. */
  client: SyncClientApi | null;
  /** A guest of this browser, by name only. */
  signIn(name: string): Promise<void>;
  /** An account, from any browser (SPEC ACCOUNT-2). */
  signInWithPassword(name: string, password: string): Promise<void>;
  /** A new account; a signed-in guest becomes it and keeps its boards (SPEC ACCOUNT-1, ACCOUNT-4). */
  signUp(name: string, password: string): Promise<void>;
  signOut(): void;
  /** Why the person was signed out, when it was not their choice. */
  signedOutNote: string | null;
  /** This tab's replica summary shared with the browser's other tabs, and theirs (SPEC INSP-2). */
  share: ReplicaShare | null;
  /** This tab is a guest of its own, another person than the browser's other tabs (the lock tour's tab B, SPEC LOCK-10). */
  tabGuest: boolean;
}

/** A tab guest being signed in (module-wide: React's strict mode runs the mount effect twice, and the first run took the marker off the URL). */
let startingGuest: Promise<TabGuest> | null = null;

const SyncContext = createContext<SyncContextValue | null>(null);

/**
 * Owns the tab's one sync client. The UI reads its state with `useClientState` and changes
 * things only through the client's methods (lib/client/types.ts is the contract).
 */
export function SyncProvider({ children }: { children: ReactNode }) {
  const [ready, setReady] = useState(false);
  const [session, setSession] = useState<StoredSession | null>(null);
  const [client, setClient] = useState<SyncClientApi | null>(null);
  const [share, setShare] = useState<ReplicaShare | null>(null);
  const [signedOutNote, setSignedOutNote] = useState<string | null>(null);
  // SPEC LOCK-10: this tab's own guest (token in this tab's sessionStorage), and the invite it accepts once.
  const [tabGuest, setTabGuest] = useState<TabGuest | null>(null);
  const guestInvite = useRef<string | null>(null);
  // A guest becoming an account (ACCOUNT-4): its old session is revoked, and the old client's
  // refused reconnect must not sign the person out while the new session takes over.
  const claiming = useRef(false);

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
    let live = true;
    // Another tab signing in or out changes who this tab is too, unless this tab is a guest of its own.
    const onStorage = (e: StorageEvent) => {
      if ((e.key === "concord.session" || e.key === null) && !loadTabGuest()) setSession(loadSession());
    };
    window.addEventListener("storage", onStorage);
    const cleanup = () => {
      live = false;
      window.removeEventListener("storage", onStorage);
    };
    // SPEC LOCK-10: `?as=guest` makes this tab a new guest of its own (the lock tour's tab B); a reload keeps it.
    const { pathname: path, search, hash } = window.location;
    const marker = parseTabGuestMarker(search);
    if (marker) {
      window.history.replaceState(window.history.state, "", `${path}${withoutTabGuestMarker(search)}${hash}`);
      guestInvite.current = marker.invite ?? null;
    }
    const stored = loadTabGuest();
    if (marker && !stored) {
      startingGuest = signInTabGuest(window.location.origin).finally(() => {
        startingGuest = null;
      });
    }
    const guest = stored ? Promise.resolve(stored) : startingGuest;
    if (!guest) {
      setSession(loadSession());
      setReady(true);
      return cleanup;
    }
    guest.then(
      (g) => {
        if (!live) return;
        setTabGuest(g);
        setSession({ user: g.user });
        setReady(true);
      },
      (err: unknown) => {
        console.warn("this tab could not sign in a guest of its own; it stays the browser's person", err);
        if (!live) return;
        setSession(loadSession());
        setReady(true);
      },
    );
    return cleanup;
  }, []);

  useEffect(() => {
    claiming.current = false; // the new session's client starts here
    if (!session) return;
    let live = true;
    let c: SyncClientApi | null = null;
    let unsubscribe = noop;
    let shared: ReplicaShare | null = null;
    mark("client effect");
    void (takeEarlyClaim() ?? claimReplicaId()).then(async (replicaId) => {
      if (!live) return;
      mark("replica id claimed");
      // No token in the handshake: the browser sends the HttpOnly session cookie with it (SEC-2);
      // a tab guest's token instead, which the server takes over the cookie (LOCK-10).
      const created = createSyncClient({ url: window.location.origin, token: tabGuest?.token ?? "", user: session.user, replicaId });
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
        if (live && !claiming.current && created.getSnapshot().authError) {
          if (tabGuest) {
            // The tab's guest is gone (signed out elsewhere, data reset): the tab is the browser's person again.
            clearTabGuest();
            setTabGuest(null);
            setSession(loadSession());
            return;
          }
          clearSession();
          setSignedOutNote(SESSION_INVALID_TEXT);
          setSession(null);
        }
      });
      const show = () => {
        setClient(created);
        shared = new ReplicaShare(created);
        setShare(shared);
      };
      // A tab guest invited to a private board accepts first, so the board it opens lets it in (ACCESS-2).
      const invite = tabGuest ? guestInvite.current : null;
      if (!invite) show();
      // Restore this replica's boards and outbox, so pending edits survive a reload, even offline;
      // the socket connects meanwhile, and the client acts on it once the restore is done (FEED-7).
      const restoring = created.load().catch(() => {});
      created.connect();
      await restoring;
      if (!live) return;
      mark("replica restored");
      if (invite) {
        await created.accept(invite).catch((err: unknown) => console.warn("the tab guest's invite was not accepted", err));
        if (!live) return;
        guestInvite.current = null;
        show();
      }
    });
    return () => {
      live = false;
      unsubscribe();
      shared?.close();
      c?.close();
      setClient(null);
      setShare(null);
    };
  }, [session, tabGuest]);

  const signIn = useCallback(async (name: string) => {
    const reply = await requestSession(window.location.origin, name);
    // The token in the reply is also in the HttpOnly cookie the reply set; scripts keep only the user.
    const next = { user: reply.user };
    saveSession(next);
    setSignedOutNote(null);
    setSession(next);
  }, []);

  const signInWithPassword = useCallback(async (name: string, password: string) => {
    const reply = await requestAccountSession(window.location.origin, name, password);
    const next = { user: reply.user, account: true };
    saveSession(next);
    setSignedOutNote(null);
    setSession(next);
  }, []);

  const signUp = useCallback(async (name: string, password: string) => {
    // The request carries the browser's cookie, whose guest it would claim: not this tab's guest (LOCK-10).
    if (loadTabGuest()) throw new Error("this tab's guest is for the lock tour only and cannot become an account");
    claiming.current = true;
    const reply = await requestSignUp(window.location.origin, name, password).catch((err: unknown) => {
      claiming.current = false;
      throw err;
    });
    const next = { user: reply.user, account: true };
    saveSession(next);
    setSignedOutNote(null);
    setSession(next);
  }, []);

  // Signing out revokes the session on the server (its sockets in every tab and on every node
  // end, the cookie is cleared), then forgets the person here even when the request fails.
  const signOut = useCallback(() => {
    if (tabGuest) {
      // Ends this tab's guest only (its session is revoked): the tab is the browser's person again.
      void endTabGuest(window.location.origin, tabGuest.token);
      clearTabGuest();
      setTabGuest(null);
      setSession(loadSession());
      return;
    }
    void endSession(window.location.origin);
    clearSession();
    setSession(null);
  }, [tabGuest]);

  const isTabGuest = tabGuest !== null;
  const value = useMemo(
    () => ({ ready, session, client, signIn, signInWithPassword, signUp, signOut, signedOutNote, share, tabGuest: isTabGuest }),
    [ready, session, client, signIn, signInWithPassword, signUp, signOut, signedOutNote, share, isTabGuest],
  );
  return (
    <SyncContext.Provider value={value}>
      {tabGuest ? <TabGuestBanner user={tabGuest.user} /> : null}
      {children}
    </SyncContext.Provider>
  );
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

/** The client's state as the screen shows it: taken at most once per animation frame. */
interface FrameSource {
  subscribe(listener: () => void): () => void;
  get(): ClientState;
}

const frameSources = new WeakMap<SyncClientApi, FrameSource>();

/**
 * SPEC UI-1: however many changes arrive, the page renders at most once per animation frame
 * (100 updates a second are one render per frame, not 100). A hidden tab gets no frames, so a
 * timer stands in after 100 ms.
 */
function frameSource(client: SyncClientApi): FrameSource {
  const known = frameSources.get(client);
  if (known) return known;
  const listeners = new Set<() => void>();
  let shown = client.getSnapshot();
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const show = () => {
    if (frame !== null) cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = timer = null;
    shown = client.getSnapshot();
    for (const l of [...listeners]) l();
  };
  client.subscribe(() => {
    if (frame !== null || timer !== null) return;
    frame = requestAnimationFrame(show);
    timer = setTimeout(show, 100);
  });
  const source: FrameSource = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get: () => shown,
  };
  frameSources.set(client, source);
  return source;
}

/** The client's state (null while signed out), re-rendering once per frame with changes (SPEC UI-1). */
export function useClientState(): ClientState | null {
  const { client } = useSync();
  const subscribe = useCallback((listener: () => void) => (client ? frameSource(client).subscribe(listener) : noop), [client]);
  const getSnapshot = useCallback(() => (client ? frameSource(client).get() : null), [client]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

const NO_PEERS: ReplicaSummary[] = [];

/** The browser's other tabs' replica summaries, live (SPEC INSP-2). */
export function usePeerReplicas(): ReplicaSummary[] {
  const { share } = useSync();
  const subscribe = useCallback((listener: () => void) => (share ? share.subscribe(listener) : noop), [share]);
  const getSnapshot = useCallback(() => (share ? share.getSnapshot() : NO_PEERS), [share]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
