import type { TxStepBroadcast } from "../protocol";
import type { MutationOutcome } from "./mutation-request";
import { findCard } from "./snapshot";
import type { ClientStore } from "./store";
import type { MoveTimeline, MoveTimelineEntry, PendingMutation } from "./types";

/** How many moves the inspector keeps (the newest). */
const KEEP = 5;

/**
 * SPEC TX-10 as this tab sees it: one timeline per move of a card, from the moment the tab sends
 * it (so an in-flight move shows at once, whatever the latency), through every step the server
 * tells (`tx:step`: the log's states, each shard's part, a coordinator crash, recovery's
 * decision), to the answer. A replay after a crash joins the same timeline (same card, same
 * mutationId) with its new transaction.
 */
export class Transactions {
  constructor(
    private readonly store: ClientStore,
    private readonly now: () => number,
  ) {}

  /** The tab sent (or re-sent) a move. */
  sent(m: PendingMutation): void {
    if (m.kind !== "move") return;
    this.touch(m.cardId, { mutationId: m.mutationId, fromBoardId: m.boardId, toBoardId: m.toBoardId }, { by: "tab", kind: "sent", attempt: m.attempts });
  }

  /** The server answered a move (or did not in time). */
  answered(m: PendingMutation, out: MutationOutcome): void {
    if (m.kind !== "move") return;
    const entry: MoveTimelineEntry =
      out.kind === "ok"
        ? { by: "tab", kind: "answer", ok: true, ...(out.txId ? { txId: out.txId } : {}) }
        : out.kind === "error"
          ? { by: "tab", kind: "answer", ok: false, code: out.error.code }
          : { by: "tab", kind: "no-answer", reason: out.kind };
    const outcome = out.kind === "ok" ? "moved" : out.kind === "error" ? "refused" : undefined;
    this.touch(m.cardId, { mutationId: m.mutationId, fromBoardId: m.boardId, toBoardId: m.toBoardId, ...(outcome ? { outcome } : {}) }, entry);
  }

  /** A step of a cross-shard move, told by the server to the boards involved. */
  step(s: TxStepBroadcast): void {
    const { txId, by, at, cardId, fromBoardId, toBoardId, shards } = s;
    const base = { by, at, txId };
    const entry: MoveTimelineEntry =
      s.kind === "log"
        ? { ...base, kind: "log", state: s.state }
        : s.kind === "part"
          ? { ...base, kind: "part", shard: s.shard, state: s.state }
          : { ...base, kind: "crash", after: s.after, recoveryAt: new Date(Date.parse(at) + s.recoveryInMs).toISOString() };
    this.touch(cardId, { fromBoardId, toBoardId, shards, txId }, entry);
  }

  private touch(
    cardId: string,
    info: { mutationId?: string; fromBoardId: string; toBoardId: string; shards?: string[]; txId?: string; outcome?: MoveTimeline["outcome"] },
    entry: MoveTimelineEntry,
  ): void {
    const list = this.store.get().moves;
    const open =
      (info.txId ? list.find((t) => t.txIds.includes(info.txId!)) : undefined) ??
      [...list].reverse().find((t) => t.cardId === cardId && t.outcome === undefined && (info.mutationId === undefined || t.mutationId === undefined || t.mutationId === info.mutationId));
    const at = entry.at ?? new Date(this.now()).toISOString();
    const boards = this.store.get().boards;
    const title = open?.title ?? findCard(boards, cardId)?.card.title ?? Object.values(boards).find((b) => b.confirmed[cardId])?.confirmed[cardId]?.title;
    const base: MoveTimeline = open ?? { cardId, ...(title !== undefined ? { title } : {}), fromBoardId: info.fromBoardId, toBoardId: info.toBoardId, startedAt: at, txIds: [], shards: [], entries: [] };
    const next: MoveTimeline = {
      ...base,
      ...(info.mutationId ? { mutationId: info.mutationId } : {}),
      ...(info.shards && base.shards.length === 0 ? { shards: info.shards } : {}),
      txIds: info.txId && !base.txIds.includes(info.txId) ? [...base.txIds, info.txId] : base.txIds,
      entries: [...base.entries, { ...entry, at }],
      ...(info.outcome ? { outcome: info.outcome } : {}),
    };
    const rest = list.filter((t) => t !== open);
    this.store.set({ moves: [...rest, next].slice(-KEEP) });
  }
}
