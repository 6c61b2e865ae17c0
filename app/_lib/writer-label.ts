import type { Sibling } from "../../lib/protocol";
import { entry } from "../../lib/sync/vector-clock";

/** Who is looking: the signed-in person and this tab's replica id (SPEC REPLICA-1). */
export interface Viewer {
  userId: string | undefined;
  replicaId: string | undefined;
}

/** A write's author: the person, and the replica (tab) that made it when the data says so. */
export interface Writer {
  userId: string;
  replicaId?: string;
}

/**
 * How this tab names the author of a write: "this tab" for its own replica, "your other tab" for
 * another replica of the same person (each tab is its own replica, so one person can conflict
 * with themselves), else the person's name. Never "Alice (you)" for a write this tab did not make.
 */
export function writerLabel(viewer: Viewer, writer: Writer, nameOf: (userId: string) => string): string {
  if (writer.replicaId !== undefined && writer.replicaId === viewer.replicaId) return "this tab";
  if (viewer.userId !== undefined && writer.userId === viewer.userId) return "your other tab";
  return nameOf(writer.userId);
}

/** The label at the start of a sentence. */
export function capitalized(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/**
 * The replica that wrote an mvr value: the one entry of its clock above its context (the fresh
 * dot, SPEC MVR-1). Undefined when the value carries no context (an optimistic local value).
 */
export function siblingReplica(s: Pick<Sibling, "clock" | "seen">): string | undefined {
  if (!s.seen) return undefined;
  const seen = s.seen;
  return Object.keys(s.clock).find((r) => entry(s.clock, r) > entry(seen, r));
}

/** The author of an mvr sibling, as this tab names it. */
export function siblingWriterLabel(viewer: Viewer, s: Sibling, nameOf: (userId: string) => string): string {
  const replicaId = siblingReplica(s);
  const label = writerLabel(viewer, { userId: s.by, ...(replicaId !== undefined ? { replicaId } : {}) }, nameOf);
  return label === nameOf(s.by) && s.byName ? s.byName : label;
}
