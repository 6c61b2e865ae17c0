/**
 * The `crowd` workload (issue 15), run in the load generator's process: `tokens.length` distinct
 * people join one board (presence as deltas, SPEC PRES-1, as the app's client asks for them),
 * then one writer sends `rate` updates a second and every socket's receipt of every update is
 * timed. Counts what each socket heard of presence, and who stayed connected.
 */
import { randomBytes } from "node:crypto";
import { io as ioClient, type Socket } from "socket.io-client";
import { pct } from "../stats";

export interface CrowdParams {
  url: string;
  /** One session token per person (distinct users). */
  tokens: string[];
  writerToken: string;
  boardId: string;
  cardIds: string[];
  /** Joins sent at once. */
  joinWave: number;
  /** Updates per second from the writer, for `seconds`. */
  rate: number;
  seconds: number;
}

export interface CrowdResult {
  people: number;
  connectMs: number;
  joinMs: number;
  /**
   * Per socket: the bytes of the presence deltas it heard, divided by the arrivals and departures
   * they announced (what one join costs each socket); percentiles over sockets that heard ≥ 100.
   * `first`: the first socket's. `list`: the largest list a joiner got of who is there (once per join).
   */
  presenceBytesPerJoin: { p50: number; max: number; first: number; list: number };
  /** The largest presence message any socket received. */
  presenceMaxMessageBytes: number;
  presenceMessages: number;
  /** The total the last joiner's list said. */
  lastJoinerTotal: number;
  lastJoinerListed: number;
  writes: number;
  deliverMs: { p50: number; p99: number; max: number; n: number };
  missing: number;
  connectedAtEnd: number;
  disconnects: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mid = () => `m_${randomBytes(8).toString("hex")}`;

type Ack = { ok: boolean; error?: { code: string }; card?: { version: number } };

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = ioClient(url, { auth: { token, presenceDelta: true }, transports: ["websocket"], forceNew: true, reconnection: false });
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

export async function crowd(p: CrowdParams): Promise<CrowdResult> {
  const n = p.tokens.length;
  const t0 = performance.now();
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 100) sockets.push(...(await Promise.all(p.tokens.slice(i, i + 100).map((t) => connect(p.url, t)))));
  const connectMs = performance.now() - t0;

  const disconnects: Record<string, number> = {};
  /** Presence bytes each socket heard after its own join answered, and the number of joins answered before it. */
  const heard = new Array<number>(n).fill(0);
  const announced = new Array<number>(n).fill(0);
  let listMax = 0;
  const joinedAt = new Array<number>(n).fill(-1);
  let joinsDone = 0;
  let presenceMessages = 0;
  let presenceMax = 0;
  let lastList: { users: unknown[]; total?: number } | null = null;
  const sent = new Map<string, number>();
  const deliveries: number[] = [];
  let received = 0;
  for (const [i, s] of sockets.entries()) {
    const count = (payload: unknown) => {
      const bytes = Buffer.byteLength(JSON.stringify(payload));
      presenceMessages++;
      presenceMax = Math.max(presenceMax, bytes);
      return bytes;
    };
    s.on("presence", (payload: { users: unknown[]; total?: number }) => {
      listMax = Math.max(listMax, count(payload));
      if (i === n - 1) lastList = payload;
    });
    s.on("presence:delta", (payload: { users: unknown[]; left: unknown[] }) => {
      heard[i]! += count(payload);
      announced[i]! += payload.users.length + payload.left.length;
    });
    s.on("change", (c: { mutationId: string }) => {
      const at = sent.get(c.mutationId);
      if (at === undefined) return;
      received++;
      deliveries.push(performance.now() - at);
    });
    s.on("disconnect", (reason: string) => {
      disconnects[reason] = (disconnects[reason] ?? 0) + 1;
    });
  }

  // Join in waves, in order, so "the joins after mine" is well defined.
  const j0 = performance.now();
  for (let i = 0; i < n; i += p.joinWave) {
    await Promise.all(
      sockets.slice(i, i + p.joinWave).map(async (s, k) => {
        const r = (await s.timeout(60_000).emitWithAck("board:join", { boardId: p.boardId })) as Ack;
        if (!r.ok) throw new Error(`join failed: ${r.error?.code}`);
        joinedAt[i + k] = joinsDone++;
      }),
    );
  }
  const joinMs = performance.now() - j0;
  await sleep(500); // the last tick's deltas
  const perJoin = heard.flatMap((bytes, i) => (announced[i]! >= 100 ? [bytes / announced[i]!] : []));
  const firstSocket = joinedAt.indexOf(0);

  // The writer: `rate` updates a second, spread evenly, of the board's cards in turn.
  const writer = await connect(p.url, p.writerToken);
  const versions = new Map(p.cardIds.map((id) => [id, 1]));
  const total = Math.round(p.rate * p.seconds);
  const w0 = performance.now();
  const acks: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = w0 + (k * 1000) / p.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const cardId = p.cardIds[k % p.cardIds.length]!;
    const mutationId = mid();
    sent.set(mutationId, performance.now());
    const baseVersion = versions.get(cardId)!;
    versions.set(cardId, baseVersion + 1);
    acks.push(
      (writer.timeout(30_000).emitWithAck("card:update", { mutationId, cardId, baseVersion, patch: { estimate: k } }) as Promise<Ack>).then((r) => {
        if (!r.ok) throw new Error(`update failed: ${r.error?.code}`);
      }),
    );
  }
  await Promise.all(acks);
  // Wait for deliveries to drain (at most 30 s).
  const expected = total * n;
  const end = performance.now() + 30_000;
  while (received < expected && performance.now() < end) await sleep(100);
  const connectedAtEnd = sockets.filter((s) => s.connected).length;
  for (const s of [writer, ...sockets]) {
    s.off("disconnect");
    s.disconnect();
  }
  const list = lastList as { users: unknown[]; total?: number } | null;
  return {
    people: n,
    connectMs,
    joinMs,
    presenceBytesPerJoin: { p50: pct(perJoin, 50), max: perJoin.reduce((a, b) => Math.max(a, b), 0), first: heard[firstSocket]! / Math.max(1, announced[firstSocket]!), list: listMax },
    presenceMaxMessageBytes: presenceMax,
    presenceMessages,
    lastJoinerTotal: list?.total ?? 0,
    lastJoinerListed: list?.users.length ?? 0,
    writes: total,
    deliverMs: { p50: pct(deliveries, 50), p99: pct(deliveries, 99), max: deliveries.reduce((a, b) => Math.max(a, b), 0), n: deliveries.length },
    missing: expected - received,
    connectedAtEnd,
    disconnects,
  };
}

export interface PacedParams {
  url: string;
  token: string;
  /** Half the writes go to these (in turn), half to `others` (at random). */
  targets: string[];
  others: string[];
  rate: number;
  seconds: number;
}

export interface PacedResult {
  /** Per write to a target: its number (the title is `w<n>`) and when it was sent (wall clock ms). */
  sent: [number, number][];
  writes: number;
  failed: number;
  /** Send → ack of every write (the server's part of the delay). */
  ackMs: { p50: number; p99: number };
}

/**
 * The `ui` scenario's writer: `rate` title updates a second on an lww board (never a conflict),
 * each titled `w<n>`; the page notes when each title reaches the screen.
 */
export async function paced(p: PacedParams): Promise<PacedResult> {
  const s = await connect(p.url, p.token);
  const total = Math.round(p.rate * p.seconds);
  const sent: [number, number][] = [];
  const acks: Promise<void>[] = [];
  let failed = 0;
  const ackMs: number[] = [];
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = t0 + (k * 1000) / p.rate - performance.now();
    if (wait > 0) await sleep(wait);
    const target = k % 2 === 0;
    const cardId = target ? p.targets[(k / 2) % p.targets.length]! : p.others[Math.floor(Math.random() * p.others.length)]!;
    const at = Date.now();
    const sentAt = performance.now();
    if (target) sent.push([k, at]);
    const hlc = `${String(at).padStart(15, "0")}:${String(k % 100_000).padStart(5, "0")}:bench-writer`;
    acks.push(
      (s.timeout(30_000).emitWithAck("card:update", { mutationId: mid(), cardId, baseVersion: 1, patch: { title: `w${k}` }, hlc }) as Promise<Ack>).then((r) => {
        if (!r.ok) failed++;
        ackMs.push(performance.now() - sentAt);
      }),
    );
  }
  await Promise.all(acks);
  s.disconnect();
  return { sent, writes: total, failed, ackMs: { p50: pct(ackMs, 50), p99: pct(ackMs, 99) } };
}
