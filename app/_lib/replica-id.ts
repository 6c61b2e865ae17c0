const KEY = "concord.replicaId";

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
  try {
    const existing = window.sessionStorage.getItem(KEY);
    if (existing && /^tab-[0-9a-f]{8}$/.test(existing)) return existing;
    const id = `tab-${randomHex(4)}`;
    window.sessionStorage.setItem(KEY, id);
    return id;
  } catch {
    return `tab-${randomHex(4)}`;
  }
}
