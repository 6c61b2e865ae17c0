import type { Lock, PresenceUser } from "../protocol";

const HIGHLIGHT_MS = 3_000;

/** Per-board state that is not the change log's: broadcasts about locks and presence, highlights. */
export interface BoardExtras {
  highlights: Record<string, number>;
  locks: Record<string, Lock>;
  presence: PresenceUser[];
}

function emptyExtras(): BoardExtras {
  return { highlights: {}, locks: {}, presence: [] };
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

  /** `myUserId`: the person using this client (their leases are theirs to use and renew). */
  constructor(private readonly myUserId: string) {}

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

  setPresence(boardId: string, presence: PresenceUser[]): void {
    for (const u of presence) this.knownUsers.set(u.id, u.name);
    this.update(boardId, (x) => ({ ...x, presence }));
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
      if (lock.holder.id === myUserId && !this.myLocks.has(cardId)) this.myLocks.set(cardId, lock);
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
    this.update(boardId, (x) => ({
      ...x,
      highlights: {
        ...Object.fromEntries(Object.entries(x.highlights).filter(([, at]) => now - at < HIGHLIGHT_MS)),
        ...fresh,
      },
    }));
  }

  /** Forgets a board (it is gone or no longer ours). */
  delete(boardId: string): void {
    this.extras.delete(boardId);
    this.lockHeard.delete(boardId);
  }

  /** Our lease on a card ends when it is released or someone else holds a newer one. */
  private endMine(cardId: string, lock: Lock | null): void {
    if (lock && lock.holder.id === this.myUserId) return;
    const mine = this.myLocks.get(cardId);
    if (mine && (!lock || lock.token > mine.token)) this.myLocks.delete(cardId);
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
