import type { Card } from "../../lib/protocol";

export type DraftField = "title" | "body" | "tags" | "estimate" | "status";
export type Draft = Record<DraftField, string>;

/** The editor's text form of a card's editable fields. */
export function draftOf(card: Card): Draft {
  return {
    title: card.title,
    body: card.body,
    tags: Array.isArray(card.tags) ? card.tags.join(", ") : "",
    estimate: card.estimate === null ? "" : String(card.estimate),
    status: card.status,
  };
}

/** A field value (for example an mvr sibling's) as the editor's text. */
export function textOf(field: DraftField, value: unknown): string {
  if (field === "tags") return Array.isArray(value) ? value.join(", ") : "";
  if (value === null || value === undefined) return "";
  return String(value);
}

/** The estimate box's value: null when empty, undefined when not a whole number. */
export function parseEstimate(text: string): number | null | undefined {
  if (!text.trim()) return null;
  const n = Number(text);
  return Number.isInteger(n) && Math.abs(n) <= 1_000_000_000 ? n : undefined;
}
