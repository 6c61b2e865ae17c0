import type { WireError } from "./errors";
import type { RequestEvent, RequestPayload } from "./requests";
import type { Board, Card, Change, FieldName, Lock, PresenceUser, Sibling, TxPhase } from "./shapes";

/** What each request answers on success (the `...result` of `{ ok: true, ...result }`). */
export interface ResultMap {
  "board:create": { board: Board };
  "board:list": { boards: Board[] };
  /** `leases` (SPEC LOCK-8): the live leases of the board's cards at the join. */
  /** `more` + `cursor` (SPEC FEED-5): the answer is one page; ask again with `{ boardId, cursor }`. */
  "board:join":
    | { board: Board; seq: number; cards: Card[]; reset?: true; leases?: Lock[]; more?: true; cursor?: string }
    | { board: Board; seq: number; changes: Change[]; leases?: Lock[]; more?: true; cursor?: string };
  "board:leave": Record<string, never>;
  /** `expiresAt` / `maxUses` (SPEC ACCESS-3): when the code stops working, and how many people it may admit (null: any number). */
  "board:invite": { code: string; expiresAt: string; maxUses: number | null };
  "board:revokeInvite": Record<string, never>;
  "board:accept": { board: Board };
  "board:rename": { board: Board };
  "board:archive": { board: Board };
  "board:delete": Record<string, never>;
  "board:quit": Record<string, never>;
  /** `batch` (SPEC IDEM-3): how many writes the transaction that decided this one held (a replay answers the same). */
  "card:create": { card: Card; seq: number; batch?: number };
  /** `dropped` (mvr, SPEC MVR-5): values the write displaced under the sibling bound without having seen them. */
  "card:update": { card: Card; seq: number; ignored?: string[]; dropped?: Partial<Record<FieldName, Sibling[]>>; batch?: number };
  "card:delete": { seq: number; batch?: number };
  /** `seq` / `fromSeq`: the change's seq on the target / source board (docs/PROTOCOL.md). */
  "card:move": { card: Card; txId?: string; seq?: number; fromSeq?: number };
  "card:history": { entries: Change[] };
  "lock:acquire": { lock: Lock };
  "lock:renew": { lock: Lock };
  "lock:release": Record<string, never>;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: WireError };
export type AckFn<E extends RequestEvent> = (reply: Ack<ResultMap[E]>) => void;

/** Typed Socket.IO map, client → server. Payloads are `unknown` to the server until parsed. */
export type ClientToServerEvents = {
  [E in RequestEvent]: (payload: RequestPayload<E>, ack: AckFn<E>) => void;
} & {
  "presence:set": (payload: { boardId: string; cardId: string | null }, ack: (reply: Ack<Record<string, never>>) => void) => void;
  "sim:crash": (payload: { after: CrashPoint | null }, ack: (reply: Ack<Record<string, never>>) => void) => void;
};

/** Where the demo fault switch crashes a cross-shard move's coordinator (SPEC TX-10). */
export type CrashPoint = "prepare" | "decision";

export interface LockBroadcast {
  boardId: string;
  cardId: string;
  lock: Lock | null;
}
/** `users`: at most LIMITS.presenceListed; `total` (SPEC PRES-1): everyone on the board. */
export interface PresenceBroadcast {
  boardId: string;
  users: PresenceUser[];
  total?: number;
}
/**
 * SPEC PRES-1, to sockets that connected with `presenceDelta: true`: who arrived or changed the
 * card they look at (`users`), who left (`left`, user ids), and how many are on the board now.
 */
export interface PresenceDelta {
  boardId: string;
  users: PresenceUser[];
  left: string[];
  total: number;
}
/**
 * SPEC BOARD-6: a board was renamed, archived or restored (`board`), deleted (`removed:
 * "deleted"`), or this person left it (`removed: "left"`).
 */
export interface BoardBroadcast {
  boardId: string;
  board?: Board;
  removed?: "deleted" | "left";
}
export interface TxBroadcast {
  txId: string;
  phase: TxPhase;
  shards: string[];
}

/**
 * One step of a cross-shard move as it happens (project addition, SPEC TX-10), for the
 * inspector's phase timeline: the coordinator log's states (`log`), each shard's part
 * (`part`: prepared, then committed or rolled back), and a simulated coordinator crash. `by`
 * says who took the step: the coordinator, or recovery (SPEC TX-4). Sent to the boards involved.
 */
export type TxTimelineStep =
  | { kind: "log"; state: TxPhase }
  | { kind: "part"; shard: string; state: "prepared" | "committed" | "rolled back" }
  | { kind: "crash"; after: CrashPoint; recoveryInMs: number };
export type TxStepBroadcast = TxTimelineStep & {
  txId: string;
  by: "coordinator" | "recovery";
  at: string;
  cardId: string;
  fromBoardId: string;
  toBoardId: string;
  shards: string[];
};

/** Typed Socket.IO map, server → client. */
export interface ServerToClientEvents {
  change: (change: Change) => void;
  changes: (changes: Change[]) => void;
  lock: (payload: LockBroadcast) => void;
  presence: (payload: PresenceBroadcast) => void;
  "presence:delta": (payload: PresenceDelta) => void;
  tx: (payload: TxBroadcast) => void;
  board: (payload: BoardBroadcast) => void;
  "tx:step": (payload: TxStepBroadcast) => void;
  /** `faults`: the demo fault switches this node offers (SPEC TX-10); absent when none. */
  hello: (payload: { nodeId: string; protocol: number; faults?: CrashPoint[] }) => void;
}
