/**
 * Client-made ids. `crypto.randomUUID` exists in Node ≥ 19 and in browsers, but browsers only
 * offer it in secure contexts (https or localhost), so a LAN http URL falls back to
 * `getRandomValues`, which every context has.
 */

/** A random RFC 4122 version-4 UUID string. */
export function uuid(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A mutation id: `m_<uuid>`, 38 characters of [A-Za-z0-9_-] (what the server's schema accepts). */
export function newMutationId(): string {
  return `m_${uuid()}`;
}

/** A card id made by the client (`c_<uuid>`), so offline edits can name a card before its create is acknowledged. */
export function newCardId(): string {
  return `c_${uuid()}`;
}
