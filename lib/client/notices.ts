import type { Card, Change, FieldName, Patch, Policy, Sibling } from "../protocol";
import { MVR_MAX_SIBLINGS } from "../sync/mvr";
import type { BoardExtrasMap } from "./board-extras";
import { uuid } from "./ids";
import type { ClientStore } from "./store";
import { writtenFields } from "./pending";
import type { Notice, NoticeMessage, PendingMutation, WriteSummary } from "./types";

const NOTICE_MS = 6_000;
/** How long an acknowledged lww write is remembered, to tell the person when someone newer replaces it. */
const RECENT_LWW_MS = 10_000;

export interface NoticesDeps {
  store: ClientStore;
  now: () => number;
  replicaId: string;
  /** The signed-in person: a newer edit by them came from another of their tabs (this tab's own writes never replace each other). */
  userId: string;
  /** Display names of the people the client has heard of, to name an editor. */
  names: Pick<BoardExtrasMap, "nameOf">;
}

/** How serious each notice is (the UI styles, and tests find, notices by it). */
const KIND: Record<NoticeMessage["code"], Notice["kind"]> = {
  "lww-replaced": "lww-replaced",
  "mvr-dropped": "info",
  "write-refused": "error",
  "write-conflict": "error",
  "write-set-aside": "error",
  "write-discarded": "info",
  "lease-lost": "error",
  "lease-at-risk": "error",
  "card-moved": "info",
  "card-gone": "error",
  "session-invalid": "error",
};

/**
 * When the client tells the person something in short-lived notices (as data: the UI words
 * them), and what it remembers to do so: (lww) the fields it wrote moments ago, so it can say
 * when someone's newer edit replaced one of them.
 */
export class Notices {
  private readonly recentLww = new Map<string, { hlc: string; at: number; value: unknown }>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: NoticesDeps) {}

  /** Adds a notice about `where`: removed after about 6 s, except one holding typing (`keepsTyping`), kept until dismissed. */
  add(where: { boardId: string; cardId?: string }, message: NoticeMessage): void {
    const { store, now } = this.deps;
    const about = { boardId: where.boardId, ...(where.cardId !== undefined ? { cardId: where.cardId } : {}) };
    const notice: Notice = { ...message, ...about, kind: KIND[message.code], id: uuid(), at: new Date(now()).toISOString() };
    store.set({ notices: [...store.get().notices, notice] });
    if (keepsTyping(message)) return; // the person's typing: kept until they dismiss it (dismiss)
    const t = setTimeout(() => {
      this.timers.delete(t);
      store.set({ notices: store.get().notices.filter((x) => x.id !== notice.id) });
    }, NOTICE_MS);
    this.timers.add(t);
  }

  /**
   * lww: an acknowledged update. Fields the server `ignored` already lost to a newer edit: tell
   * the person now. The others are remembered briefly, in case a newer edit replaces them.
   */
  lwwAcked(m: PendingMutation, policy: Policy | undefined, out: { card?: Card; ignored?: string[] }): void {
    if (policy !== "lww" || m.kind !== "update" || !m.hlc) return;
    const ignored = out.ignored ?? [];
    if (ignored.length > 0) {
      const writer = out.card?.updatedBy;
      const by = this.nameOf(m.boardId, writer);
      const write = typed(ignored, m.patch);
      this.add(m, { code: "lww-replaced", fields: ignored, by, ...(this.otherTab(writer) ? { otherTab: true } : {}), ...(write ? { write } : {}) });
    }
    for (const [f, value] of Object.entries(m.patch)) {
      if (!ignored.includes(f)) this.recentLww.set(`${m.cardId}:${f}`, { hlc: m.hlc, at: this.deps.now(), value });
    }
  }

  /**
   * mvr (SPEC MVR-5): the write displaced concurrent values it had not seen, because a field
   * keeps at most MVR_MAX_SIBLINGS: tell the person which, and that the card's history keeps them.
   */
  mvrAcked(m: PendingMutation, out: { dropped?: Partial<Record<FieldName, Sibling[]>> }): void {
    for (const [field, values] of Object.entries(out.dropped ?? {})) {
      if (!values?.length) continue;
      const by = [...new Set(values.map((v) => v.byName ?? this.nameOf(m.boardId, v.by)))];
      this.add(m, { code: "mvr-dropped", field, count: values.length, by, max: MVR_MAX_SIBLINGS });
    }
  }

  /** lww: someone's newer write replaced a field we wrote moments ago: tell the person. */
  lwwChanged(boardId: string, c: Change): void {
    const stamps = c.card?.hlc;
    if (!stamps || this.recentLww.size === 0) return;
    const now = this.deps.now();
    for (const [key, rec] of this.recentLww) if (now - rec.at > RECENT_LWW_MS) this.recentLww.delete(key);
    const replaced: string[] = [];
    const values: Patch = {};
    for (const [field, h] of Object.entries(stamps)) {
      const key = `${c.card!.id}:${field}`;
      const rec = this.recentLww.get(key);
      if (!rec || !h || h <= rec.hlc || h.endsWith(`:${this.deps.replicaId}`)) continue;
      this.recentLww.delete(key);
      replaced.push(field);
      Object.assign(values, { [field]: rec.value });
    }
    if (replaced.length > 0) {
      const write = typed(replaced, values);
      const message: NoticeMessage = {
        code: "lww-replaced",
        fields: replaced,
        by: this.nameOf(boardId, c.by),
        ...(this.otherTab(c.by) ? { otherTab: true } : {}),
        ...(write ? { write } : {}),
      };
      this.add({ boardId, cardId: c.card!.id }, message);
    }
  }

  /** Removes a notice the person dismissed. */
  dismiss(id: string): void {
    const { store } = this.deps;
    store.set({ notices: store.get().notices.filter((x) => x.id !== id) });
  }

  /** Stops the removal timers (on close). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** A newer write by the signed-in person: it came from their other tab (this tab's own never replace each other). */
  private otherTab(writer: string | undefined): boolean {
    return writer !== undefined && writer === this.deps.userId;
  }

  private nameOf(boardId: string, userId: string | undefined): string | null {
    return this.deps.names.nameOf(boardId, userId);
  }
}

/** A write as notices name it, with the values it set (kept so the person's typing is not lost). */
export function summarize(m: PendingMutation): WriteSummary {
  const values = m.kind === "update" ? m.patch : m.kind === "create" ? m.fields : undefined;
  return { kind: m.kind, fields: writtenFields(m), ...(values && Object.keys(values).length > 0 ? { values: { ...values } } : {}) };
}

/** The typed values of `fields` (SPEC LWW-4: what lost to a newer edit), as a notice keeps them; undefined when none were text the person set. */
function typed(fields: string[], values: Patch): WriteSummary | undefined {
  const kept = Object.fromEntries(Object.entries(values).filter(([f, v]) => fields.includes(f) && v !== undefined)) as Patch;
  const names = Object.keys(kept) as FieldName[];
  return names.length > 0 ? { kind: "update", fields: names, values: kept } : undefined;
}

/** The write a notice keeps the person's typing of, if any. */
export function keptWrite(message: NoticeMessage): WriteSummary | undefined {
  switch (message.code) {
    case "write-refused":
    case "write-set-aside":
    case "lww-replaced":
      return message.write?.values !== undefined ? message.write : undefined;
    default:
      return undefined;
  }
}

/** A notice holding what the person typed (a refused, set-aside or replaced write's values, SPEC OUTBOX-5, LWW-4): kept until dismissed. */
export function keepsTyping(message: NoticeMessage): boolean {
  return keptWrite(message) !== undefined;
}
