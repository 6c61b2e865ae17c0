import { LIMITS, type Lock, type PresenceUser } from "../protocol";

const HIGHLIGHT_MS = 3_000;

/** Per-board state that is not the change log's: broadcasts about locks and presence, highlights. */
export interface BoardExtras {
  highlights: Record<string, number>;
  locks: Record<string, Lock>;
  /** Who is on the board: at most LIMITS.presenceListed of them (SPEC PRES-1). */
  presence: PresenceUser[];
  /** How many people are on the board, listed or not. */
  presenceTotal: number;
}

function emptyExtras(): BoardExtras {
  return { highlights: {}, locks: {}, presence: [], presenceTotal: 0 };
}

/**
 * The extras of every board, plus the leases this client holds itself (their fencing tokens go
 * with its writes, SPEC LOCK-3) and the names of the people it has heard of. Every change of a
 * board's extras is reported to the `onChange` listeners (the board's view is rebuilt).
 */
export class BoardExtrasMap {
  private readonly extras = new Map<string, BoardExtras>();
  private readonly myLocks = new Map<string, Lock>();
  /** When (in `lockMark` units) a lock broadcast or grant about each card was last heard, per board. */
  private readonly lockHeard = new Map<string, Map<string, number>>();
  private lockSeq = 0;
  /** Names of every user seen in presence, lock broadcasts or leases: someone offline now still has a name. */
  private readonly knownUsers = new Map<string, string>();
  private readonly listeners: ((boardId: string) => void)[] = [];
  /** Cards whose lease this client keeps believing in whatever it hears (the simulator's paused holder). */
  private readonly pinned = new Set<string>();
  /** Told when a lease of this person is adopted from a join, or when one of ours ends by what the client heard. */
  private mineEvents: { adopted(lock: Lock): void; ended(cardId: string, by: Lock | null): void } | null = null;

  /** `myUserId`: the person using this client (their leases are theirs to use and renew). */
  constructor(private readonly myUserId: string) {}

  /** Who keeps this client's leases (LeaseKeeper): told of adopted leases and of ours that ended. */
  onMine(events: { adopted(lock: Lock): void; ended(cardId: string, by: Lock | null): void }): void {
    this.mineEvents = events;
  }

  /** While pinned, this client's lease on the card is not ended by what it hears (a stalled holder). */
  pinMine(cardId: string, pinned: boolean): void {
    if (pinned) this.pinned.add(cardId);
    else this.pinned.delete(cardId);
  }

  /** Calls `listener` with the board id after every change of a board's extras. */
  onChange(listener: (boardId: string) => void): void {
    this.listeners.push(listener);
  }

  /** A user's display name (from presence, locks or leases), or null when never heard of. */
  nameOf(boardId: string, userId: string | undefined): string | null {
    const present = this.extras.get(boardId)?.presence.find((u) => u.id === userId)?.name;
    return present ?? (userId ? this.knownUsers.get(userId) : undefined) ?? null;
  }

  /** The board's extras (empty ones when nothing was heard about it yet). */
  get(boardId: string): BoardExtras {
    return this.extras.get(boardId) ?? emptyExtras();
  }

  /** The full list (capped) and the total, as the server sent them at the join (SPEC PRES-1). */
  setPresence(boardId: string, presence: PresenceUser[], total: number): void {
    for (const u of presence) this.knownUsers.set(u.id, u.name);
    this.update(boardId, (x) => ({ ...x, presence: presence.slice(0, LIMITS.presenceListed), presenceTotal: total }));
  }

  /**
   * SPEC PRES-1: who arrived or changed focus (updated in place when listed, added while the
   * list has room), who left, and the new total. The list never grows past the cap, so a delta
   * costs the same on a board of 3 people as on one of 2 000.
   */
  presenceDelta(boardId: string, users: PresenceUser[], left: string[], total: number): void {
    for (const u of users) this.knownUsers.set(u.id, u.name);
    this.update(boardId, (x) => {
      const gone = new Set(left);
      const listed = new Map(x.presence.filter((u) => !gone.has(u.id)).map((u) => [u.id, u]));
      for (const u of users) if (listed.has(u.id) || listed.size < LIMITS.presenceListed) listed.set(u.id, u);
      return { ...x, presence: [...listed.values()], presenceTotal: Math.max(total, listed.size) };
    });
  }

  /** A lease was granted or released (`null`). A newer grant to someone else ends ours. */
  setLock(boardId: string, cardId: string, lock: Lock | null): void {
    if (lock) this.knownUsers.set(lock.holder.id, lock.holder.name);
    this.heard(boardId, cardId);
    this.endMine(cardId, lock);
    this.update(boardId, (x) => {
      const locks = { ...x.locks };
      if (lock) locks[cardId] = lock;
      else delete locks[cardId];
      return { ...x, locks };
    });
  }

  /** A mark to take before sending `board:join`, for `setLeases` with its answer. */
  lockMark(): number {
    return this.lockSeq;
  }

  /**
   * SPEC LOCK-8: the board's live leases from a `board:join` answer replace the locks shown,
   * except on cards whose lock broadcast was heard after `mark` (taken when the join was sent):
   * those are at least as new as the answer, which was read at some moment while the join ran.
   * A live lease of this person that the client did not know of becomes its own.
   */
  setLeases(boardId: string, leases: Lock[], mark: number): void {
    const myUserId = this.myUserId;
    for (const l of leases) this.knownUsers.set(l.holder.id, l.holder.name);
    const heard = this.lockHeard.get(boardId);
    const settled = (cardId: string) => (heard?.get(cardId) ?? 0) <= mark;
    const live = new Map(leases.map((l) => [l.cardId, l]));
    const shown = this.get(boardId).locks;
    const locks: Record<string, Lock> = {};
    for (const [cardId, lock] of Object.entries(shown)) {
      if (!settled(cardId)) locks[cardId] = lock;
      else if (!live.has(cardId)) this.endMine(cardId, null);
    }
    for (const [cardId, lock] of live) {
      if (!settled(cardId)) continue;
      locks[cardId] = lock;
      this.endMine(cardId, lock);
      // A lease of this person that the tab does not know (taken before a reload): adopt it, so
      // its token goes with the writes and the person can release it.
      // It is renewed from then on, like a lease taken in this tab.
      if (lock.holder.id === myUserId && !this.myLocks.has(cardId)) {
        this.myLocks.set(cardId, lock);
        this.mineEvents?.adopted(lock);
      }
    }
    this.update(boardId, (x) => ({ ...x, locks }));
  }

  /** Records a lease this client was granted. */
  holdLock(cardId: string, lock: Lock): void {
    this.myLocks.set(cardId, lock);
  }

  /** Forgets this client's lease on a card and returns it (undefined when it holds none). */
  releaseMyLock(cardId: string): Lock | undefined {
    const lock = this.myLocks.get(cardId);
    this.myLocks.delete(cardId);
    return lock;
  }

  /** The fencing token of this client's lease on a card, if it holds one. */
  lockToken(cardId: string): number | undefined {
    return this.myLocks.get(cardId)?.token;
  }

  /** Highlights cards changed by someone else at `now`; highlights older than HIGHLIGHT_MS go. */
  highlight(boardId: string, fresh: Record<string, number>, now: number): void {
    // Old highlights are dropped at most once a second (a tile shows one only while it is fresh):
    // under 100 changes a second, filtering the whole map on each would cost more than the change.
    const prune = now - (this.pruned.get(boardId) ?? 0) >= 1_000;
    if (prune) this.pruned.set(boardId, now);
    this.update(boardId, (x) => ({
      ...x,
      highlights: prune
        ? { ...Object.fromEntries(Object.entries(x.highlights).filter(([, at]) => now - at < HIGHLIGHT_MS)), ...fresh }
        : { ...x.highlights, ...fresh },
    }));
  }
  /** When each board's highlights were last pruned. */
  private readonly pruned = new Map<string, number>();

  /** Forgets a board (it is gone or no longer ours). */
  delete(boardId: string): void {
    this.extras.delete(boardId);
    this.pruned.delete(boardId);
    this.lockHeard.delete(boardId);
  }

  /** Our lease on a card ends when it is released or someone else holds a newer one. */
  private endMine(cardId: string, lock: Lock | null): void {
    if ((lock && lock.holder.id === this.myUserId) || this.pinned.has(cardId)) return;
    const mine = this.myLocks.get(cardId);
    if (mine && (!lock || lock.token > mine.token)) {
      this.myLocks.delete(cardId);
      this.mineEvents?.ended(cardId, lock);
    }
  }

  private heard(boardId: string, cardId: string): void {
    const m = this.lockHeard.get(boardId) ?? new Map<string, number>();
    m.set(cardId, ++this.lockSeq);
    this.lockHeard.set(boardId, m);
  }

  private update(boardId: string, fn: (x: BoardExtras) => BoardExtras): void {
    this.extras.set(boardId, fn(this.get(boardId)));
    for (const l of this.listeners) l(boardId);
  }
}
