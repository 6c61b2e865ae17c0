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
  "card:create": { card: Card; seq: number };
  /** `dropped` (mvr, SPEC MVR-5): values the write displaced under the sibling bound without having seen them. */
  "card:update": { card: Card; seq: number; ignored?: string[]; dropped?: Partial<Record<FieldName, Sibling[]>> };
  "card:delete": { seq: number };
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
};

export interface LockBroadcast {
  boardId: string;
  cardId: string;
  lock: Lock | null;
}
export interface PresenceBroadcast {
  boardId: string;
  users: PresenceUser[];
}
export interface TxBroadcast {
  txId: string;
  phase: TxPhase;
  shards: string[];
}

/** Typed Socket.IO map, server → client. */
export interface ServerToClientEvents {
  change: (change: Change) => void;
  changes: (changes: Change[]) => void;
  lock: (payload: LockBroadcast) => void;
  presence: (payload: PresenceBroadcast) => void;
  tx: (payload: TxBroadcast) => void;
  hello: (payload: { nodeId: string; protocol: number }) => void;
}
