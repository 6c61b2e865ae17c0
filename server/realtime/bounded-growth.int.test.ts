import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Board, Card, Change, Sibling } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * Invariant 11 (DESIGN): what a client can grow is bounded. Siblings per field (SPEC MVR-5) and
 * the size of every `board:join` answer (SPEC FEED-5), with ten full catch-ups of a large board
 * at once.
 */

/** SPEC FEED-5: no `board:join` ack is larger than this (JSON bytes). */
const PAGE_LIMIT = 256 * 1024;
/** SPEC MVR-5: at most this many values per field. */
const MAX_SIBLINGS = 8;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

async function userSocket(name: string, replicaId?: string): Promise<TestSocket> {
  const { token } = await cluster.signIn(name);
  return cluster.connect(token, replicaId ? { replicaId } : {});
}

type JoinAck = {
  board: Board;
  seq: number;
  cards?: Card[];
  changes?: Change[];
  reset?: true;
  more?: true;
  cursor?: string;
};

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/**
 * A whole `board:join` answer, following `cursor` while the answer says `more` (FEED-5). Cards of
 * snapshot pages are counted per id; changes are applied on top in seq order. `between` runs
 * after each page (to write while a read is under way).
 */
async function readAll(s: TestSocket, boardId: string, since?: number, between?: (page: number) => Promise<void>) {
  const sizes: number[] = [];
  const state = new Map<string, Card>();
  const seen = new Map<string, number>();
  const changes: Change[] = [];
  let payload: Record<string, unknown> = since === undefined ? { boardId } : { boardId, since };
  let seq = 0;
  for (let page = 0; page < 10_000; page++) {
    const ack = await request<JoinAck>(s, "board:join", payload);
    if (!ack.ok) throw new Error(`board:join page ${page}: ${ack.error.code} ${ack.error.message}`);
    sizes.push(bytes(ack));
    for (const card of ack.cards ?? []) {
      seen.set(card.id, (seen.get(card.id) ?? 0) + 1);
      state.set(card.id, card);
    }
    for (const c of ack.changes ?? []) {
      changes.push(c);
      if (c.type === "card.upsert") state.set(c.card!.id, c.card!);
      else state.delete(c.cardId!);
    }
    seq = ack.seq;
    if (between) await between(page);
    if (!ack.more) break;
    payload = { boardId, cursor: ack.cursor };
  }
  return { sizes, state, seen, changes, seq };
}

/** A board on shard `a` with `count` cards of `bodyChars` characters each, positions p0000… in order. */
async function largeBoard(s: TestSocket, count: number, bodyChars: number): Promise<{ board: Board; ids: string[] }> {
  const { board } = await ok<{ board: Board }>(s, "board:create", { name: `large-${mid()}`, policy: "occ", shard: "a" });
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const made = await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, k) => {
        const i = start + k;
        const body = `${i}:`.padEnd(bodyChars, "·");
        return ok<{ card: Card }>(s, "card:create", {
          mutationId: mid(), boardId: board.id, fields: { title: `card ${i}`, body, position: `p${String(i).padStart(4, "0")}` },
        });
      }),
    );
    ids.push(...made.map((m) => m.card.id));
  }
  return { board, ids };
}

describe("MVR-5 a bounded number of siblings per field", () => {
  it("MVR-5 60 writes with an empty context keep at most 8 values per field, the newest; each ack names what it displaced", async () => {
    const s = await userSocket("mvr-flood", "tab-f100d000");
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "mvr-flood", policy: "mvr", shard: "a" });
    await ok(s, "board:join", { boardId: board.id });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t" } });
    const displaced: Sibling[] = [];
    let last: Card = card;
    let largestAck = 0;
    for (let i = 0; i < 60; i++) {
      const r = await request<{ card: Card; dropped?: Partial<Record<string, Sibling[]>> }>(s, "card:update", {
        mutationId: mid(), cardId: card.id, baseVersion: 0, patch: { body: `write ${i} `.padEnd(2_000, "~") }, context: {},
      });
      if (!r.ok) throw new Error(`${r.error.code} ${r.error.message}`);
      largestAck = Math.max(largestAck, bytes(r));
      expect(r.card.siblings?.body?.length ?? 1).toBeLessThanOrEqual(MAX_SIBLINGS);
      displaced.push(...(r.dropped?.body ?? []));
      last = r.card;
    }
    // The newest 8 writes are kept (the oldest, which had seen least, went first) …
    const kept = (last.siblings?.body ?? []).map((v) => String(v.value).split(" ")[1]).sort((a, b) => Number(a) - Number(b));
    expect(kept).toEqual(["52", "53", "54", "55", "56", "57", "58", "59"]);
    // … and every displaced value was named to its displacer exactly once: the initial one and writes 0–51.
    expect(displaced.map((v) => (v.value === "" ? "initial" : String(v.value).split(" ")[1]))).toEqual([
      "initial", ...Array.from({ length: 52 }, (_, i) => String(i)),
    ]);
    expect(largestAck).toBeLessThan(40 * 1024);
    // The snapshot shows the same 8.
    const join = await ok<{ cards: Card[] }>(s, "board:join", { boardId: board.id });
    expect(join.cards[0]!.siblings?.body).toEqual(last.siblings?.body);
    // A write whose context covers them resolves all of them (MVR-2), displacing nothing.
    const resolved = await ok<{ card: Card; dropped?: unknown }>(s, "card:update", {
      mutationId: mid(), cardId: card.id, baseVersion: 0, patch: { body: "agreed" }, context: last.clock,
    });
    expect(resolved.card.siblings).toBeUndefined();
    expect(resolved.card.body).toBe("agreed");
    expect(resolved.dropped).toBeUndefined();
  });
});

describe("FEED-5 paged catch-up and snapshots", () => {
  it("FEED-5 ten concurrent full catch-ups of a large board: every ack under 256 KiB, every change and card exactly once", async () => {
    const owner = await userSocket("pager");
    const { board, ids } = await largeBoard(owner, 300, 6_000);
    const readers = await Promise.all(Array.from({ length: 10 }, (_, i) => userSocket(`reader${i}`)));
    const rssBefore = process.memoryUsage().rss;

    const catchUps = await Promise.all(readers.map((r) => readAll(r, board.id, 0)));
    for (const c of catchUps) {
      expect(Math.max(...c.sizes)).toBeLessThanOrEqual(PAGE_LIMIT);
      expect(c.sizes.length).toBeGreaterThan(1);
      expect(c.changes.map((x) => x.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(c.seq).toBe(300);
    }
    const snapshots = await Promise.all(readers.map((r) => readAll(r, board.id)));
    for (const c of snapshots) {
      expect(Math.max(...c.sizes)).toBeLessThanOrEqual(PAGE_LIMIT);
      expect([...c.seen.keys()].sort()).toEqual([...ids].sort());
      expect([...c.seen.values()].every((n) => n === 1)).toBe(true);
      expect(c.seq).toBe(300);
    }
    const rssAfter = process.memoryUsage().rss;
    const total = catchUps.reduce((n, c) => n + c.sizes.reduce((a, b) => a + b, 0), 0);
    console.log(
      `FEED-5 figures: ${catchUps[0]!.sizes.length} change pages and ${snapshots[0]!.sizes.length} snapshot pages per reader, ` +
        `largest ack ${Math.max(...catchUps.flatMap((c) => c.sizes), ...snapshots.flatMap((c) => c.sizes))} B, ` +
        `${(total / 1e6).toFixed(1)} MB of changes sent in all, RSS ${(rssBefore / 1e6).toFixed(0)} → ${(rssAfter / 1e6).toFixed(0)} MB`,
    );
  });

  it("FEED-5 a snapshot read over several pages while the board changes ends exactly at the head, each card once", async () => {
    const owner = await userSocket("pager2");
    const { board, ids } = await largeBoard(owner, 120, 12_000);
    const reader = await userSocket("reader-live");
    const created: string[] = [];
    const result = await readAll(reader, board.id, undefined, async (page) => {
      if (page !== 0) return;
      // Between the first and the second page: move an unread card before everything, a read one
      // after everything, delete an unread one, edit an unread one, and create one.
      const patch = (id: string, p: Record<string, unknown>) =>
        ok(owner, "card:update", { mutationId: mid(), cardId: id, baseVersion: 1, patch: p });
      await patch(ids[119]!, { position: "a" });
      await patch(ids[0]!, { position: "z" });
      await patch(ids[100]!, { title: "edited" });
      await ok(owner, "card:delete", { mutationId: mid(), cardId: ids[110]!, baseVersion: 1 });
      const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "new", position: "p0050x" } });
      created.push(card.id);
    });
    expect(result.sizes.length).toBeGreaterThan(2);
    expect(Math.max(...result.sizes)).toBeLessThanOrEqual(PAGE_LIMIT);
    const sql = cluster.dbs.shards.get("a")!.sql;
    {
      const truth = await sql<{ id: string; version: number; title: string; position: string }[]>`
        SELECT id, version, title, position FROM cards WHERE board_id = ${board.id}`;
      const [head] = await sql<{ seq: string }[]>`SELECT seq FROM board_heads WHERE board_id = ${board.id}`;
      expect(result.seq).toBe(Number(head!.seq));
      const mine = [...result.state.values()].map((c) => ({ id: c.id, version: c.version, title: c.title, position: c.position }));
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      expect(mine.sort(byId)).toEqual([...truth].sort(byId));
      expect(result.state.has(ids[110]!)).toBe(false);
      expect(result.state.get(ids[100]!)?.title).toBe("edited");
      expect(result.state.has(created[0]!)).toBe(true);
    }
  });

  it("FEED-5 many small cards: pages under the limit, each card and change exactly once", async () => {
    const owner = await userSocket("pager-small");
    const { board, ids } = await largeBoard(owner, 1_100, 10);
    const snap = await readAll(owner, board.id);
    expect(snap.sizes.length).toBeGreaterThan(1);
    expect(Math.max(...snap.sizes)).toBeLessThanOrEqual(PAGE_LIMIT);
    expect([...snap.seen.keys()].sort()).toEqual([...ids].sort());
    expect([...snap.seen.values()].every((n) => n === 1)).toBe(true);
    const log = await readAll(owner, board.id, 0);
    expect(log.sizes.length).toBeGreaterThan(1);
    expect(Math.max(...log.sizes)).toBeLessThanOrEqual(PAGE_LIMIT);
    expect(log.changes.map((c) => c.seq)).toEqual(Array.from({ length: 1_100 }, (_, i) => i + 1));
  });

  it("FEED-5 cards whose positions are at their 64-character limit (POS-1) still page (the cursor fits the request schema)", async () => {
    const owner = await userSocket("pager-odd");
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: `odd-${mid()}`, policy: "occ", shard: "a" });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const position = `${"Z".repeat(58)}${String(i).padStart(6, "0")}`;
      const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { position, body: "x".repeat(19_000) } });
      ids.push(card.id);
    }
    const snap = await readAll(owner, board.id);
    expect(snap.sizes.length).toBeGreaterThan(1);
    expect([...snap.seen.keys()].sort()).toEqual([...ids].sort());
  });

  it("FEED-5 a forged or foreign cursor is BAD_REQUEST; a small board still answers in one page without `more`", async () => {
    const s = await userSocket("pager3");
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "small", policy: "occ", shard: "a" });
    await ok(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "one" } });
    const snap = await ok<JoinAck>(s, "board:join", { boardId: board.id });
    expect(snap.cards).toHaveLength(1);
    expect(snap.more).toBeUndefined();
    const changes = await ok<JoinAck>(s, "board:join", { boardId: board.id, since: 0 });
    expect(changes.changes).toHaveLength(1);
    expect(changes.more).toBeUndefined();
    for (const cursor of ["", "not-a-cursor", "x".repeat(2_000)]) {
      const r = await request(s, "board:join", { boardId: board.id, cursor });
      expect(r.ok ? "ok" : r.error.code).toBe("BAD_REQUEST");
    }
  });
});

describe("MVR-5 FEED-5 the figures tool", () => {
  it("MVR-5 FEED-5 server/tools/catch-up-memory.ts runs and reports bounded figures", async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/tools/catch-up-memory.ts"), "--cards", "40", "--readers", "3"], {
      cwd: root,
      env: { ...process.env, BENCH_DATABASE_URL: inject("adminUrl") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/→ 8 body values kept/);
    const largest = /largest ack (\d+) KiB; RSS/.exec(out);
    expect(largest, out).not.toBeNull();
    expect(Number(largest![1]) * 1024).toBeLessThanOrEqual(PAGE_LIMIT);
    expect(out).toMatch(/40 changes \/ 40 cards each/);
  });
});
