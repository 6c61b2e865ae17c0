import type { Card, Fields, Patch, Policy } from "../protocol";
import type { HybridClock } from "../sync/hlc";
import { newCardId, newMutationId } from "./ids";
import { describeMutation, writeTrace, type Log } from "./inspector";
import type { Notices } from "./notices";
import type { DistributiveOmit, Outbox } from "./outbox";
import type { OutboxSender } from "./outbox-sender";
import { touchedBoards } from "./pending";
import type { Persistence } from "./persistence";
import type { Replicas } from "./replicas";
import { findCard, type BoardSnapshots } from "./snapshot";
import type { ClientStore } from "./store";
import type { PendingMutation, PendingUpdate } from "./types";
import { wellFormedPatch } from "./well-formed";

export interface LocalWritesDeps {
  outbox: Outbox;
  persistence: Persistence;
  /** Where the person sees each card (a write names the board it is shown on). */
  store: ClientStore;
  replicas: Replicas;
  log: Log;
  now: () => number;
  /** Stamps lww writes (SPEC LWW-1). */
  clock: HybridClock;
  notices: Pick<Notices, "add">;
  snapshots: Pick<BoardSnapshots, "outboxChanged">;
  /** Sends what the outbox allows. */
  sender: Pick<OutboxSender, "pump">;
}

/**
 * The person's writes: optimistic, stamped with what the policy needs at edit time, and put in
 * the durable outbox (SPEC OUTBOX-1) from where they are sent in order.
 */
export class LocalWrites {
  constructor(private readonly deps: LocalWritesDeps) {}

  /** Optimistic create with a client-made id, through the outbox. */
  create(boardId: string, fields: Partial<Fields>): string {
    const policy = this.deps.replicas.get(boardId)?.board.policy;
    const cardId = newCardId();
    this.enqueue({ kind: "create", boardId, cardId, fields: wellFormedPatch({ ...fields }), ...(policy === "lww" ? { hlc: this.deps.clock.now() } : {}) });
    return cardId;
  }

  /**
   * Optimistic update. Stamps what the policy needs at edit time: occ the confirmed version the
   * edit is based on, lww an HLC, mvr the card clock seen.
   */
  update(cardId: string, patch: Patch, basedOn?: Card): void {
    const found = findCard(this.deps.store.get().boards, cardId);
    if (!found) return this.deps.notices.add({ boardId: "", cardId }, { code: "card-gone" });
    const replica = this.deps.replicas.get(found.boardId)!;
    const confirmed = replica.confirmed[cardId];
    // SPEC OUTBOX-6: an edit made in an editor opened on an older version is based on that
    // version, so that a newer save by someone else to the same field conflicts (occ) or stays a
    // sibling (mvr) instead of being overwritten silently.
    const base = basedOn && confirmed && basedOn.version > 0 && basedOn.version < confirmed.version ? basedOn : confirmed;
    this.enqueue({ kind: "update", boardId: found.boardId, cardId, patch: wellFormedPatch({ ...patch }), ...this.basis(replica.board.policy, base) });
  }

  /** Optimistic delete. */
  delete(cardId: string): void {
    const found = findCard(this.deps.store.get().boards, cardId);
    if (!found) return;
    const replica = this.deps.replicas.get(found.boardId)!;
    this.enqueue({ kind: "delete", boardId: found.boardId, cardId, baseVersion: replica.confirmed[cardId]?.version ?? 0 });
  }

  /** Optimistic move to another board (two-phase commit on the server when it crosses shards). */
  move(cardId: string, toBoardId: string): void {
    const found = findCard(this.deps.store.get().boards, cardId);
    if (!found || found.boardId === toBoardId) return;
    const replica = this.deps.replicas.get(found.boardId)!;
    this.enqueue({ kind: "move", boardId: found.boardId, cardId, toBoardId, baseVersion: replica.confirmed[cardId]?.version ?? 0 });
  }

  /** Sends the person's resolution based on the newest confirmed version, and closes the conflict (SPEC OCC-3). */
  resolveConflict(conflictId: string, resolution: Patch): void {
    const { store } = this.deps;
    const c = store.get().conflicts.find((x) => x.id === conflictId);
    if (!c) return;
    const confirmed = this.deps.replicas.get(c.boardId)?.confirmed[c.cardId];
    const base = confirmed && confirmed.version >= c.theirs.version ? confirmed : c.theirs;
    store.set({ conflicts: store.get().conflicts.filter((x) => x.id !== conflictId) });
    if (Object.keys(resolution).length === 0) return;
    this.enqueue({ kind: "update", boardId: c.boardId, cardId: c.cardId, patch: wellFormedPatch({ ...resolution }), baseVersion: base.version, base });
  }

  /** What an edit is based on, fixed when the person makes it (not when it is sent). */
  private basis(policy: Policy, confirmed: Card | undefined): Pick<PendingUpdate, "baseVersion" | "hlc" | "context" | "base"> {
    return {
      baseVersion: confirmed?.version ?? 0,
      ...(policy === "occ" && confirmed ? { base: confirmed } : {}),
      ...(policy === "lww" ? { hlc: this.deps.clock.now() } : {}),
      ...(policy === "mvr" ? { context: confirmed?.clock ?? {} } : {}),
    };
  }

  /**
   * Adds a local write to the outbox: stored first (sending waits for it), shown at once, then
   * sent in order. Its text is made well-formed first (SPEC INPUT-3), so a pasted NUL does not
   * make the server refuse the whole edit.
   */
  private enqueue(m: DistributiveOmit<PendingMutation, "mutationId" | "createdAt" | "attempts" | "order">): void {
    const mutation = this.deps.outbox.add({ ...m, mutationId: newMutationId(), createdAt: new Date(this.deps.now()).toISOString(), attempts: 0 });
    this.deps.persistence.addMutation(mutation);
    this.deps.log("local", `card:${m.kind}`, describeMutation(mutation), writeTrace(mutation, "queued"));
    this.deps.snapshots.outboxChanged(touchedBoards(mutation));
    this.deps.sender.pump();
  }
}
