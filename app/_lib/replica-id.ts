const KEY = "concord.replicaId";
/** Set when this tab's page goes away (a reload, a navigation), for the next page of the same tab. */
const RELEASED = "concord.replicaReleased";

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The replica id of this tab: stable across reloads of the tab (sessionStorage), different in every
 * other tab, so each tab is its own replica with its own outbox and clocks.
 */
export function tabReplicaId(): string {
  return storedOrFresh().id;
}

/** The tab's stored id, or a fresh one (`fresh`: nobody can hold it yet). */
function storedOrFresh(): { id: string; fresh: boolean } {
  try {
    const existing = window.sessionStorage.getItem(KEY);
    if (existing && /^tab-[0-9a-f]{8}$/.test(existing)) return { id: existing, fresh: false };
    const id = `tab-${randomHex(4)}`;
    window.sessionStorage.setItem(KEY, id);
    return { id, fresh: true };
  } catch {
    return { id: `tab-${randomHex(4)}`, fresh: true };
  }
}

let channel: BroadcastChannel | null = null;

/**
 * A duplicated browser tab copies sessionStorage, and with it the replica id; two live tabs with
 * one id would share vector-clock entries and an outbox. So a starting tab claims its id on a
 * BroadcastChannel; a live tab that already holds it answers, and the newcomer takes a fresh id.
 * Resolves with the id to use (after at most `waitMs`). The tab keeps answering later claims.
 */
export function claimReplicaId(waitMs = 120): Promise<string> {
  const { id, fresh } = storedOrFresh();
  if (typeof BroadcastChannel === "undefined") return Promise.resolve(id);
  // A fresh id was drawn just now and no other tab can hold it: no need to wait for an answer.
  // Nor when this tab's own previous page released the id on its way out (a reload): a duplicated
  // tab copies sessionStorage from a live tab, which has no such mark (it is taken off below, and
  // again when a page comes back from the back/forward cache), so a duplicate still waits.
  if (fresh || takeReleased() === id) waitMs = 0;
  return new Promise((resolve) => {
    let current = id;
    let settled = false;
    channel?.close();
    const ch = new BroadcastChannel("concord.replicas");
    channel = ch;
    ch.onmessage = (e: MessageEvent<{ type: string; id: string }>) => {
      if (e.data?.type === "claim" && e.data.id === current && settled) ch.postMessage({ type: "taken", id: current });
      if (e.data?.type === "taken" && e.data.id === current && !settled) {
        current = `tab-${randomHex(4)}`;
        try {
          window.sessionStorage.setItem(KEY, current);
        } catch {
          /* private mode: the id lives for this page only */
        }
      }
    };
    ch.postMessage({ type: "claim", id });
    releaseOnLeave(() => current);
    setTimeout(() => {
      settled = true;
      resolve(current);
    }, waitMs);
  });
}

function takeReleased(): string | null {
  try {
    const released = window.sessionStorage.getItem(RELEASED);
    window.sessionStorage.removeItem(RELEASED);
    return released;
  } catch {
    return null;
  }
}

let leaving: (() => string) | null = null;

/** Marks the id released when the page goes away; a page restored from the back/forward cache holds it again. */
function releaseOnLeave(id: () => string): void {
  if (leaving === null) {
    window.addEventListener("pagehide", () => {
      try {
        if (leaving) window.sessionStorage.setItem(RELEASED, leaving());
      } catch {
        /* private mode */
      }
    });
    window.addEventListener("pageshow", (e) => {
      if (e.persisted) takeReleased();
    });
  }
  leaving = id;
}
