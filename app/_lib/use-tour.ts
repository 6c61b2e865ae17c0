"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { parseTourId, tourOf, type TourId, type TourTab } from "../../lib/demo/tours";
import { openSecondTab } from "./second-tab";
import { markTabGuest } from "./tab-guest";

/** A tour running in this tab: which one, at which step, as which tab, about which card. */
export interface ActiveTour {
  id: TourId;
  /** Shared by tab A and the tab B it opened (their BroadcastChannel messages carry it). */
  session: string;
  boardId: string;
  step: number;
  tab: TourTab;
  cardId?: string;
  cardTitle?: string;
  /** Tab A of a tour whose tab B is a tab-only guest, on a private board: the one-use invite that lets the guest in (SPEC LOCK-10). */
  guestInvite?: string;
}

const KEY = "concord.tour";
const CHANNEL = "concord.tour";
/** What the tabs of one tour tell each other. */
type TourMessage = { session: string; step: number } | { session: string; ended: true };

function randomSession(): string {
  const buf = new Uint8Array(6);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a tour from untrusted text (the URL a tab B was opened with, or this tab's stored one); anything malformed is no tour. */
function parseTour(raw: Record<string, unknown>, boardId: string): ActiveTour | null {
  const id = parseTourId(raw.id);
  const step = Number(raw.step);
  const session = typeof raw.session === "string" && /^[0-9a-f]{6,32}$/.test(raw.session) ? raw.session : null;
  if (!id || !session || raw.boardId !== boardId || !Number.isInteger(step) || step < 0 || step >= tourOf(id).steps.length) return null;
  const tab: TourTab = raw.tab === "B" ? "B" : "A";
  const text = (v: unknown) => (typeof v === "string" && v.length > 0 && v.length <= 200 ? v : undefined);
  const cardId = text(raw.cardId);
  const cardTitle = text(raw.cardTitle);
  const guestInvite = typeof raw.guestInvite === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(raw.guestInvite) ? raw.guestInvite : undefined;
  return { id, session, boardId, step, tab, ...(cardId ? { cardId } : {}), ...(cardTitle ? { cardTitle } : {}), ...(guestInvite ? { guestInvite } : {}) };
}

/** The URL parameters that open a board as tab B of a tour. */
const PARAMS = { id: "tour", session: "tourSession", step: "tourStep", cardId: "tourCard", cardTitle: "tourTitle" } as const;

function fromUrl(boardId: string): ActiveTour | null {
  const q = new URLSearchParams(window.location.search);
  if (!q.has(PARAMS.id)) return null;
  const raw = Object.fromEntries(Object.entries(PARAMS).map(([k, p]) => [k, q.get(p) ?? undefined]));
  // The parameters served their purpose: a copied or reloaded URL should not start a tour again (sessionStorage keeps this one).
  for (const p of Object.values(PARAMS)) q.delete(p);
  const rest = q.toString();
  window.history.replaceState(window.history.state, "", `${window.location.pathname}${rest ? `?${rest}` : ""}${window.location.hash}`);
  const tour = parseTour({ ...raw, boardId, tab: "B" }, boardId);
  // Stored at once: an effect run twice (React's strict mode) reads it back instead of the stripped URL.
  if (tour) store(tour);
  return tour;
}

function fromStorage(boardId: string): ActiveTour | null {
  try {
    const stored = window.sessionStorage.getItem(KEY);
    const raw: unknown = stored ? JSON.parse(stored) : null;
    return raw && typeof raw === "object" ? parseTour(raw as Record<string, unknown>, boardId) : null;
  } catch {
    return null;
  }
}

function store(tour: ActiveTour | null): void {
  try {
    if (tour) window.sessionStorage.setItem(KEY, JSON.stringify(tour));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: the tour lasts for this page only
  }
}

/**
 * The guided tour of this board in this tab (issue 12 item 6). It survives a reload of the tab
 * (sessionStorage: the offline tour reloads on purpose), and tab A and the tab B it opened move
 * step by step together over a BroadcastChannel, each ringing what it should look at.
 */
export function useTour(boardId: string) {
  const [tour, setTour] = useState<ActiveTour | null>(null);
  const channel = useRef<BroadcastChannel | null>(null);

  useEffect(() => {
    setTour(fromUrl(boardId) ?? fromStorage(boardId));
  }, [boardId]);

  const session = tour?.session;
  useEffect(() => {
    if (!session || typeof BroadcastChannel === "undefined") return;
    const ch = new BroadcastChannel(CHANNEL);
    channel.current = ch;
    ch.onmessage = (e: MessageEvent<TourMessage>) => {
      const m = e.data;
      if (!m || typeof m !== "object" || m.session !== session) return;
      if ("ended" in m) {
        store(null);
        setTour(null);
      }
      else if (Number.isInteger(m.step)) setTour((t) => (t && m.step >= 0 && m.step < tourOf(t.id).steps.length ? { ...t, step: m.step } : t));
    };
    return () => {
      ch.close();
      channel.current = null;
    };
  }, [session]);

  // Kept while it runs (a reload resumes it); only ending it forgets it.
  useEffect(() => {
    if (tour) store(tour);
  }, [tour]);

  const current = useRef(tour);
  current.current = tour;

  const go = useCallback((step: number) => {
    const t = current.current;
    if (!t || step < 0 || step >= tourOf(t.id).steps.length) return;
    channel.current?.postMessage({ session: t.session, step } satisfies TourMessage);
    setTour({ ...t, step });
  }, []);

  const end = useCallback(() => {
    const t = current.current;
    if (t) channel.current?.postMessage({ session: t.session, ended: true } satisfies TourMessage);
    store(null);
    setTour(null);
  }, []);

  const start = useCallback(
    (id: TourId, card: { id: string; title: string } | undefined, guestInvite?: string) => {
      setTour({ id, session: randomSession(), boardId, step: 0, tab: "A", ...(card ? { cardId: card.id, cardTitle: card.title } : {}), ...(guestInvite ? { guestInvite } : {}) });
    },
    [boardId],
  );

  /** Opens tab B at the next step (the step that comes after "open the second tab"), and moves this tab there too. */
  const openTabB = useCallback(() => {
    if (!tour) return;
    const next = Math.min(tour.step + 1, tourOf(tour.id).steps.length - 1);
    const q = new URLSearchParams({ [PARAMS.id]: tour.id, [PARAMS.session]: tour.session, [PARAMS.step]: String(next) });
    if (tour.cardId) q.set(PARAMS.cardId, tour.cardId);
    if (tour.cardTitle) q.set(PARAMS.cardTitle, tour.cardTitle);
    // The lock tour's tab B is another person, a guest of that tab only (SPEC LOCK-10).
    if (tourOf(tour.id).guestTabB) markTabGuest(q, tour.guestInvite);
    openSecondTab(`${window.location.origin}${window.location.pathname}?${q.toString()}`);
    go(next);
  }, [tour, go]);

  return { tour, start, go, end, openTabB };
}
