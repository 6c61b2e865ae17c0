import type { Card, FieldName, Policy, Status } from "../../lib/protocol";

export const STATUSES: readonly Status[] = ["todo", "doing", "done"];

export const STATUS_LABEL: Record<Status, string> = { todo: "To do", doing: "Doing", done: "Done" };

export const POLICY_LABEL: Record<Policy, string> = { occ: "OCC", lww: "LWW", mvr: "MVR" };

export const POLICY_SUMMARY: Record<Policy, string> = {
  occ: "Optimistic concurrency: a stale edit to the same field asks you to resolve a conflict.",
  lww: "Last writer wins per field, ordered by hybrid logical clocks.",
  mvr: "Concurrent edits are kept side by side until someone picks one.",
};

export const FIELD_LABEL: Record<FieldName, string> = {
  title: "Title",
  body: "Description",
  status: "Status",
  position: "Position",
  tags: "Tags",
  estimate: "Estimate",
};

/** What the person reads for the failures lib/client itself reports (RequestError codes it makes). */
const CLIENT_FAILURE_TEXT: Record<string, string> = {
  OFFLINE: "You are offline; try again once you are back online.",
  TIMEOUT: "The server did not answer in time; try again.",
  CLOSED: "This tab has closed its connection; reload the page.",
};

/** A readable message for anything a client call rejects with. */
export function errorMessage(err: unknown): string {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === "string" && Object.hasOwn(CLIENT_FAILURE_TEXT, code)) return CLIENT_FAILURE_TEXT[code]!;
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "object" && err !== null) {
    const e = err as { message?: unknown; code?: unknown };
    if (typeof e.message === "string") return e.message;
    if (typeof e.code === "string") return e.code;
  }
  return String(err);
}

/** Shows any field value as text (tags joined, null estimate as a dash). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "(no tags)";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(",")) {
    const tag = raw.trim();
    if (tag) seen.add(tag.slice(0, 32));
  }
  return [...seen].slice(0, 20);
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  if (parts.length === 1) return parts[0].slice(0, 2);
  return (parts[0][0] ?? "") + (parts[parts.length - 1][0] ?? "");
}

const AVATAR_COLORS = ["#4656e0", "#0f7d6b", "#b4471b", "#8a3fb8", "#1e63b8", "#a3326d", "#5b6b12", "#c0392b", "#0e7490", "#7c4d12", "#4338ca", "#be185d"];

/** A stable colour per user id. */
export function avatarColor(id: string): string {
  // FNV-1a: spreads similar ids (same prefix) over the palette.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length];
}

export function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** Cards of one column in display order. */
export function sortCards(cards: Card[]): Card[] {
  return [...cards].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : a.id < b.id ? -1 : 1));
}

/** A position after every existing one (time-based, so appends from many tabs stay ordered). */
export function nextPosition(cards: Card[]): string {
  const stamp = `t${Date.now().toString(36)}`;
  const last = cards.reduce((max, c) => (c.position > max ? c.position : max), "");
  return stamp > last ? stamp : `${last}0`;
}

/** A card's marker while its local edit waits for the server: offline, it is not being sent at all. */
export function pendingMarkerText(offline: boolean): string {
  return offline ? "waiting to sync — offline" : "Syncing";
}

/** How many times an outbox write was sent, as the inspector says it. */
export function attemptsText(attempts: number): string {
  return attempts === 0 ? "not sent yet" : `×${attempts}`;
}
