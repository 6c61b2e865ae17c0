import type { Board, Card, Change } from "../protocol";
import type { HybridClock } from "../sync/hlc";
import type { BoardExtrasMap } from "./board-extras";
import { BoardReplica, MAX_BUFFERED } from "./board-replica";
import { cardList } from "./card-table";
import { receiveCard } from "./clock";
import { changeTrace, type Log } from "./inspector";
import type { Transport } from "./network";
import type { Replicas } from "./replicas";
import { RequestError } from "./requests";
import type { StoredBoard } from "./storage";
import { mark as timingMark } from "./marks";

/** Who hears what the feed did to the confirmed state. */
export interface FeedListener {
  /** Changes were applied to a board in seq order; `catchUpCount` of them came from a catch-up reply. */
  applied(boardId: string, applied: Change[], catchUpCount: number): void;
  /** The board is gone or no longer ours (the feed forgot it already): forget the rest. */
  dropped(boardId: string): void;
  /** SPEC FEED-7: the first page of a board this tab has no replica of yet, to show while the rest loads. */
  preview?(boardId: string, board: Board, seq: number, cards: readonly Card[]): void;
}

export interface BoardFeedDeps {
  transport: Transport;
  log: Log;
  replicas: Replicas;
  /** Moves past the HLC stamps of every card received (SPEC LWW-2). */
  clock: HybridClock;
  /** Locks shown per board: a join answer's leases replace them (SPEC LOCK-8). */
  extras: Pick<BoardExtrasMap, "lockMark" | "setLeases">;
  listener: FeedListener;
  ackTimeoutMs: number;
  /** How long a gap in `seq` may stay open before catching up with `since`. */
  gapWaitMs: number;
  /** Whether a mutationId is one of this tab's pending writes: its change in a catch-up is traced (SPEC INSP-1). */
  ownWrite?: (mutationId: string) => boolean;
}

/**
 * Follows each joined board's change log strictly in `seq` order (SPEC FEED-4): live changes go
 * through BoardReplica; a gap is given a moment to fill by itself, then filled by a catch-up
 * `board:join { since }` (SPEC FEED-2). At most one catch-up per board runs at a time.
 */
export class BoardFeed {
  private readonly catchUps = new Map<string, Promise<void>>();
  private readonly joinWaiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly replicas: Replicas;
  private readonly conn: Transport;

  constructor(private readonly deps: BoardFeedDeps) {
    this.replicas = deps.replicas;
    this.conn = deps.transport;
  }

  /** Restores a board from storage (its cursor included), before connecting. */
  restore(stored: StoredBoard): void {
    this.replicas.set(new BoardReplica(stored));
    for (const card of cardList(stored.confirmed)) receiveCard(this.deps.clock, card);
  }

  /**
   * Subscribes to a board. Resolves once its state is loaded: at once when a stored copy exists
   * and the client is offline (it catches up on connect), else after the join. Rejects with
   * FORBIDDEN / NOT_FOUND.
   */
  join(boardId: string): Promise<void> {
    this.replicas.join(boardId);
    if (this.replicas.get(boardId) && !this.conn.isConnected()) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      const list = this.joinWaiters.get(boardId) ?? [];
      list.push({ resolve, reject });
      this.joinWaiters.set(boardId, list);
    });
    if (this.conn.isConnected()) void this.catchUp(boardId);
    return done;
  }

  /**
   * Stops following a board. Its stored copy is kept, so a later join catches up from its
   * cursor instead of loading everything again; pending writes to it are still sent.
   */
  leave(boardId: string): void {
    if (!this.replicas.leave(boardId)) return;
    const t = this.gapTimers.get(boardId);
    if (t) clearTimeout(t);
    this.gapTimers.delete(boardId);
    if (this.conn.isConnected()) {
      this.deps.log("out", "board:leave", boardId);
      void this.conn.request("board:leave", { boardId }, 10_000);
    }
  }

  /** Catches up every joined board (after a (re)connect, SPEC OUTBOX-3). */
  catchUpAll(): Promise<void[]> {
    return Promise.all(this.replicas.joined().map((id) => this.catchUp(id)));
  }

  /** Stops waiting for gaps to fill (on disconnect and close: the next connect catches up). */
  cancelGapChecks(): void {
    for (const t of this.gapTimers.values()) clearTimeout(t);
    this.gapTimers.clear();
  }

  /** Live `change` / `changes` broadcasts. */
  onChanges(changes: Change[]): void {
    const { log } = this.deps;
    for (const change of changes) {
      const replica = this.replicas.get(change.boardId);
      log("in", "change", `seq ${change.seq} ${change.type} ${change.cardId ?? change.card?.id ?? ""}${change.card ? ` v${change.card.version}` : ""}`, changeTrace(change));
      if (!replica || !this.replicas.isJoined(change.boardId)) continue;
      if (change.card) receiveCard(this.deps.clock, change.card);
      const r = replica.offer(change);
      if (r.kind === "applied") this.deps.listener.applied(change.boardId, r.applied, 0);
      if (replica.buffered >= MAX_BUFFERED) void this.catchUp(change.boardId);
      else if (replica.buffered > 0) this.scheduleGapCheck(change.boardId);
    }
  }

  /** One catch-up per board at a time; callers share the running one. */
  private catchUp(boardId: string): Promise<void> {
    const running = this.catchUps.get(boardId);
    if (running) return running;
    const p = this.runCatchUp(boardId).finally(() => {
      this.catchUps.delete(boardId);
      // Changes that arrived past a gap the reply did not cover get their own (later) catch-up.
      if ((this.replicas.get(boardId)?.buffered ?? 0) > 0) this.scheduleGapCheck(boardId);
    });
    this.catchUps.set(boardId, p);
    return p;
  }

  /**
   * `board:join`, with `since` when we hold a cursor: applies exactly the returned changes, or
   * replaces everything on `reset`. A join is also what puts this socket in the board's room,
   * so if the connection changed while it ran, it is done again on the new one.
   *
   * SPEC FEED-5: an answer may come in pages (`more` + `cursor`); every page is followed before
   * the board counts as caught up (and so before the outbox replays, OUTBOX-3). Pages of
   * changes are applied as they come (each ends at a seq the board really had). A snapshot read
   * over several pages is gathered aside, with the changes after its seq, and replaces the
   * replica only when complete: its later pages are read as of later moments, so only the whole,
   * caught up to its last seq, is a state the board had. Cursors keep no state on the server, so
   * after a reconnect the next page is asked of whichever node answers.
   */
  private async runCatchUp(boardId: string): Promise<void> {
    const { conn } = this;
    const { log } = this.deps;
    let cursor: string | undefined;
    let snapshot: { board: Board; seq: number; cards: Map<string, Card> } | null = null;
    let aside: BoardReplica | null = null;
    let asideChanges = 0;
    let restarted = false;
    for (;;) {
      if (!conn.isConnected() || !this.replicas.isJoined(boardId)) return;
      const epoch = conn.epoch;
      const mark = this.deps.extras.lockMark();
      const since = this.replicas.get(boardId)?.seq;
      const payload = cursor !== undefined ? { boardId, cursor } : since === undefined ? { boardId } : { boardId, since };
      const sinceText = cursor !== undefined ? "next page" : since === undefined ? "snapshot" : `since seq ${since}`;
      log("out", "board:join", cursor !== undefined ? `${boardId} next page` : since === undefined ? boardId : `${boardId} since ${since}`, { type: "request", event: "board:join", boardId, answer: sinceText });
      timingMark(`board:join sent (${sinceText})`);
      const out = await conn.request("board:join", payload, this.deps.ackTimeoutMs);
      timingMark("board:join answered");
      if (out.kind === "offline") {
        if (conn.isConnected() && epoch !== conn.epoch) continue;
        return; // the next connect catches up
      }
      if (out.kind === "timeout") {
        this.scheduleGapCheck(boardId, 1_000, true);
        return;
      }
      const reply = out.reply;
      if (!reply.ok) {
        log("in", "board:join", `→ ${reply.error.code}`, { type: "request", event: "board:join", boardId, answer: reply.error.code });
        if (reply.error.code === "FORBIDDEN" || reply.error.code === "NOT_FOUND") {
          this.drop(boardId, new RequestError(reply.error.code, reply.error.message));
        } else if (cursor !== undefined && reply.error.code === "BAD_REQUEST" && !restarted) {
          // A cursor the node does not take: read the answer again from its start, once.
          restarted = true;
          cursor = undefined;
          snapshot = null;
          aside = null;
          continue;
        } else {
          this.scheduleGapCheck(boardId, 1_000, true);
        }
        return;
      }
      if (!this.replicas.isJoined(boardId)) return;
      if (reply.leases) this.deps.extras.setLeases(boardId, reply.leases, mark);
      const more = reply.more === true && reply.cursor !== undefined;
      let replica = this.replicas.get(boardId);
      if ("changes" in reply) {
        const caughtUp = `${reply.changes.length} change${reply.changes.length === 1 ? "" : "s"} to seq ${reply.seq}${more ? ", more" : ""}`;
        log("in", "board:join", `→ ${caughtUp}`, { type: "request", event: "board:join", boardId, answer: caughtUp });
        const own = this.deps.ownWrite;
        if (own) for (const c of reply.changes) if (own(c.mutationId)) log("in", "change", `seq ${c.seq} (catch-up)`, changeTrace(c, true));
        if (snapshot) {
          aside = new BoardReplica({ board: snapshot.board, seq: snapshot.seq, confirmed: Object.fromEntries(snapshot.cards) });
          snapshot = null;
        }
        if (aside) {
          aside.catchUp(reply.changes);
          asideChanges += reply.changes.length;
        } else {
          replica ??= new BoardReplica({ board: reply.board, seq: reply.seq, confirmed: {} });
          this.replicas.set(replica);
          this.deps.listener.applied(boardId, replica.catchUp(reply.changes), reply.changes.length);
        }
      } else {
        const snapshotText = `${reply.reset ? "reset: " : ""}${reply.cards.length} cards at seq ${reply.seq}${more ? ", more" : ""}`;
        log("in", "board:join", `→ ${snapshotText}`, { type: "request", event: "board:join", boardId, answer: snapshotText });
        for (const card of reply.cards) receiveCard(this.deps.clock, card);
        // A first page (or a cursor the node had to restart with `reset`) begins a snapshot.
        if (cursor === undefined || reply.reset || !snapshot) {
          snapshot = { board: reply.board, seq: reply.seq, cards: new Map() };
          aside = null;
          asideChanges = 0;
        }
        for (const card of reply.cards) snapshot.cards.set(card.id, card);
        // FEED-7: a board this tab has nothing of yet shows its first page while the rest loads.
        if (more && cursor === undefined && !replica) this.deps.listener.preview?.(boardId, reply.board, reply.seq, reply.cards);
      }
      if (more) {
        cursor = reply.cursor;
        continue;
      }
      cursor = undefined;
      if (snapshot) {
        aside = new BoardReplica({ board: snapshot.board, seq: snapshot.seq, confirmed: Object.fromEntries(snapshot.cards) });
        snapshot = null;
      }
      if (aside) {
        replica ??= new BoardReplica({ board: aside.board, seq: aside.seq, confirmed: {} });
        this.replicas.set(replica);
        this.deps.listener.applied(boardId, replica.reset(aside.board, aside.seq, cardList(aside.confirmed)), asideChanges);
        timingMark("board replaced");
        aside = null;
        asideChanges = 0;
      }
      for (const w of this.joinWaiters.get(boardId) ?? []) w.resolve();
      this.joinWaiters.delete(boardId);
      if (epoch === conn.epoch) return;
    }
  }

  /** The board is gone or no longer ours: forget it everywhere. */
  private drop(boardId: string, err: RequestError): void {
    this.replicas.forget(boardId);
    this.deps.listener.dropped(boardId);
    for (const w of this.joinWaiters.get(boardId) ?? []) w.reject(err);
    this.joinWaiters.delete(boardId);
  }

  /**
   * SPEC FEED-2: wait briefly for a gap to fill by itself, then catch up with `since`. With
   * `retry` (a join that timed out or failed), catch up even without a known gap: the socket's
   * room membership depends on a successful join.
   */
  private scheduleGapCheck(boardId: string, delayMs = this.deps.gapWaitMs, retry = false): void {
    if (this.gapTimers.has(boardId) || this.conn.closed) return;
    const t = setTimeout(() => {
      this.gapTimers.delete(boardId);
      const replica = this.replicas.get(boardId);
      if (!this.replicas.isJoined(boardId)) return;
      if (retry || (replica?.buffered ?? 0) > 0) void this.catchUp(boardId);
    }, delayMs);
    this.gapTimers.set(boardId, t);
  }
}
