import type { Change, TxPhase } from "../protocol";
import { writtenFields } from "./pending";
import type { ClientStore } from "./store";
import type { InspectorEvent, PendingMutation } from "./types";

/** How many events the inspector keeps (the newest). */
const MAX_EVENTS = 400;

/** The steps of a write's life the client sees (SPEC INSP-1). */
export type WriteStep =
  /** Stored in the outbox (SPEC OUTBOX-1). */
  | "queued"
  /** Emitted; `attempt` counts the sends (more than 1: a replay, SPEC OUTBOX-3). */
  | "sent"
  /** The simulator threw the server's answer away (`seq` is what it said). */
  | "ack-dropped"
  /** The server's answer: `seq`, `version`, `batch` (IDEM-3), `ignored`. */
  | "acked"
  /** A definitive refusal (`code`), CONFLICT included. */
  | "refused"
  /** A retryable answer (`code`) or no answer in time; the write stays. */
  | "retry"
  | "set-aside"
  | "retried"
  | "discarded";

/** One step of one of this tab's writes. */
export interface WriteTrace {
  type: "write";
  step: WriteStep;
  mutationId: string;
  kind: PendingMutation["kind"];
  boardId: string;
  cardId: string;
  fields: string[];
  /** The title the write sets, if it sets one (so the timeline can name a card it no longer has). */
  title?: string;
  toBoardId?: string;
  attempt?: number;
  seq?: number;
  version?: number;
  batch?: number;
  ignored?: string[];
  code?: string;
}

/**
 * What an inspector event means, as data (SPEC INSP-1): the timeline (lib/client/timeline.ts)
 * groups these into rows; the free-text summary stays for the raw log.
 */
export type Trace =
  | WriteTrace
  /** A change this tab applied or received (live or in a catch-up), or one the simulator dropped. */
  | { type: "change"; boardId: string; seq: number; cardId: string; mutationId: string; by: string; deleted: boolean; version?: number; title?: string; dropped?: boolean; catchUp?: boolean }
  /** The connection: `killed` and `offline` come from the simulator. */
  | { type: "network"; what: "connected" | "disconnected" | "killed" | "offline" | "online" | "refused" | "hello"; detail?: string; nodeId?: string }
  /** A plain request (board:join, card:history, lock:acquire, …): `out` when sent, `in` with its answer. */
  | { type: "request"; event: string; boardId?: string; cardId?: string; answer?: string }
  /** Who is on a board (`total`), or with `delta` who came (`users`) and how many left. */
  | { type: "presence"; boardId: string; users: string[]; total: number; left?: number; delta?: boolean }
  | { type: "lock"; boardId: string; cardId: string; holder?: { id: string; name: string }; token?: number; expiresAt?: string }
  /** A phase of a cross-shard move (`tx`), or with `step` one step of it (`tx:step`, SPEC TX-10: a shard's part, a crash, recovery). */
  | { type: "tx"; txId: string; phase: TxPhase; shards: string[]; step?: { label: string; by: "coordinator" | "recovery"; crash?: boolean } };

/** Appends one line to the inspector's event log, with what it means (`trace`) when known. */
export type Log = (direction: InspectorEvent["direction"], event: string, summary: string, trace?: Trace) => void;

/**
 * A `Log` that appends to `events` in the store, stamped with `now`, keeping the newest
 * MAX_EVENTS. When full, the oldest presence event goes first (presence is the noise on a busy
 * board), then the oldest event.
 */
export function inspectorLog(store: ClientStore, now: () => number): Log {
  return (direction, event, summary, trace) => {
    const e: InspectorEvent = { at: new Date(now()).toISOString(), direction, event, summary, ...(trace ? { trace } : {}) };
    store.set({ events: appendEvent(store.get().events, e, MAX_EVENTS) });
  };
}

/** `events` with `e` added, at most `max` long: the oldest presence event is dropped first, else the oldest (pure). */
export function appendEvent(events: readonly InspectorEvent[], e: InspectorEvent, max: number): InspectorEvent[] {
  const next = [...events, e];
  while (next.length > max) {
    const presence = next.findIndex((x) => x.trace?.type === "presence");
    next.splice(presence >= 0 && presence < next.length - 1 ? presence : 0, 1);
  }
  return next;
}

/** Short inspector text for a mutation, e.g. `update c_1234 title v3`. */
export function describeMutation(m: PendingMutation): string {
  const written = writtenFields(m);
  const fields = written.length > 0 ? ` ${written.join(",")}` : "";
  const to = m.kind === "move" ? ` → ${m.toBoardId}` : "";
  return `${m.cardId.slice(0, 10)}${fields}${m.kind === "create" ? "" : ` v${m.baseVersion}`}${to}`;
}

/** The trace of a step of `m`'s life, with whatever the step adds. */
export function writeTrace(m: PendingMutation, step: WriteStep, more: Partial<WriteTrace> = {}): WriteTrace {
  const fields = writtenFields(m);
  const values = m.kind === "create" ? m.fields : m.kind === "update" ? m.patch : undefined;
  const title = typeof values?.title === "string" ? values.title : undefined;
  return {
    type: "write", step, mutationId: m.mutationId, kind: m.kind, boardId: m.boardId, cardId: m.cardId, fields,
    ...(title !== undefined ? { title } : {}), ...(m.kind === "move" ? { toBoardId: m.toBoardId } : {}), ...more,
  };
}

/** The trace of a change this tab received (`catchUp`: in a board:join answer). */
export function changeTrace(c: Change, catchUp = false): Trace {
  return {
    type: "change", boardId: c.boardId, seq: c.seq, cardId: c.cardId ?? c.card?.id ?? "", mutationId: c.mutationId, by: c.by,
    deleted: c.type === "card.delete", ...(c.card ? { version: c.card.version, title: c.card.title } : {}), ...(catchUp ? { catchUp } : {}),
  };
}
