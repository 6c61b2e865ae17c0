/**
 * The history of a verify run, one JSON object per line: what every client asked and what it was
 * told (or that the answer was lost), the faults injected, what observers applied, and the final
 * state read at the end. The checkers read only this, so `--check FILE` re-checks a saved run
 * offline with the same verdict.
 */
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";

/** `read`: a `board:join` page; `leave`: `board:leave`; `setup`: `board:create`. */
export type OpKind = "create" | "update" | "delete" | "move" | "read" | "leave" | "setup" | "acquire" | "renew" | "release";
export type Policy = "occ" | "lww" | "mvr";

/** A request sent: `mutationId` ties replays of one write together (SPEC IDEM-1). */
export interface InvokeRecord {
  type: "invoke";
  id: number;
  client: string;
  user: string;
  node: string;
  kind: OpKind;
  policy?: Policy;
  boardId?: string;
  cardId?: string;
  mutationId?: string;
  req: Record<string, unknown>;
  at: number;
}

/** The ack, as received (reads keep only what the checkers use). */
export interface CompleteRecord {
  type: "complete";
  id: number;
  at: number;
  answer: Answer;
}

/** No answer: the socket dropped, the node died, the ack was dropped on purpose, or it timed out. */
export interface LostRecord {
  type: "lost";
  id: number;
  at: number;
  reason: string;
}

export interface FaultRecord {
  type: "fault";
  kind: string;
  detail: string;
  at: number;
}

/** What one observer applied to one board, in the order it applied it (FEED-4 order). */
export interface ObservedRecord {
  type: "observed";
  observer: string;
  boardId: string;
  /** `[seq, mutationId, type, cardId]`; a `["reset", seq]` entry starts over from a snapshot at seq. */
  entries: ObservedEntry[];
}
export type ObservedEntry = [number, string, "card.upsert" | "card.delete", string] | ["reset", number];

export interface MetaRecord {
  type: "meta";
  seed: number;
  seconds: number;
  clients: number;
  faults: string[];
  urls: string[];
  owned: boolean;
  startedAt: string;
}

export type Answer = { ok: true; [k: string]: unknown } | { ok: false; error: { code: string; message?: string; details?: unknown } };

export interface WireCardLike {
  id: string;
  boardId: string;
  version: number;
  fieldVersions: Record<string, number>;
  title: string;
  body: string;
  status: string;
  position: string;
  tags: string[];
  estimate: number | null;
  [k: string]: unknown;
}

export interface LogEntry {
  seq: number;
  type: "card.upsert" | "card.delete";
  cardId: string;
  mutationId: string;
  card?: WireCardLike | null;
}

/** The state read at the end of the run: through the protocol, and from the databases when verify owns them. */
export interface FinalState {
  boards: { id: string; policy: Policy; shard: string }[];
  /** Per board: the change log read through `board:join { since: 0 }` and its pages. */
  logs: Record<string, { floor: number; head: number; entries: LogEntry[] }>;
  /** Per board: a fresh snapshot (all pages plus the changes after it) at `seq`. */
  snapshots: Record<string, { seq: number; cards: WireCardLike[] }>;
  /** Per observer and board: the replica it built from the changes it applied, at `seq`. */
  replicas: { observer: string; boardId: string; seq: number; cards: WireCardLike[] }[];
  /** Per outbox client: writes still in its outbox when the run ended (set aside or undelivered). */
  outboxPending?: Record<string, number>;
  /** Per outbox client: its set-aside writes (OUTBOX-7), as "CODE: message", counted. */
  outboxSetAside?: Record<string, Record<string, number>>;
  /** Null when verify does not own the databases (`--url`). */
  db: DbDump | null;
}

export interface DbDump {
  shards: Record<
    string,
    {
      cards: { id: string; boardId: string; version: number; fence: number }[];
      heads: { boardId: string; seq: number; floor: number }[];
      changes: { boardId: string; seq: number; type: string; cardId: string; mutationId: string }[];
      applied: { mutationId: string; cardId: string; result: unknown }[];
      prepared: string[];
    }
  >;
  txLog: { txId: string; state: string; mutationId: string | null; from: string | null; to: string | null }[];
  cardIds: { cardId: string; boardId: string }[];
  leases: { cardId: string; holderId: string; token: number; expiresAt: string }[];
}

export interface FinalRecord {
  type: "final";
  at: number;
  state: FinalState;
}

export type HistoryRecord = MetaRecord | InvokeRecord | CompleteRecord | LostRecord | FaultRecord | ObservedRecord | FinalRecord;

/** Appends records to a JSON-lines file as they happen. */
export class HistoryWriter {
  private out: WriteStream;
  private nextId = 1;
  constructor(readonly file: string) {
    this.out = createWriteStream(file, { flags: "w" });
  }
  write(record: HistoryRecord): void {
    this.out.write(`${JSON.stringify(record)}\n`);
  }
  id(): number {
    return this.nextId++;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

/** Reads a history file back (blank lines ignored). */
export function readHistory(file: string): HistoryRecord[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as HistoryRecord);
}

/** One request with its outcome: `answer` when one came, else lost. */
export interface Attempt extends Omit<InvokeRecord, "type" | "at"> {
  invokeAt: number;
  completeAt: number | null;
  answer: Answer | null;
  lostReason?: string;
}

/** Codes after which the request certainly changed nothing. */
export const DEFINITE_REFUSALS = new Set(["CONFLICT", "NOT_FOUND", "LOCKED", "STALE_LOCK", "BAD_REQUEST", "FORBIDDEN", "TX_ABORTED", "RATE_LIMITED", "TOO_LARGE", "TWO_PHASE_UNAVAILABLE", "UNAUTHORIZED"]);

/** True when the answer says for sure whether the request took effect. */
export function isDefinite(answer: Answer | null): boolean {
  if (!answer) return false;
  return answer.ok || DEFINITE_REFUSALS.has(answer.error.code);
}

/**
 * A write as one logical operation: all its attempts (replays with the same mutationId) from the
 * first invoke; it ends at its first definite answer, or stays open to the end of the history.
 */
export interface LogicalWrite {
  mutationId: string;
  kind: OpKind;
  policy?: Policy;
  cardId?: string;
  boardId?: string;
  user: string;
  req: Record<string, unknown>;
  attempts: Attempt[];
  invokeAt: number;
  /** Null when no attempt got a definite answer. */
  completeAt: number | null;
  answer: Answer | null;
}

export interface ParsedHistory {
  meta: MetaRecord | null;
  attempts: Attempt[];
  writes: LogicalWrite[];
  faults: FaultRecord[];
  observed: ObservedRecord[];
  final: FinalState | null;
}

const WRITE_KINDS = new Set<OpKind>(["create", "update", "delete", "move"]);

/** Joins invokes with their completions and groups writes by mutationId. */
export function parseHistory(records: HistoryRecord[]): ParsedHistory {
  const byId = new Map<number, Attempt>();
  const out: ParsedHistory = { meta: null, attempts: [], writes: [], faults: [], observed: [], final: null };
  for (const r of records) {
    if (r.type === "meta") out.meta = r;
    else if (r.type === "invoke") {
      const a: Attempt = {
        id: r.id, client: r.client, user: r.user, node: r.node, kind: r.kind, policy: r.policy, boardId: r.boardId, cardId: r.cardId,
        mutationId: r.mutationId, req: r.req, invokeAt: r.at, completeAt: null, answer: null,
      };
      byId.set(r.id, a);
      out.attempts.push(a);
    } else if (r.type === "complete") {
      const a = byId.get(r.id);
      if (a && !a.answer) {
        a.answer = r.answer;
        a.completeAt = r.at;
      }
    } else if (r.type === "lost") {
      const a = byId.get(r.id);
      if (a && !a.answer) a.lostReason = r.reason;
    } else if (r.type === "fault") out.faults.push(r);
    else if (r.type === "observed") out.observed.push(r);
    else if (r.type === "final") out.final = r.state;
  }
  const groups = new Map<string, LogicalWrite>();
  for (const a of out.attempts) {
    if (!WRITE_KINDS.has(a.kind) || !a.mutationId) continue;
    let g = groups.get(a.mutationId);
    if (!g) {
      g = { mutationId: a.mutationId, kind: a.kind, policy: a.policy, cardId: a.cardId, boardId: a.boardId, user: a.user, req: a.req, attempts: [], invokeAt: a.invokeAt, completeAt: null, answer: null };
      groups.set(a.mutationId, g);
      out.writes.push(g);
    }
    g.attempts.push(a);
    if (g.answer === null && isDefinite(a.answer)) {
      g.answer = a.answer;
      g.completeAt = a.completeAt;
    }
  }
  return out;
}

/** A short, readable line for an attempt (used in violation reports). */
export function describeAttempt(a: Attempt): string {
  const ans = a.answer ? (a.answer.ok ? "ok" : a.answer.error.code) : `lost (${a.lostReason ?? "no answer"})`;
  const what = a.kind === "update" ? ` patch=${JSON.stringify(a.req.patch)} base=${String(a.req.baseVersion)}` : a.kind === "move" ? ` to=${String(a.req.toBoardId)} base=${String(a.req.baseVersion)}` : a.kind === "delete" ? ` base=${String(a.req.baseVersion)}` : "";
  const tok = a.req.lockToken !== undefined ? ` lockToken=${String(a.req.lockToken)}` : "";
  return `#${a.id} ${a.client}@${a.node} ${a.kind}${a.cardId ? ` ${a.cardId}` : ""}${what}${tok} [${a.invokeAt}..${a.completeAt ?? "∞"}] → ${ans}`;
}

/**
 * The board an acknowledged write's `seq` belongs to: the board of the card its ack returned
 * (the client's idea of the card's board may be stale after someone moved it), else the board
 * whose log holds that mutationId at that seq, else the board the client named.
 */
export function ackedBoard(w: LogicalWrite, final: FinalState): string | undefined {
  const ans = w.answer;
  if (!ans?.ok) return w.boardId;
  const card = ans.card as WireCardLike | undefined;
  if (card?.boardId && w.kind !== "move") return card.boardId;
  for (const [boardId, log] of Object.entries(final.logs)) {
    if (log.entries.some((e) => e.seq === ans.seq && e.mutationId === w.mutationId)) return boardId;
  }
  return w.boardId;
}

/** A move's source board: where its delete is logged (else the board the client named). */
export function moveSource(w: LogicalWrite, final: FinalState): string | undefined {
  const ans = w.answer;
  if (!ans?.ok) return w.boardId;
  for (const [boardId, log] of Object.entries(final.logs)) {
    if (log.entries.some((e) => e.seq === ans.fromSeq && e.mutationId === w.mutationId && e.type === "card.delete")) return boardId;
  }
  return w.boardId;
}
