import type { Card, FieldName, WireError } from "../protocol";
import type { HybridClock } from "../sync/hlc";
import type { BoardExtrasMap } from "./board-extras";
import { receiveCard } from "./clock";
import type { Confirmations } from "./confirmations";
import type { Transport } from "./network";
import type { BoardSnapshots } from "./snapshot";
import type { ClientStore } from "./store";
import { uuid } from "./ids";
import { describeMutation, writeTrace, type Log } from "./inspector";
import { sendMutation, type MutationOutcome } from "./mutation-request";
import { summarize, type Notices } from "./notices";
import { backoffMs, failureAction, isPoison, PIPELINE_WINDOW, rebaseAfterAck, type Outbox } from "./outbox";
import type { Persistence } from "./persistence";
import { touchedBoards, writtenFields } from "./pending";
import type { Conflict, PendingMutation } from "./types";

/** A positive answer to a mutation. */
export type Acked = Extract<MutationOutcome, { kind: "ok" }>;

export interface OutboxSenderDeps {
  outbox: Outbox;
  persistence: Persistence;
  transport: Transport;
  /** Sends start only while `connection` is "online": connected and caught up first (SPEC OUTBOX-3); conflicts go here. */
  store: ClientStore;
  replicaId: string;
  /** Moves past the HLC stamps of cards in answers (SPEC LWW-2). */
  clock: HybridClock;
  ackTimeoutMs: number;
  log: Log;
  notices: Pick<Notices, "add">;
  snapshots: Pick<BoardSnapshots, "outboxChanged" | "pendingChanged">;
  /** The fencing token of this client's lease on a card goes with its writes (SPEC LOCK-3). */
  extras: Pick<BoardExtrasMap, "lockToken">;
  /** An ack was recorded and later writes rebased: notices, settling, views. */
  confirmations: Pick<Confirmations, "acked">;
  /** Told of every send and its outcome (the inspector's move timelines, SPEC TX-10). */
  observer?: { sent(m: PendingMutation): void; answered(m: PendingMutation, out: MutationOutcome): void };
}

/**
 * Sends the outbox, pipelined and in order (SPEC OUTBOX-8): up to PIPELINE_WINDOW writes in
 * flight, one per card, each emitted only after it was stored (SPEC OUTBOX-1), in outbox order.
 * A card's next write leaves once the previous one is answered (and rebased on its ack, OUTBOX-4),
 * so a conflict or refusal of a write is known before the card's later writes are sent. Answers
 * are handled as they come (SPEC OUTBOX-5): acks, conflicts, refusals; a retryable answer pauses
 * new sends for a backoff. A replay after a reconnect sends the same mutationIds again. A write
 * the server keeps failing on is set aside, so it cannot wedge the writes behind it (SPEC OUTBOX-7).
 */
export class OutboxSender {
  /** The writes in flight on the current connection: mutationId → the token of its send. */
  private readonly inflight = new Map<string, number>();
  private sendToken = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: OutboxSenderDeps) {}

  /** Sends every write that may go now (SPEC OUTBOX-8, OUTBOX-7), while online and not backing off. */
  pump(): void {
    if (this.retryTimer || !this.canSend()) return;
    for (const m of this.deps.outbox.heads(new Set(this.inflight.keys()))) {
      if (this.inflight.size >= PIPELINE_WINDOW) return;
      const token = ++this.sendToken;
      this.inflight.set(m.mutationId, token);
      void this.send(m.mutationId, token);
    }
  }

  /** Online (connected, and caught up: SPEC OUTBOX-3) and not closed. */
  private canSend(): boolean {
    const { transport, store } = this.deps;
    return !transport.closed && store.get().connection === "online" && transport.isConnected();
  }

  /** Whatever was in flight belongs to an old connection: its answers no longer drive the loop. */
  forgetInflight(): void {
    this.inflight.clear();
  }

  cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async send(mutationId: string, token: number): Promise<void> {
    const { outbox, log } = this.deps;
    // SPEC OUTBOX-1: durable before it leaves. Sends started together wait in order, so they
    // are emitted in outbox order.
    await this.deps.persistence.whenSaved(mutationId);
    const current = outbox.get(mutationId);
    if (this.inflight.get(mutationId) !== token || !current) {
      if (this.inflight.get(mutationId) === token) this.inflight.delete(mutationId);
      return this.pump();
    }
    const m: PendingMutation = { ...current, attempts: current.attempts + 1 };
    outbox.replace(m);
    this.deps.snapshots.pendingChanged();
    log("out", `card:${m.kind}`, `${describeMutation(m)}${m.attempts > 1 ? ` (replay #${m.attempts - 1})` : ""}`, writeTrace(m, "sent", { attempt: m.attempts }));
    this.deps.observer?.sent(m);
    const outcome = await sendMutation(this.deps.transport, m, this.deps.ackTimeoutMs, this.deps.extras.lockToken(m.cardId));
    this.deps.observer?.answered(m, outcome);
    const isCurrentSend = this.inflight.get(mutationId) === token;
    // A definitive answer (even one of an older connection) ends the write's flight: its card may go on.
    if (isCurrentSend || outcome.kind === "ok" || outcome.kind === "error") this.inflight.delete(mutationId);
    this.onOutcome(m, outcome, isCurrentSend);
    this.pump();
  }

  /**
   * SPEC OUTBOX-5. ok → acknowledged; CONFLICT → a Conflict for the person; definitive errors →
   * dropped with a notice; retryable errors and timeouts → kept and retried with backoff; a lost
   * ack (the connection dropped) → kept and replayed (same mutationId) after the reconnect.
   */
  private onOutcome(m: PendingMutation, out: MutationOutcome, isCurrentSend: boolean): void {
    const { log } = this.deps;
    const stillPending = this.deps.outbox.get(m.mutationId) !== undefined;
    const tag = `card:${m.kind}`;
    if (out.kind === "ok" || out.kind === "error") {
      if (!stillPending) return; // answered already (a replay raced a late ack): nothing to do twice
      if (out.kind === "ok") return this.onAck(m, out);
      const action = failureAction(out.error.code);
      log("in", tag, `${describeMutation(m)} → ${out.error.code}`, writeTrace(m, action === "retry" ? "retry" : "refused", { code: out.error.code }));
      if (action === "retry") return this.onRetryable(m, out.error);
      this.removePending(m);
      if (action === "conflict") return this.onConflict(m, out.error);
      this.deps.notices.add(m, { code: "write-refused", write: summarize(m), error: { code: out.error.code, message: out.error.message } });
      return;
    }
    if (!isCurrentSend || !stillPending) return;
    if (out.kind === "timeout") {
      log("local", tag, `${describeMutation(m)} → no ack in time, kept`, writeTrace(m, "retry"));
      this.scheduleRetry(m);
    }
  }

  /** Acknowledged: kept as an overlay until settled (SPEC OUTBOX-2); chained edits rebased (SPEC OUTBOX-4). */
  private onAck(m: PendingMutation, out: Acked): void {
    const { outbox, persistence } = this.deps;
    this.deps.log("in", `card:${m.kind}`, `${describeMutation(m)} → ok${out.seq !== undefined ? ` seq ${out.seq}` : ""}${out.card ? ` v${out.card.version}` : ""}${out.ignored?.length ? ` ignored ${out.ignored.join(",")}` : ""}`, writeTrace(m, "acked", {
      ...(out.seq !== undefined ? { seq: out.seq } : {}), ...(out.card ? { version: out.card.version } : {}),
      ...(out.batch !== undefined ? { batch: out.batch } : {}), ...(out.ignored?.length ? { ignored: out.ignored } : {}),
    }));
    outbox.ack(m.mutationId, out.seq);
    persistence.deleteMutation(m.mutationId);
    if (out.card) {
      receiveCard(this.deps.clock, out.card);
      for (const r of rebaseAfterAck(m, out.card, outbox.pending(), this.deps.replicaId)) {
        outbox.replace(r);
        persistence.putMutation(r);
      }
    }
    this.deps.confirmations.acked(m, out);
  }

  private onConflict(m: PendingMutation, error: WireError): void {
    const conflict = conflictOf(m, error);
    if (conflict) {
      receiveCard(this.deps.clock, conflict.theirs);
      const { store } = this.deps;
      store.set({ conflicts: [...store.get().conflicts, conflict] });
    } else {
      this.deps.notices.add(m, { code: "write-conflict", write: summarize(m) });
    }
  }

  /**
   * SPEC OUTBOX-5 / OUTBOX-7: a retryable answer keeps the write and retries it with backoff,
   * unless it is the POISON_AFTER-th INTERNAL answer: then the write is set aside (kept, shown,
   * not sent) with a notice, and sending goes on with the next write that does not wait for it.
   */
  private onRetryable(m: PendingMutation, error: WireError): void {
    if (error.code !== "INTERNAL") return this.scheduleRetry(m);
    const { outbox, persistence } = this.deps;
    const failures = (outbox.get(m.mutationId)?.failures ?? 0) + 1;
    const counted = { ...(outbox.get(m.mutationId) ?? m), failures };
    outbox.replace(counted);
    if (!isPoison(error.code, failures)) {
      persistence.putMutation(counted);
      return this.scheduleRetry(counted);
    }
    const aside = outbox.setAside(m.mutationId, { at: new Date().toISOString(), code: error.code, message: error.message })!;
    persistence.putMutation(aside);
    const held = outbox.heldBehind(m.mutationId).length;
    this.deps.log("local", `card:${m.kind}`, `${describeMutation(m)} → set aside after ${failures} ${error.code} answers${held ? `; ${held} later write(s) of this card wait behind it` : ""}`, writeTrace(m, "set-aside", { code: error.code }));
    this.deps.notices.add(m, { code: "write-set-aside", write: summarize(m), failures, error: error.code, heldBehind: held });
    this.deps.snapshots.outboxChanged(touchedBoards(m));
  }

  /** SPEC OUTBOX-7: the person retries a set-aside write: it goes back in its place, failures forgotten. */
  retry(mutationId: string): void {
    const m = this.deps.outbox.putBack(mutationId);
    if (!m) return;
    this.deps.persistence.putMutation(m);
    this.deps.log("local", `card:${m.kind}`, `${describeMutation(m)} → retried by the person`, writeTrace(m, "retried"));
    this.deps.snapshots.outboxChanged(touchedBoards(m));
    this.pump();
  }

  /**
   * SPEC OUTBOX-7: the person discards a set-aside write. The writes of its card held behind it
   * go ahead, except behind a discarded create: the card never existed, so they go too.
   */
  discard(mutationId: string): void {
    const m = this.deps.outbox.get(mutationId);
    if (!m?.setAside) return;
    const gone = [m, ...(m.kind === "create" ? this.deps.outbox.heldBehind(mutationId) : [])];
    for (const x of gone) {
      this.removePending(x);
      this.deps.log("local", `card:${x.kind}`, `${describeMutation(x)} → discarded by the person`, writeTrace(x, "discarded"));
    }
    this.deps.notices.add(m, { code: "write-discarded", write: summarize(m), alsoDiscarded: gone.length - 1 });
    this.deps.snapshots.pendingChanged();
    this.pump();
  }

  private removePending(m: PendingMutation): void {
    this.deps.outbox.remove(m.mutationId);
    this.deps.persistence.deleteMutation(m.mutationId);
    this.deps.snapshots.outboxChanged(touchedBoards(m));
  }

  private scheduleRetry(m: PendingMutation): void {
    if (this.retryTimer || this.deps.transport.closed) return;
    const delay = backoffMs(m.attempts);
    this.deps.log("local", `card:${m.kind}`, `retry in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delay);
  }
}

/** The conflict dialog's input (base / mine / theirs) for a refused update; undefined for other writes. */
function conflictOf(m: PendingMutation, error: WireError): Conflict | undefined {
  const details = error.details as { current?: Card; fields?: FieldName[] } | undefined;
  if (m.kind !== "update" || !details?.current) return undefined;
  return {
    id: uuid(),
    boardId: m.boardId,
    cardId: m.cardId,
    fields: details.fields ?? writtenFields(m),
    base: m.base ?? details.current,
    mine: m.patch,
    theirs: details.current,
  };
}
