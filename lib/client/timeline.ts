import type { Trace, WriteTrace } from "./inspector";
import type { InspectorEvent } from "./types";

/**
 * The inspector's timeline (SPEC INSP-1): pure logic that turns the event log into rows, one
 * per thing that happened. A write is one row that unfolds its life: queued, sent, the server's
 * answer (commit seq and batch, or the stored first result of a replay), the broadcast seen by
 * this tab. A reconnect is one row from the lost socket to the new connection; a two-phase
 * commit one row per transaction. Rows hold ids; the UI names them.
 *
 * Adding a row kind: add its trace to `Trace` (lib/client/inspector.ts), log it, and give it a
 * `RowKind` in ROW_KINDS: which row it belongs to (`key`), the row it opens (`open`) and what it
 * adds to it (`apply`).
 */

export const CATEGORIES = ["writes", "reads", "presence", "locks", "transactions", "network"] as const;
export type Category = (typeof CATEGORIES)[number];

/** Presence changes are noise most of the time: hidden until asked for. */
export const DEFAULT_FILTERS: Readonly<Record<Category, boolean>> = {
  writes: true, reads: true, presence: false, locks: true, transactions: true, network: true,
};

export type Tone = "neutral" | "progress" | "ok" | "warn" | "error";

export interface Step {
  at: string;
  label: string;
  detail?: string;
  tone: Tone;
}

/** A write row's facts (kind "write"). */
export interface WriteFacts {
  mutationId: string;
  kind: WriteTrace["kind"] | "remote";
  fields: string[];
  /** Times this tab sent it (0: not sent yet). */
  attempts: number;
  /** The server answered this tab's send, whether or not the answer arrived. */
  answered: boolean;
  /** The server's answer was the stored first result of an earlier send (SPEC IDEM-1). */
  stored: boolean;
  /** The change the write made was seen by this tab (broadcast or catch-up). */
  seen: boolean;
  /** The change was seen before the latest send: that send can only be answered its stored result. */
  seenBeforeSend: boolean;
  seq?: number;
}

export interface TimelineRow {
  key: string;
  kind: Trace["type"];
  category: Category;
  /** When the row began and when it last changed (ISO). */
  at: string;
  updatedAt: string;
  /** Whom and what the row is about (ids; the UI names them). */
  subject: { boardId?: string; cardId?: string; toBoardId?: string; userId?: string };
  /** What happened, without names: "update title", "socket killed". */
  title: string;
  status: { label: string; tone: Tone };
  steps: Step[];
  write?: WriteFacts;
  /** Card titles known from events, for cards this tab no longer holds. */
  titleHint?: string;
}

export interface Timeline {
  /** Oldest first. */
  rows: TimelineRow[];
}

/** What row kinds share while one timeline is built. */
export interface RowContext {
  /** Rows still open per purpose (a reconnect in progress, a request waiting for its answer). */
  open: Map<string, string>;
  rows: Map<string, TimelineRow>;
}

export interface RowKind<T extends Trace> {
  /** The key of the row `t` belongs to: an existing row's to extend it, a new one to open one. `n` is unique per event. */
  key(t: T, e: InspectorEvent, ctx: RowContext, n: number): string;
  open(t: T, e: InspectorEvent): Pick<TimelineRow, "category" | "title" | "subject" | "status"> & Partial<Pick<TimelineRow, "write">>;
  apply(row: TimelineRow, t: T, e: InspectorEvent, ctx: RowContext): void;
}

type Kinds = { [K in Trace["type"]]: RowKind<Extract<Trace, { type: K }>> };

function step(row: TimelineRow, e: InspectorEvent, label: string, tone: Tone, detail?: string): void {
  row.steps.push({ at: e.at, label, tone, ...(detail ? { detail } : {}) });
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function writeTitle(kind: WriteTrace["kind"], fields: string[]): string {
  if (kind === "update") return `update ${fields.join(", ")}`;
  return kind;
}

const write: RowKind<WriteTrace> = {
  key: (t) => `m:${t.mutationId}`,
  open: (t) => ({
    category: "writes",
    title: writeTitle(t.kind, t.fields),
    subject: { boardId: t.boardId, cardId: t.cardId, ...(t.toBoardId ? { toBoardId: t.toBoardId } : {}) },
    status: { label: "queued", tone: "neutral" },
    write: { mutationId: t.mutationId, kind: t.kind, fields: t.fields, attempts: 0, answered: false, stored: false, seen: false, seenBeforeSend: false },
  }),
  apply(row, t, e) {
    const w = row.write!;
    if (w.kind === "remote") {
      // Its change arrived before this tab logged the write (it cannot, but stay sound): it is ours.
      w.kind = t.kind;
      w.fields = t.fields;
      row.title = writeTitle(t.kind, t.fields);
    }
    if (t.title !== undefined) row.titleHint = t.title;
    switch (t.step) {
      case "queued":
        step(row, e, "queued", "neutral", "stored in the outbox before it is sent");
        row.status = { label: "queued", tone: "neutral" };
        return;
      case "sent": {
        w.attempts = t.attempt ?? w.attempts + 1;
        w.seenBeforeSend = w.seen;
        const replay = w.attempts > 1;
        step(row, e, replay ? `replayed (send #${w.attempts})` : "sent", "progress", replay ? "the same mutationId again, after a reconnect" : undefined);
        row.status = { label: replay ? "replayed" : "sent", tone: "progress" };
        return;
      }
      case "ack-dropped":
        w.answered = true;
        if (t.seq !== undefined) w.seq = t.seq;
        step(row, e, "ack lost", "warn", `the server answered${t.seq !== undefined ? ` (seq ${t.seq})` : ""}; the simulator dropped the answer and reconnects`);
        row.status = { label: "ack lost", tone: "warn" };
        return;
      case "acked": {
        // A replay of a write the server had already decided (its answer was lost, or its change
        // was seen before this send) can only be answered its stored first result (IDEM-1).
        const stored = w.attempts > 1 && (w.answered || w.seenBeforeSend);
        w.stored = stored;
        w.answered = true;
        if (t.seq !== undefined) w.seq = t.seq;
        const at = t.seq !== undefined ? `seq ${t.seq}` : "";
        const batch = t.batch !== undefined ? `in a batch of ${plural(t.batch, "write")}` : "";
        const version = t.version !== undefined ? `v${t.version}` : "";
        const ignored = t.ignored?.length ? `ignored ${t.ignored.join(", ")}: a newer value wins` : "";
        if (stored) {
          step(row, e, "stored result", "ok", [`the server answered the first result (${at || "as stored"}${batch ? `, committed ${batch}` : ""}) and applied nothing again`, version].filter(Boolean).join(" · "));
          row.status = { label: "stored result", tone: "ok" };
        } else {
          step(row, e, "acknowledged", "ok", [[at && `committed at ${at}`, batch].filter(Boolean).join(" "), version, ignored].filter(Boolean).join(" · "));
          row.status = { label: t.ignored?.length && t.kind === "update" && t.ignored.length >= t.fields.length ? "ignored" : "acknowledged", tone: "ok" };
        }
        return;
      }
      case "refused":
        w.answered = true;
        step(row, e, `refused: ${t.code ?? "error"}`, "error", t.code === "CONFLICT" ? "changed by someone else since the edit began" : undefined);
        row.status = { label: t.code ?? "refused", tone: "error" };
        return;
      case "retry":
        step(row, e, t.code ? `${t.code}: kept, will retry` : "no answer in time: kept, will retry", "warn");
        row.status = { label: "retrying", tone: "warn" };
        return;
      case "set-aside":
        step(row, e, `set aside after ${t.code ?? "errors"}`, "error", "not sent again until retried");
        row.status = { label: "set aside", tone: "error" };
        return;
      case "retried":
        step(row, e, "retried by the person", "progress");
        row.status = { label: "queued", tone: "neutral" };
        return;
      case "discarded":
        step(row, e, "discarded by the person", "neutral");
        row.status = { label: "discarded", tone: "neutral" };
        return;
    }
  },
};

type ChangeTrace = Extract<Trace, { type: "change" }>;
const change: RowKind<ChangeTrace> = {
  key: (t) => `m:${t.mutationId}`,
  // A row opened by a change is a write of another replica (another person, or another tab).
  open: (t) => ({
    category: "writes",
    title: t.deleted ? "delete" : "change",
    subject: { boardId: t.boardId, cardId: t.cardId, userId: t.by },
    status: { label: "seen", tone: "ok" },
    write: { mutationId: t.mutationId, kind: "remote", fields: [], attempts: 0, answered: true, stored: false, seen: false, seenBeforeSend: false },
  }),
  apply(row, t, e) {
    if (t.title !== undefined && row.titleHint === undefined) row.titleHint = t.title;
    if (t.dropped) {
      step(row, e, `broadcast of seq ${t.seq} dropped by the simulator`, "warn", "the gap is found and caught up");
      return;
    }
    const w = row.write!;
    w.seen = true;
    w.seq ??= t.seq;
    row.subject.userId ??= t.by;
    step(row, e, t.catchUp ? `caught up: seq ${t.seq}` : `broadcast seen: seq ${t.seq}`, "ok", t.version !== undefined ? `v${t.version}` : t.deleted ? "card deleted" : undefined);
    if (w.kind === "remote") row.status = { label: `seq ${t.seq}`, tone: "ok" };
  },
};

type NetworkTrace = Extract<Trace, { type: "network" }>;
const NETWORK_TITLES: Partial<Record<NetworkTrace["what"], string>> = {
  killed: "socket killed", offline: "offline (simulator)", disconnected: "disconnected", refused: "connection refused", connected: "connected",
};
const network: RowKind<NetworkTrace> = {
  // One row from the lost connection to the next one; `hello` joins the latest row.
  key(t, _e, ctx, n) {
    const open = ctx.open.get("network");
    if (open) return open;
    if (t.what === "hello" || t.what === "online") return ctx.open.get("network:last") ?? `net:${n}`;
    return `net:${n}`;
  },
  open: (t) => ({ category: "network", title: NETWORK_TITLES[t.what] ?? t.what, subject: {}, status: { label: t.what, tone: "neutral" } }),
  apply(row, t, e, ctx) {
    ctx.open.set("network:last", row.key);
    switch (t.what) {
      case "killed":
        step(row, e, "socket killed by the simulator", "warn");
        row.status = { label: "reconnecting…", tone: "warn" };
        ctx.open.set("network", row.key);
        return;
      case "offline":
        step(row, e, "offline: the simulator holds the socket down", "warn");
        row.status = { label: "offline", tone: "warn" };
        ctx.open.set("network", row.key);
        return;
      case "online":
        step(row, e, "online again (simulator)", "progress");
        return;
      case "disconnected":
        step(row, e, "disconnected", "warn", t.detail);
        if (row.status.tone !== "warn") row.status = { label: "reconnecting…", tone: "warn" };
        ctx.open.set("network", row.key);
        return;
      case "refused":
        step(row, e, "connection refused", "error", t.detail);
        row.status = { label: "refused", tone: "error" };
        return;
      case "connected": {
        const reconnect = row.steps.length > 0;
        step(row, e, reconnect ? "reconnected" : "connected", "ok", "catch up, then replay the outbox");
        row.status = { label: reconnect ? "reconnected" : "connected", tone: "ok" };
        if (reconnect && row.title === "disconnected") row.title = "reconnect";
        ctx.open.delete("network");
        return;
      }
      case "hello":
        step(row, e, `hello from ${t.nodeId ?? "the node"}`, "ok", t.detail);
        return;
    }
  },
};

type RequestTrace = Extract<Trace, { type: "request" }>;
const requestKey = (t: RequestTrace) => `request:${t.event}:${t.boardId ?? ""}:${t.cardId ?? ""}`;
const request: RowKind<RequestTrace> = {
  // The answer joins the request it answers (the latest one of that event and subject still open).
  // A lease's renewals (the client renews while the editor is open) share one row per card until
  // another lease request for that card.
  key(t, e, ctx, n) {
    if (e.direction !== "out") return ctx.open.get(requestKey(t)) ?? `r:${n}`;
    if (t.event.startsWith("lock:") && t.cardId) {
      if (t.event !== "lock:renew") ctx.open.delete(`renewals:${t.cardId}`);
      else return ctx.open.get(`renewals:${t.cardId}`) ?? `r:${n}`;
    }
    return `r:${n}`;
  },
  open: (t) => ({
    category: t.event.startsWith("lock:") ? "locks" : "reads",
    title: t.event,
    subject: { ...(t.boardId ? { boardId: t.boardId } : {}), ...(t.cardId ? { cardId: t.cardId } : {}) },
    status: { label: "sent", tone: "progress" },
  }),
  apply(row, t, e, ctx) {
    if (e.direction === "out") {
      step(row, e, "sent", "progress", t.answer);
      ctx.open.set(requestKey(t), row.key);
      if (t.event === "lock:renew" && t.cardId) {
        ctx.open.set(`renewals:${t.cardId}`, row.key);
        const sent = row.steps.filter((s) => s.label === "sent").length;
        if (sent > 1) row.title = `lock:renew ×${sent}`;
      }
      return;
    }
    ctx.open.delete(requestKey(t));
    const failed = t.answer !== undefined && /^[A-Z_]+$/.test(t.answer);
    step(row, e, failed ? `refused: ${t.answer}` : "answered", failed ? "error" : "ok", failed ? undefined : t.answer);
    row.status = { label: failed ? t.answer! : "ok", tone: failed ? "error" : "ok" };
  },
};

type PresenceTrace = Extract<Trace, { type: "presence" }>;
const presence: RowKind<PresenceTrace> = {
  key: (_t, _e, _ctx, n) => `p:${n}`,
  open: (t) => ({
    category: "presence",
    title: t.delta ? [t.users.length ? `${t.users.join(", ")} came` : "", t.left ? `${plural(t.left, "person")} left` : ""].filter(Boolean).join(", ") || "presence" : `${plural(t.total, "person")} here`,
    subject: { boardId: t.boardId },
    status: { label: `${t.total} here`, tone: "neutral" },
  }),
  apply: (row, t, e) => step(row, e, "presence", "neutral", t.delta ? undefined : t.users.join(", ")),
};

type LockTrace = Extract<Trace, { type: "lock" }>;
const lock: RowKind<LockTrace> = {
  // One row per grant: its renewals (same holder, same token) extend it.
  key: (t, _e, _ctx, n) => (t.holder ? `l:${t.cardId}:${t.holder.id}:${t.token}` : `l:${n}`),
  open: (t) => ({
    category: "locks",
    title: t.holder ? "lease granted" : "lease ended",
    subject: { boardId: t.boardId, cardId: t.cardId, ...(t.holder ? { userId: t.holder.id } : {}) },
    status: t.holder ? { label: `token ${t.token}`, tone: "ok" } : { label: "free", tone: "neutral" },
  }),
  apply: (row, t, e) =>
    step(row, e, !t.holder ? "released or expired" : row.steps.length ? "renewed" : `held, token ${t.token}`, t.holder ? "ok" : "neutral", t.expiresAt ? `until ${t.expiresAt.slice(11, 19)}` : undefined),
};

type TxTrace = Extract<Trace, { type: "tx" }>;
const tx: RowKind<TxTrace> = {
  key: (t) => `tx:${t.txId}`,
  open: () => ({ category: "transactions", title: "two-phase commit", subject: {}, status: { label: "preparing", tone: "progress" } }),
  apply(row, t, e) {
    if (t.step) {
      // SPEC TX-10: one step (a shard's part, the crash, recovery's work); a crash leaves the move in doubt.
      step(row, e, t.step.label, t.step.crash || t.step.by === "recovery" ? "warn" : "progress", t.step.by);
      if (t.step.crash) row.status = { label: "in doubt", tone: "warn" };
      return;
    }
    const tone: Tone = t.phase === "committed" ? "ok" : t.phase === "aborted" ? "error" : "progress";
    step(row, e, t.phase, tone, `shards ${t.shards.join(", ")}`);
    row.status = { label: t.phase, tone };
  },
};

/** Every row kind, by the trace type that feeds it. */
export const ROW_KINDS: Kinds = { write, change, network, request, presence, lock, tx };

/** Builds the timeline from the event log (oldest first). Events without a trace are not shown. */
export function buildTimeline(events: readonly InspectorEvent[]): Timeline {
  const ctx: RowContext = { open: new Map(), rows: new Map() };
  events.forEach((e, n) => {
    const t = e.trace;
    if (!t) return;
    const kind = ROW_KINDS[t.type] as RowKind<Trace>;
    const key = kind.key(t, e, ctx, n);
    let row = ctx.rows.get(key);
    if (!row) {
      row = { key, kind: t.type, at: e.at, updatedAt: e.at, steps: [], ...kind.open(t, e) };
      ctx.rows.set(key, row);
    }
    kind.apply(row, t, e, ctx);
    row.updatedAt = e.at;
  });
  return { rows: [...ctx.rows.values()] };
}

/** The rows whose category is on. */
export function filterRows(rows: readonly TimelineRow[], filters: Readonly<Record<Category, boolean>>): TimelineRow[] {
  return rows.filter((r) => filters[r.category]);
}
