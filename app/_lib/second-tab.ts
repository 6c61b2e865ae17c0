/**
 * Opens `url` (a board) in a second window beside this one: on the right half of the screen
 * where the browser allows positioned windows, else an ordinary tab. `noopener` gives it a fresh
 * sessionStorage, so it is its own replica with its own replica id from the start (SPEC REPLICA-1).
 */
export function openSecondTab(url: string): void {
  const s = window.screen as Screen & { availLeft?: number; availTop?: number };
  const width = Math.floor(s.availWidth / 2);
  const features = `noopener,popup,left=${(s.availLeft ?? 0) + width},top=${s.availTop ?? 0},width=${width},height=${s.availHeight}`;
  window.open(url, "_blank", features);
}
