import { LIMITS, personFieldsSchema, type Card } from "../../lib/protocol";
import { parseTags } from "./format";

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

/** The estimate box's value: null when empty, undefined when the schema refuses it (not a whole number, negative, too big). */
export function parseEstimate(text: string): number | null | undefined {
  if (!text.trim()) return null;
  const n = Number(text);
  return personFieldsSchema.shape.estimate.safeParse(n).success ? n : undefined;
}

const S = personFieldsSchema.shape;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * SPEC INPUT-4: why each of `fields` of a draft cannot be saved, decided by the protocol's own
 * schema (`personFieldsSchema`: the wire's limits and a non-blank title), worded for people.
 * Empty when all can be saved. Composer and editor use this one check; nothing is cut to fit.
 */
export function draftProblems(d: Partial<Draft>, fields: DraftField[]): Partial<Record<DraftField, string>> {
  const out: Partial<Record<DraftField, string>> = {};
  for (const f of fields) {
    const v = d[f] ?? "";
    if (f === "title" && !S.title.safeParse(v).success) {
      out.title = !v.trim() ? "A card needs a title." : v.length > LIMITS.title ? `The title has ${v.length} characters; the most is ${LIMITS.title}.` : "The title holds characters that cannot be stored.";
    } else if (f === "body" && !S.body.safeParse(v).success) {
      out.body = v.length > LIMITS.body ? `The description has ${v.length} characters; the most is ${LIMITS.body}.` : "The description holds characters that cannot be stored.";
    } else if (f === "tags") {
      const tags = parseTags(v);
      if (!S.tags.safeParse(tags).success) {
        const long = tags.find((t) => t.length > LIMITS.tag);
        out.tags = long
          ? `The tag “${long.length > 24 ? `${long.slice(0, 24)}…` : long}” has ${long.length} characters; a tag may have ${LIMITS.tag}.`
          : tags.length > LIMITS.tags
            ? `${plural(tags.length, "tag")}; a card may have ${LIMITS.tags}.`
            : "A tag holds characters that cannot be stored.";
      }
    } else if (f === "estimate" && parseEstimate(v) === undefined) {
      out.estimate = "The estimate must be a whole number, 0 or more.";
    }
  }
  return out;
}
