import type { Trace } from "./inspector";
import type { Board, Card, Change, CrashPoint, FieldName, Fields, Lock, Patch, Policy, PresenceUser, TxPhase, User, Visibility } from "../protocol";

/**
 * The contract between the framework-free sync client (lib/client) and the UI (app/).
 * The UI reads `ClientState` through `subscribe` + `getSnapshot` (useSyncExternalStore) and
 * changes things only through the methods of `SyncClientApi`.
 */

export type ConnectionState = "connecting" | "online" | "offline" | "reconnecting" | "catching-up";

/** What every outbox entry carries, whatever its kind. */
interface PendingCommon {
  mutationId: string;
  boardId: string;
  cardId: string;
  createdAt: string;
  /** How many times it was sent (more than 1 after a reconnect replay); counted in memory (a send is not a storage write). */
  attempts: number;
  /** Position in the outbox: a card's writes are sent strictly in this order (SPEC OUTBOX-3). */
  order: number;
  /** SPEC OUTBOX-7: how many times the server answered it INTERNAL. */
  failures?: number;
  /**
   * SPEC OUTBOX-7: set when the write was set aside as poison. It stays stored and shown, is not
   * sent again until the person retries it, and holds the later writes of its card behind it;
   * writes to other cards go ahead.
   */
  setAside?: { at: string; code: string; message: string };
}

/** A new card with a client-made id; lww stamps its initial values (SPEC LWW-3). */
export interface PendingCreate extends PendingCommon {
  kind: "create";
  fields: Partial<Fields>;
  hlc?: string;
}

/** An edit of some fields, based on what the person saw (SPEC OUTBOX-6). */
export interface PendingUpdate extends PendingCommon {
  kind: "update";
  patch: Patch;
  baseVersion: number;
  /** lww: the HLC stamped when the edit was made (replayed unchanged, SPEC OUTBOX-3). */
  hlc?: string;
  /** mvr: the card clock the edit was based on. */
  context?: Record<string, number>;
  /** occ: the confirmed card the edit was based on (the conflict dialog's "base", SPEC OCC-3). */
  base?: Card;
}

export interface PendingDelete extends PendingCommon {
  kind: "delete";
  baseVersion: number;
}

export interface PendingMove extends PendingCommon {
  kind: "move";
  toBoardId: string;
  baseVersion: number;
}

/** A local write not yet acknowledged by the server (kept in the outbox until it is, SPEC OUTBOX-1). */
export type PendingMutation = PendingCreate | PendingUpdate | PendingDelete | PendingMove;

/** An invite code to a private board, as its owner sees it (SPEC ACCESS-3). */
export interface InviteCode {
  code: string;
  /** ISO time after which the code admits nobody. */
  expiresAt: string;
  /** How many people it may admit; null: any number until it expires. */
  maxUses: number | null;
}

/** An occ conflict waiting for a person: base (what I started from), mine, theirs (server now). */
export interface Conflict {
  id: string;
  boardId: string;
  cardId: string;
  fields: FieldName[];
  base: Card;
  mine: Patch;
  theirs: Card;
}

/** A write as a notice names it: its kind and the fields it sets. */
export interface WriteSummary {
  kind: PendingMutation["kind"];
  fields: FieldName[];
  /** The values the write set (an update's patch, a create's fields), so a refused write's typing can be restored or copied. */
  values?: Patch;
}

/**
 * What a notice says, as data: the client decides when to tell the person something, the UI
 * words it (app/_lib/notice-text.ts). Names are display names, resolved when the notice is made (null: a person this tab never heard of).
 */
export type NoticeMessage =
  /**
   * lww (SPEC LWW-1): the person's edit to `fields` lost to `by`'s newer edit (`otherTab`: the
   * same person's other tab); `write` holds the values they typed, kept until dismissed (SPEC LWW-5).
   */
  | { code: "lww-replaced"; fields: string[]; by: string | null; otherTab?: boolean; write?: WriteSummary }
  /** mvr (SPEC MVR-5): the person's edit displaced `count` values of `field` by `by` under the bound `max`. */
  | { code: "mvr-dropped"; field: string; count: number; by: (string | null)[]; max: number }
  /** SPEC OUTBOX-5: the server refused the write for good (`error`); it was dropped. */
  | { code: "write-refused"; write: WriteSummary; error: { code: string; message: string } }
  /** SPEC OUTBOX-5: a delete or move answered CONFLICT (only updates get a dialog): dropped. */
  | { code: "write-conflict"; write: WriteSummary }
  /** SPEC OUTBOX-7: set aside after `failures` answers `error`; `heldBehind` later writes of its card wait. */
  | { code: "write-set-aside"; write: WriteSummary; failures: number; error: string; heldBehind: number }
  /** SPEC OUTBOX-7: the person discarded a set-aside write (and `alsoDiscarded` writes of the card it created). */
  | { code: "write-discarded"; write: WriteSummary; alsoDiscarded: number }
  /** SPEC LOCK-9: renewing a lease this tab keeps failed (`problem`); it ends at `expiresAt` unless a renewal gets through. */
  | { code: "lease-at-risk"; title: string | null; token: number; expiresAt: string; problem: string }
  /** SPEC LOCK-1: a lease this tab kept ended without the person releasing it: `by` holds it now (null: it ran out or was refused). */
  | { code: "lease-lost"; title: string | null; reason: "taken" | "expired" | "refused"; token: number; by: { name: string; token: number } | null; error?: string }
  /** SPEC TX-10: this tab's move was answered: the card is on `toBoardId` now. */
  | { code: "card-moved"; title: string | null; toBoardId: string; toBoardName: string | null; crossShard: boolean }
  /** The card the person edited is not shown any more (deleted or moved meanwhile). */
  | { code: "card-gone" }
  /** SPEC ACCESS-1: the server refused the session token. */
  | { code: "session-invalid" };

/** A notice for the UI (short-lived, or kept until dismissed when it holds typing): what happened (`code` and its data), where, how serious (`kind`). */
export type Notice = NoticeMessage & {
  id: string;
  boardId: string;
  cardId?: string;
  kind: "lww-replaced" | "error" | "info";
  at: string;
};

export interface BoardState {
  board: Board;
  /** Last seq applied, in order, from the server's change log. */
  seq: number;
  /** Server-confirmed cards. */
  confirmed: Record<string, Card>;
  /** What the person sees: confirmed cards with pending local writes applied on top. */
  cards: Record<string, Card>;
  /** Card ids changed by someone else recently (for a brief highlight), with the time. */
  highlights: Record<string, number>;
  locks: Record<string, Lock>;
  /** Who is on the board, at most LIMITS.presenceListed of them (SPEC PRES-1). */
  presence: PresenceUser[];
  /** How many people are on the board, listed or not. */
  presenceTotal: number;
  /**
   * SPEC FEED-7: the first page of a first snapshot, shown while the rest of the board loads
   * (the cards first in position order, so the top of every column); absent once it is whole.
   */
  loading?: true;
}

export interface InspectorEvent {
  at: string;
  direction: "in" | "out" | "local";
  event: string;
  summary: string;
  /** What the event means, as data (SPEC INSP-1); the timeline is built from these. */
  trace?: Trace;
}

/**
 * A lease this tab keeps (SPEC LOCK-1), as the editor shows it: the lease (its fencing token and
 * expiry), and how renewal goes: `renewing` (on schedule, next at `renewAt`), `retrying` (the last
 * renewal could not be sent or answered: `problem`; the lease ends at `lock.expiresAt` unless one
 * gets through), `paused` (the simulator's stalled holder: no renewals, the token kept even if stale).
 */
export interface HeldLease {
  lock: Lock;
  health: "renewing" | "retrying" | "paused";
  /** How many renewals went through with this token. */
  renewals: number;
  /** When the next renewal is sent (ms since the epoch), when scheduled. */
  renewAt: number | null;
  lastRenewedAt?: string;
  problem?: string;
}

/** One entry of a move's timeline (SPEC TX-10): what the tab did, or a step the server told. */
export type MoveTimelineEntry = { at?: string; txId?: string } & (
  | { by: "tab"; kind: "sent"; attempt: number }
  | { by: "tab"; kind: "answer"; ok: true; txId?: string }
  | { by: "tab"; kind: "answer"; ok: false; code: string }
  | { by: "tab"; kind: "no-answer"; reason: "timeout" | "offline" }
  | { by: "coordinator" | "recovery"; kind: "log"; state: TxPhase }
  | { by: "coordinator" | "recovery"; kind: "part"; shard: string; state: "prepared" | "committed" | "rolled back" }
  | { by: "coordinator" | "recovery"; kind: "crash"; after: CrashPoint; recoveryAt: string }
);

/** A move of a card as this tab saw it happen, newest entry last (the inspector's phase timeline). */
export interface MoveTimeline {
  cardId: string;
  /** The card's title when the move started (it may be on a board this tab has not joined since). */
  title?: string;
  mutationId?: string;
  fromBoardId: string;
  toBoardId: string;
  /** The shards of a cross-shard move (empty for a move within one shard). */
  shards: string[];
  /** The server transactions of this move (a replay after an aborted one runs a new one). */
  txIds: string[];
  startedAt: string;
  entries: (MoveTimelineEntry & { at: string })[];
  /** Set once the tab has the answer. */
  outcome?: "moved" | "refused";
}

/** The simulator's lease switches (per tab). */
export interface LeaseSimulation {
  /** The editor lets this tab save cards someone else has locked, so the server's LOCKED answer is seen. */
  sendAnyway: boolean;
  /** The holder is paused: no renewals, tokens kept (LeaseKeeper.setPaused). */
  paused: boolean;
}

export interface NetworkSimulation {
  offline: boolean;
  latencyMs: number;
  dropNextAck: boolean;
}

export interface ClientState {
  user: User | null;
  replicaId: string;
  nodeId: string | null;
  connection: ConnectionState;
  /** While catching up: how many changes were applied so far in this catch-up. */
  catchingUp: number;
  boards: Record<string, BoardState>;
  /** All boards the user may see (from board:list), for the board list page. */
  boardList: Board[];
  pending: PendingMutation[];
  conflicts: Conflict[];
  notices: Notice[];
  events: InspectorEvent[];
  network: NetworkSimulation;
  /** The leases this tab keeps, by card id (SPEC LOCK-1). */
  leases: Record<string, HeldLease>;
  leaseSim: LeaseSimulation;
  lastTx: { txId: string; phase: TxPhase; shards: string[] } | null;
  /** The newest moves this tab made, each as a phase timeline (SPEC TX-10). */
  moves: MoveTimeline[];
  /** The demo fault switch's crash points when the node offers it (hello), else null. */
  faults: CrashPoint[] | null;
  /** Where this tab's next cross-shard move crashes its coordinator (the demo fault switch), if armed. */
  crashArmed: CrashPoint | null;
  /** True when the server refused the token (UNAUTHORIZED); sign in again. */
  authError?: boolean;
  /** SPEC BOARD-4, BOARD-5: boards deleted, or left by this person, while this tab was open. */
  removedBoards: Record<string, "deleted" | "left">;
}

export interface SyncClientApi {
  subscribe(listener: () => void): () => void;
  getSnapshot(): ClientState;
  /** This replica's hybrid logical clock: the last timestamp issued or merged, without advancing it (SPEC INSP-2). */
  hlc(): string;
  /** Restores boards, cursors, the outbox and clocks from storage; call before connect(). */
  load(): Promise<void>;
  connect(): void;
  close(): void;

  refreshBoards(): Promise<Board[]>;
  createBoard(input: { name: string; policy: Policy; shard?: string; visibility?: Visibility }): Promise<Board>;
  /** A new invite code (owner only); it expires (7 days by default) and may admit at most `maxUses` people. */
  invite(boardId: string, opts?: { ttlMs?: number; maxUses?: number }): Promise<InviteCode>;
  /** Withdraws an invite code (owner only). */
  revokeInvite(code: string): Promise<void>;
  accept(code: string): Promise<Board>;
  /** SPEC BOARD-1: renames a board (owner only). */
  renameBoard(boardId: string, name: string): Promise<Board>;
  /** SPEC BOARD-3: archives (read-only) or restores a board (owner only). */
  archiveBoard(boardId: string, archived: boolean): Promise<Board>;
  /** SPEC BOARD-4: deletes a board (owner only). */
  deleteBoard(boardId: string): Promise<void>;
  /** SPEC BOARD-5: gives up one's membership of a board. */
  quitBoard(boardId: string): Promise<void>;
  joinBoard(boardId: string): Promise<void>;
  leaveBoard(boardId: string): void;

  /** Optimistic: shows at once, goes through the outbox; returns the new card's id. */
  createCard(boardId: string, fields: Partial<Fields>): string;
  /**
   * Optimistic update. `basedOn`: the card as the person saw it when they started editing; when it
   * is older than the confirmed card, the write is based on it (so a newer edit by someone else to
   * the same field conflicts instead of being overwritten).
   */
  updateCard(cardId: string, patch: Patch, basedOn?: Card): void;
  deleteCard(cardId: string): void;
  moveCard(cardId: string, toBoardId: string): void;
  /** Sends a person's resolution of a conflict against the current version. */
  resolveConflict(conflictId: string, resolution: Patch): void;
  /** Drops a conflict, keeping the server's state. */
  discardConflict(conflictId: string): void;
  /** Removes a notice the person dismissed (notices holding a refused write's typing stay until then). */
  dismissNotice(noticeId: string): void;
  /** SPEC OUTBOX-7: sends a set-aside write again (first among its card's writes). */
  retryWrite(mutationId: string): void;
  /** SPEC OUTBOX-7: drops a set-aside write; the writes of its card held behind it go ahead. */
  discardWrite(mutationId: string): void;
  history(cardId: string): Promise<Change[]>;
  lock(cardId: string, ttlMs?: number): Promise<Lock>;
  unlock(cardId: string): Promise<void>;
  focusCard(boardId: string, cardId: string | null): void;

  /** Network simulator (drives the real socket). */
  setOffline(offline: boolean): void;
  setLatency(ms: number): void;
  dropNextAck(): void;
  /** Discards the next incoming change, so gap detection has to catch up. */
  dropNextChange(): void;
  killSocket(): void;
  /** The demo fault switch (SPEC TX-10): crash the coordinator of this tab's next cross-shard move (null: off). */
  setCrash(after: CrashPoint | null): void;
  /** Lease simulator: let the editor send writes to cards someone else locked (the server answers LOCKED). */
  setSendAnyway(on: boolean): void;
  /** Lease simulator: pause this tab as a holder (no renewals, stale tokens kept); false resumes and renews at once. */
  setHolderPaused(paused: boolean): void;
}
