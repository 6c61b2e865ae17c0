import { comparePlaced } from "../../lib/client/positions";
import type { Card, FieldName, Policy, Status } from "../../lib/protocol";
import { decodeHlc } from "../../lib/sync/hlc";

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
    if (tag) seen.add(tag);
  }
  // Never cut: an over-long tag or too many tags are refused (card-draft.ts draftProblems, SPEC INPUT-4).
  return [...seen];
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

/** 24-hour time of day with seconds, e.g. 09:05:07 (the inspector's timeline). */
export function clockTimeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

/**
 * A hybrid logical clock reading for people: wall time with milliseconds, the logical counter
 * and (`withReplica`) the replica that stamped it, e.g. `09:05:07.123 +2 tab-1a2b3c4d`.
 */
export function hlcText(hlc: string | undefined, withReplica = true): string {
  if (!hlc) return "—";
  const h = decodeHlc(hlc);
  if (!h) return hlc;
  if (h.wall === 0) return `0 +${h.logical}${withReplica ? ` ${h.replica}` : ""}`;
  const d = new Date(h.wall);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return `${time} +${h.logical}${withReplica ? ` ${h.replica}` : ""}`;
}

export function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** Cards of one column in display order: by position, then id (SPEC POS-1, POS-2). */
export function sortCards(cards: Card[]): Card[] {
  return [...cards].sort(comparePlaced);
}

/** A card's marker while its local edit waits for the server: offline, it is not being sent at all. */
export function pendingMarkerText(offline: boolean): string {
  return offline ? "waiting to sync — offline" : "Syncing";
}

/** How many times an outbox write was sent, as the inspector says it. */
export function attemptsText(attempts: number): string {
  if (attempts === 0) return "not sent yet";
  return attempts === 1 ? "sent once" : `sent ×${attempts} (${attempts - 1} ${attempts === 2 ? "replay" : "replays"})`;
}
