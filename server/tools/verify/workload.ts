/**
 * The workload: clients doing realistic mixes on `occ`, `lww` and `mvr` boards (creates, updates
 * of one and several fields, deletes, same- and cross-shard moves both ways, reads: snapshots and
 * catch-ups), lock holders doing fenced edits, and the lease-pause scenario (a holder paused past
 * its TTL that then writes with its old token).
 */
import { randomUUID } from "node:crypto";
import type { VClient } from "./client";
import type { Answer, Policy, WireCardLike } from "./history";
import { readBoard, type BoardInfo } from "./reads";
import type { Rng } from "./rng";

export interface KnownCard {
  id: string;
  policy: Policy;
  boardId: string;
  version: number;
  clock?: Record<string, number>;
  ops: number;
  retired: boolean;
}

/** A card's life is kept short on occ boards so each card's linearizability search stays small. */
const OCC_OPS_PER_CARD = 24;
const POOL = 6;

export class World {
  readonly cards: KnownCard[] = [];
  readonly byId = new Map<string, KnownCard>();
  readonly boardSeq = new Map<string, number>();
  /** Stop starting moves (and so 2PC crashes) after this time: the end needs recovery to settle. */
  movesUntil = Infinity;
  counts = { ops: 0, ok: 0, refused: 0, lost: 0 };

  constructor(
    readonly boards: BoardInfo[],
    readonly fault: (kind: string, detail: string) => void,
  ) {}

  live(policy: Policy): KnownCard[] {
    return this.cards.filter((c) => c.policy === policy && !c.retired);
  }

  boardsOf(policy: Policy): BoardInfo[] {
    return this.boards.filter((b) => b.policy === policy);
  }

  /** Learns from an answer: the card's board, version and clock as the server last said. */
  learn(k: KnownCard, a: Answer | null): void {
    this.counts.ops++;
    if (!a) {
      this.counts.lost++;
      return;
    }
    if (a.ok) this.counts.ok++;
    else this.counts.refused++;
    const card = (a.ok ? a.card : (a.error.details as { current?: WireCardLike } | undefined)?.current) as WireCardLike | undefined;
    if (card && card.version >= k.version) {
      k.version = card.version;
      k.boardId = card.boardId;
      if (card.clock) k.clock = card.clock as Record<string, number>;
    }
    if (a.ok && typeof a.seq === "number") {
      const b = card?.boardId ?? k.boardId;
      this.boardSeq.set(b, Math.max(this.boardSeq.get(b) ?? 0, a.seq));
    }
    if (!a.ok && a.error.code === "NOT_FOUND") k.retired = true;
  }
}

let hlcCounter = 0;
function hlc(replica: string): string {
  return `${String(Date.now()).padStart(15, "0")}:${String(hlcCounter++ % 100000).padStart(5, "0")}:${replica}`;
}

/** A large body (lww and mvr boards), so snapshots and catch-ups run over several pages (SPEC FEED-5). */
const bigBody = (rng: Rng, who: string) => `${who} ${rng.int(1000)} `.padEnd(8_000 + rng.int(4000), "lorem ipsum ");

function somePatch(rng: Rng, who: string, n: number, several: boolean, big = false): Record<string, unknown> {
  const all: Record<string, () => unknown> = {
    title: () => `${who} #${n}`,
    body: () => (big && rng.chance(0.1) ? bigBody(rng, who) : `body ${rng.int(1000)} by ${who}`),
    status: () => rng.pick(["todo", "doing", "done"]),
    position: () => `a${rng.int(50)}`,
    tags: () => (rng.chance(0.5) ? [] : [`t${rng.int(5)}`, `u${rng.int(5)}`].slice(0, 1 + rng.int(2))),
    estimate: () => (rng.chance(0.2) ? null : rng.int(100)),
  };
  const names = Object.keys(all);
  const count = several ? 2 + rng.int(3) : 1;
  const out: Record<string, unknown> = {};
  while (Object.keys(out).length < count) {
    const f = rng.pick(names);
    out[f] = all[f]!();
  }
  return out;
}

/** The fields of a write as each policy wants them: a base version, and an HLC (lww) or context (mvr). */
function stamp(k: KnownCard, c: VClient, req: Record<string, unknown>): void {
  if (k.policy === "lww" && c.rng.chance(0.8)) req.hlc = hlc(`v-${c.name}`);
  if (k.policy === "mvr" && c.rng.chance(0.75) && k.clock) req.context = k.clock;
}

export async function createCard(c: VClient, w: World, board: BoardInfo, stopAt: number): Promise<void> {
  const id = `c_${randomUUID()}`;
  const k: KnownCard = { id, policy: board.policy, boardId: board.id, version: 0, ops: 0, retired: false };
  w.cards.push(k);
  w.byId.set(id, k);
  const req: Record<string, unknown> = { mutationId: randomUUID(), boardId: board.id, cardId: id, fields: { title: `new by ${c.name}`, position: `a${c.rng.int(50)}`, ...(c.rng.chance(0.5) ? { body: board.policy !== "occ" && c.rng.chance(0.4) ? bigBody(c.rng, c.name) : "first" } : {}) } };
  if (board.policy === "lww" && c.rng.chance(0.5)) req.hlc = hlc(`v-${c.name}`);
  const a = await c.write("card:create", req, { kind: "create", policy: board.policy, boardId: board.id, cardId: id, mutationId: req.mutationId as string, shrink: board.policy !== "occ" }, stopAt);
  w.learn(k, a);
  if (!a?.ok) k.retired = true;
}

/** One step of a workload client. */
export async function step(c: VClient, w: World, stopAt: number, n: number): Promise<void> {
  const rng = c.rng;
  const policy = rng.pick(["occ", "lww", "mvr"] as const);
  const pool = w.live(policy).filter((k) => k.version > 0);
  const r = rng.next();
  if (pool.length < POOL || r < 0.1) return createCard(c, w, rng.pick(w.boardsOf(policy)), stopAt);
  const k = rng.pick(pool);
  k.ops++;
  const meta = { policy, boardId: k.boardId, cardId: k.id, shrink: policy !== "occ" };
  if (r < 0.94 && policy === "occ" && k.ops >= OCC_OPS_PER_CARD) {
    k.retired = true;
    const req = { mutationId: randomUUID(), cardId: k.id, baseVersion: k.version };
    w.learn(k, await c.write("card:delete", req, { ...meta, kind: "delete", mutationId: req.mutationId }, stopAt));
    return;
  }
  if (r < 0.62) {
    const base = policy === "occ" && rng.chance(0.25) ? Math.max(1, k.version - 1 - rng.int(2)) : k.version;
    const req: Record<string, unknown> = { mutationId: randomUUID(), cardId: k.id, baseVersion: base, patch: somePatch(rng, c.name, n, r >= 0.45, policy !== "occ") };
    stamp(k, c, req);
    w.learn(k, await c.write("card:update", req, { ...meta, kind: "update", mutationId: req.mutationId as string }, stopAt));
  } else if (r < 0.67) {
    k.retired = true;
    const req = { mutationId: randomUUID(), cardId: k.id, baseVersion: k.version };
    w.learn(k, await c.write("card:delete", req, { ...meta, kind: "delete", mutationId: req.mutationId }, stopAt));
  } else if (r < 0.8) {
    if (Date.now() > w.movesUntil) return;
    const targets = w.boardsOf(policy).filter((b) => b.id !== k.boardId);
    if (targets.length === 0) return;
    const to = rng.pick(targets);
    const req = { mutationId: randomUUID(), cardId: k.id, toBoardId: to.id, baseVersion: k.version };
    w.learn(k, await c.write("card:move", req, { ...meta, kind: "move", mutationId: req.mutationId }, stopAt));
  } else {
    const board = rng.pick(w.boardsOf(policy));
    const head = w.boardSeq.get(board.id) ?? 0;
    const since = r < 0.93 ? undefined : Math.max(0, head - 1 - rng.int(30));
    const read = await readBoard(c, board, since);
    for (const card of read.cards.values()) {
      const known = w.byId.get(card.id);
      if (known && card.version >= known.version) {
        known.version = card.version;
        known.boardId = card.boardId;
        if (card.clock) known.clock = card.clock as Record<string, number>;
      }
    }
    if (read.ok) w.boardSeq.set(board.id, Math.max(head, read.seq));
    await c.request("board:leave", { boardId: board.id }, { kind: "leave", policy, boardId: board.id });
  }
}

/** A lock holder's step: take a lease, make fenced edits with its token, maybe renew, release. */
export async function lockStep(c: VClient, w: World, stopAt: number, n: number): Promise<void> {
  const rng = c.rng;
  const policy = rng.pick(["occ", "lww"] as const);
  const pool = w.live(policy).filter((k) => k.version > 0);
  if (pool.length === 0) return;
  const k = rng.pick(pool);
  const meta = { policy, boardId: k.boardId, cardId: k.id, shrink: policy !== "occ" };
  const a = await c.request("lock:acquire", { cardId: k.id, ttlMs: 1500 + rng.int(2000) }, { ...meta, kind: "acquire" });
  if (!a?.ok) return;
  const token = (a.lock as { token: number }).token;
  for (let i = 0; i < 1 + rng.int(3); i++) {
    k.ops++;
    const req: Record<string, unknown> = { mutationId: randomUUID(), cardId: k.id, baseVersion: k.version, patch: somePatch(rng, c.name, n * 10 + i, rng.chance(0.3)), lockToken: token };
    stamp(k, c, req);
    w.learn(k, await c.write("card:update", req, { ...meta, kind: "update", mutationId: req.mutationId as string }, stopAt));
    if (rng.chance(0.3)) await c.request("lock:renew", { cardId: k.id, token }, { ...meta, kind: "renew" });
  }
  await c.request("lock:release", { cardId: k.id, token }, { ...meta, kind: "release" });
}

/**
 * The lease-pause fault: `holder` takes a short lease, is paused past its TTL, `other` takes the
 * card, then the holder writes with its old token. LOCK-3 says STALE_LOCK (or LOCKED); the fencing
 * checker reports the write if it was applied.
 */
export async function leasePause(holder: VClient, other: VClient, w: World, stopAt: number): Promise<string | null> {
  const pool = w.live("occ").filter((k) => k.version > 0);
  if (pool.length === 0) return null;
  const k = holder.rng.pick(pool);
  const meta = { policy: k.policy, boardId: k.boardId, cardId: k.id };
  const a = await holder.request("lock:acquire", { cardId: k.id, ttlMs: 300 }, { ...meta, kind: "acquire" });
  if (!a?.ok) return null;
  const token = (a.lock as { token: number }).token;
  await new Promise((r) => setTimeout(r, 700)); // paused past the TTL
  const b = await other.request("lock:acquire", { cardId: k.id, ttlMs: 5000 }, { ...meta, kind: "acquire" });
  const req = { mutationId: randomUUID(), cardId: k.id, baseVersion: k.version, patch: { title: `late write by ${holder.name}` }, lockToken: token };
  const out = await holder.write("card:update", req, { ...meta, kind: "update", mutationId: req.mutationId }, stopAt);
  w.learn(k, out);
  if (b?.ok) await other.request("lock:release", { cardId: k.id, token: (b.lock as { token: number }).token }, { ...meta, kind: "release" });
  return `${k.id}: token ${token} paused past 300 ms, ${b?.ok ? `then token ${(b.lock as { token: number }).token} granted` : "no newer grant"}; the late write answered ${out ? (out.ok ? "ok" : out.error.code) : "nothing"}`;
}
