const CACHE = "concord-shell-v1"; // the same name as in public/sw.js

function cacheable(url: string): boolean {
  return url.startsWith(window.location.origin) && !url.includes("/socket.io/") && !url.includes("/api/");
}

/**
 * Installs the offline shell (public/sw.js) and caches what this page loaded before the worker
 * took control, so that a reload with the network down still opens the app (SPEC REPLICA-3).
 * Production builds only: in dev mode, assets change on every edit. Marks `<html
 * data-offline-ready>` when done (tests wait on it).
 */
export async function installOfflineShell(): Promise<void> {
  if (process.env.NODE_ENV !== "production" || !("serviceWorker" in navigator) || !("caches" in window)) return;
  try {
    await navigator.serviceWorker.register("/sw.js");
    await navigator.serviceWorker.ready;
    await rememberPage();
    const cache = await caches.open(CACHE);
    const loaded = performance.getEntriesByType("resource").map((e) => e.name).filter(cacheable);
    await Promise.all(
      loaded.map(async (url) => {
        if (!(await cache.match(url))) await cache.add(url).catch(() => undefined);
      }),
    );
    document.documentElement.dataset.offlineReady = "true";
  } catch {
    // No offline shell (private mode, old browser): everything else works the same online.
  }
}

/** Caches the current page's HTML (after a client-side navigation the worker never saw it). */
export async function rememberPage(): Promise<void> {
  if (process.env.NODE_ENV !== "production" || !("caches" in window)) return;
  try {
    const cache = await caches.open(CACHE);
    const url = window.location.href.split("#")[0]!;
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) await cache.put(url, response);
  } catch {
    // offline already: whatever was cached before stays
  }
}
