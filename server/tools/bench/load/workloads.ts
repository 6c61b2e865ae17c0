/**
 * What the load generator does (it runs in its own process: child.ts). Every workload speaks the
 * wire protocol (docs/PROTOCOL.md) through plain socket.io-client, so the same code drives
 * Concord and the naive baseline. Times are read on this process's monotonic clock only: a
 * delivery's latency is its arrival here minus the moment this process sent the write.
 */
import { randomBytes } from "node:crypto";
import { io as ioClient, type Socket } from "socket.io-client";
import { pct } from "../stats";
import { crowd, paced } from "./crowd";
import { cpuNow, cpuPerWrite, type CpuReading } from "./cpu";

export interface Endpoint {
  url: string;
  /** Concord's session token (the naive server needs none). */
  token?: string;
  batch?: boolean;
}

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

type Ack = { ok: boolean; error?: { code: string; details?: { current?: { version: number } } }; card?: { version: number }; [k: string]: unknown };
type ChangeMsg = { mutationId: string; cardId?: string; card?: { id: string; version: number } | null };

const mid = () => `m_${randomBytes(8).toString("hex")}`;
const lat = (xs: number[]): Latency => ({ p50: pct(xs, 50), p99: pct(xs, 99), n: xs.length });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function emit(s: Socket, event: string, payload: unknown, timeoutMs = 30_000): Promise<Ack> {
  return s.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Ack>;
}

function connectOne(e: Endpoint): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = ioClient(e.url, { auth: { token: e.token, batch: e.batch ?? false }, transports: ["websocket"], forceNew: true, reconnection: false });
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

/** `count` sockets, at most 50 handshakes at a time. */
export async function connectMany(e: Endpoint, count: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < count; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => connectOne(e)))));
  return out;
}

/** Calls `fn` for every change a socket receives, `change` or (batch) `changes`. */
function onChanges(s: Socket, fn: (c: ChangeMsg) => void): void {
  s.on("change", fn);
  s.on("changes", (cs: ChangeMsg[]) => cs.forEach(fn));
}

async function join(s: Socket, boardId: string): Promise<void> {
  const r = await emit(s, "board:join", { boardId });
  if (!r.ok) throw new Error(`join failed: ${r.error?.code}`);
}

export interface WritesParams extends Endpoint {
  clients: number;
  /** Client i joins `boards[i % boards.length]` and updates random cards of it. */
  boards: { boardId: string; cardIds: string[] }[];
  seconds: number;
  warmupSeconds: number;
  /** Card versions a previous run left (absent: 1). */
  versions?: Record<string, number>;
}

export interface WritesResult {
  committed: number;
  conflicts: number;
  errors: Record<string, number>;
  seconds: number;
  writesPerSecond: number;
  ackMs: Latency;
  /** From the writer's send to each other client's receipt of the change. */
  deliverMs: Latency;
  /** Card versions at the end, for the next run. */
  versions: Record<string, number>;
  /** CPU ms per committed write over the timed phase: load generator, servers' process, Postgres (Linux only). */
  cpuMs?: CpuReading;
}

/**
 * Closed loop: each client has one write in flight (like the app's outbox), a versioned update
 * of a random card of its board; a conflict takes the current version and goes on.
 */
export async function writes(p: WritesParams): Promise<WritesResult> {
  const sockets = await connectMany(p, p.clients);
  const versions = new Map<string, number>();
  for (const b of p.boards) for (const id of b.cardIds) versions.set(id, p.versions?.[id] ?? 1);
  const sent = new Map<string, { at: number; by: Socket }>();
  const acks: number[] = [];
  const deliveries: number[] = [];
  let measuring = false;
  let committed = 0;
  let conflicts = 0;
  const errors: Record<string, number> = {};
  for (const [i, s] of sockets.entries()) {
    await join(s, p.boards[i % p.boards.length]!.boardId);
    onChanges(s, (c) => {
      // PROTOCOL.md: an upsert carries the card; `cardId` is optional (Concord sends it only without a card).
      const id = c.card?.id ?? c.cardId;
      if (id && c.card && c.card.version > (versions.get(id) ?? 0)) versions.set(id, c.card.version);
      const w = sent.get(c.mutationId);
      if (w && w.by !== s && measuring) deliveries.push(performance.now() - w.at);
    });
  }
  let stop = false;
  const loops = sockets.map(async (s, i) => {
    const cards = p.boards[i % p.boards.length]!.cardIds;
    let n = 0;
    while (!stop) {
      const cardId = cards[Math.floor(Math.random() * cards.length)]!;
      const mutationId = mid();
      const at = performance.now();
      sent.set(mutationId, { at, by: s });
      const r = await emit(s, "card:update", { mutationId, cardId, baseVersion: versions.get(cardId) ?? 1, patch: { estimate: n++ % 1000 } });
      const took = performance.now() - at;
      if (r.ok) {
        if (r.card && r.card.version > (versions.get(cardId) ?? 0)) versions.set(cardId, r.card.version);
        if (measuring) {
          committed++;
          acks.push(took);
        }
      } else if (r.error?.code === "CONFLICT") {
        const v = r.error.details?.current?.version;
        if (v !== undefined) versions.set(cardId, v);
        if (measuring) conflicts++;
      } else {
        const code = r.error?.code ?? "?";
        errors[code] = (errors[code] ?? 0) + 1;
        if (code === "RATE_LIMITED") await sleep(10);
      }
      // Old entries are not needed once every receiver had time to see them.
      if (sent.size > 200_000) sent.clear();
    }
  });
  await sleep(p.warmupSeconds * 1000);
  measuring = true;
  const t0 = performance.now();
  const cpu0 = cpuNow();
  await sleep(p.seconds * 1000);
  measuring = false;
  const cpu1 = cpuNow();
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  await sleep(100);
  for (const s of sockets) s.disconnect();
  return { committed, conflicts, errors, seconds, writesPerSecond: committed / seconds, ackMs: lat(acks), deliverMs: lat(deliveries), versions: Object.fromEntries(versions),
    cpuMs: cpuPerWrite(cpu0, cpu1, committed) };
}

export interface FanoutParams {
  /** Where the writer sends. */
  writer: Endpoint;
  /** Subscriber groups (e.g. one per node), each joined to `boardId`. */
  groups: { label: string; endpoint: Endpoint; count: number }[];
  boardId: string;
  /** `update`: versioned updates of `cardId`; `broadcast`: the naive server's bare `bench:broadcast` of `payload`. */
  mode: "update" | "broadcast";
  cardId?: string;
  payload?: Record<string, unknown>;
  /** Rounds of `writes` writes each, over the same connections (one result per round). */
  rounds: number;
  writes: number;
  /** Pause between writes (after the ack), so the figure is latency, not queueing. */
  gapMs: number;
}

export interface FanoutRound {
  /** Per group: from the send to each subscriber's receipt. */
  deliverMs: Record<string, Latency>;
  ackMs: Latency;
  /** Receipts that never came (within 500 ms of the round's end). */
  missing: number;
}

export interface FanoutResult {
  rounds: FanoutRound[];
  /** The first change a subscriber received (the payload a bare broadcast can repeat). */
  sample?: Record<string, unknown>;
}

/** One writer, paced; every subscriber's receipt of every write is timed. */
export async function fanout(p: FanoutParams): Promise<FanoutResult> {
  const [writer] = await connectMany(p.writer, 1);
  const sent = new Map<string, number>();
  let got: Record<string, number[]> = {};
  const all: Socket[] = [];
  let sample: Record<string, unknown> | undefined;
  for (const g of p.groups) {
    const subs = await connectMany(g.endpoint, g.count);
    for (const s of subs) {
      await join(s, p.boardId);
      onChanges(s, (c) => {
        const at = sent.get(c.mutationId);
        if (at !== undefined) (got[g.label] ??= []).push(performance.now() - at);
        sample ??= c as unknown as Record<string, unknown>;
      });
    }
    all.push(...subs);
  }
  const rounds: FanoutRound[] = [];
  let version = 1;
  for (let round = 0; round < p.rounds; round++) {
    got = Object.fromEntries(p.groups.map((g) => [g.label, []]));
    sent.clear();
    const acks: number[] = [];
    for (let i = 0; i < p.writes; i++) {
      const mutationId = mid();
      const t = performance.now();
      sent.set(mutationId, t);
      const r =
        p.mode === "update"
          ? await emit(writer!, "card:update", { mutationId, cardId: p.cardId, baseVersion: version, patch: { estimate: i % 1000 } })
          : await emit(writer!, "bench:broadcast", { boardId: p.boardId, payload: { ...p.payload, mutationId } });
      if (!r.ok && r.error?.code === "CONFLICT" && r.error.details?.current) {
        version = r.error.details.current.version; // a previous run's writes: take the current version, write again
        sent.delete(mutationId);
        i--;
        continue;
      }
      if (!r.ok) throw new Error(`write failed: ${r.error?.code}`);
      acks.push(performance.now() - t);
      if (r.card) version = r.card.version;
      await sleep(p.gapMs);
    }
    await sleep(500);
    const expected = p.writes * p.groups.reduce((n, g) => n + g.count, 0);
    const received = Object.values(got).reduce((n, xs) => n + xs.length, 0);
    rounds.push({ deliverMs: Object.fromEntries(Object.entries(got).map(([k, xs]) => [k, lat(xs)])), ackMs: lat(acks), missing: expected - received });
  }
  for (const s of [writer!, ...all]) s.disconnect();
  return { rounds, sample };
}

export interface JoinParams extends Endpoint {
  boardId: string;
  since?: number;
}

export interface JoinResult {
  ms: number;
  pages: number;
  cards: number;
  changes: number;
  bytes: number;
}

/** One `board:join` answered in full: every page (SPEC FEED-5) until `more` is gone. */
export async function joinBoard(p: JoinParams): Promise<JoinResult> {
  const [s] = await connectMany(p, 1);
  const t = performance.now();
  let cursor: string | undefined;
  let pages = 0;
  let cards = 0;
  let changes = 0;
  let bytes = 0;
  for (;;) {
    const r = await emit(s!, "board:join", { boardId: p.boardId, ...(cursor ? { cursor } : p.since !== undefined ? { since: p.since } : {}) });
    if (!r.ok) throw new Error(`join failed: ${r.error?.code}`);
    pages++;
    cards += (r.cards as unknown[] | undefined)?.length ?? 0;
    changes += (r.changes as unknown[] | undefined)?.length ?? 0;
    bytes += JSON.stringify(r).length;
    if (!r.more) break;
    cursor = r.cursor as string;
  }
  const ms = performance.now() - t;
  s!.disconnect();
  return { ms, pages, cards, changes, bytes };
}

const held: Socket[] = [];

/** Connects `clients` sockets joined to `boardId` and keeps them until `release`. */
export async function idle(p: Endpoint & { clients: number; boardId: string }): Promise<{ connected: number }> {
  const sockets = await connectMany(p, p.clients);
  for (let i = 0; i < sockets.length; i += 100) await Promise.all(sockets.slice(i, i + 100).map((s) => join(s, p.boardId)));
  held.push(...sockets);
  return { connected: sockets.length };
}

export async function release(): Promise<{ released: number }> {
  const n = held.length;
  for (const s of held.splice(0)) s.disconnect();
  await sleep(200);
  return { released: n };
}

export const workloads = { writes, fanout, joinBoard, idle, release, crowd, paced };
export type Workloads = typeof workloads;
