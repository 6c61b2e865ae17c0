import { writtenFields } from "./pending";
import type { ClientStore } from "./store";
import type { InspectorEvent, PendingMutation } from "./types";

/** How many events the inspector keeps (the newest). */
const MAX_EVENTS = 100;

/** Appends one line to the inspector's event log. */
export type Log = (direction: InspectorEvent["direction"], event: string, summary: string) => void;

/** A `Log` that appends to `events` in the store, stamped with `now`, keeping the newest MAX_EVENTS. */
export function inspectorLog(store: ClientStore, now: () => number): Log {
  return (direction, event, summary) => {
    const e: InspectorEvent = { at: new Date(now()).toISOString(), direction, event, summary };
    store.set({ events: [...store.get().events.slice(-(MAX_EVENTS - 1)), e] });
  };
}

/** Short inspector text for a mutation, e.g. `update c_1234 title v3`. */
export function describeMutation(m: PendingMutation): string {
  const written = writtenFields(m);
  const fields = written.length > 0 ? ` ${written.join(",")}` : "";
  const to = m.kind === "move" ? ` → ${m.toBoardId}` : "";
  return `${m.cardId.slice(0, 10)}${fields}${m.kind === "create" ? "" : ` v${m.baseVersion}`}${to}`;
}
