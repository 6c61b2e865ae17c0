import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, BoardBroadcast, Card } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * SPEC BOARD-1 … BOARD-8 over two real nodes (broadcasts and cache invalidations cross through
 * the Postgres adapter): rename, archive, delete and leave, who may do each, what each does to
 * cards, ids, invites and other nodes' caches, and the board list's owners and card counts.
 */

async function expectCode(s: TestSocket, event: string, payload: unknown, code: string): Promise<void> {
  const r = await request(s, event, payload);
  expect(r.ok ? "ok" : r.error.code, `${event} ${JSON.stringify(payload)}`).toBe(code);
}

/** Retries `check` until it passes (a broadcast or invalidation crossing nodes), at most 5 s. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function boardEvents(s: TestSocket): BoardBroadcast[] {
  const seen: BoardBroadcast[] = [];
  s.on("board", (b) => seen.push(b));
  return seen;
}

describe("BOARD-1 … BOARD-8 managing boards (two nodes)", () => {
  let c: TestCluster;
  let owner: TestSocket;
  let member: TestSocket;
  let stranger: TestSocket;
  let ownerId: string;
  let ownerToken: string;
  let memberToken: string;
  beforeAll(async () => {
    c = await startCluster({ nodes: 2 });
    const o = await c.signIn("Olive");
    ownerId = o.user.id;
    ownerToken = o.token;
    owner = await c.connect(o.token, { node: 0 });
    memberToken = (await c.signIn("Max")).token;
    member = await c.connect(memberToken, { node: 1 });
    stranger = await c.connect((await c.signIn("Sam")).token, { node: 1 });
  });
  afterAll(async () => c?.close());

  async function privateBoardWithMember(name: string): Promise<Board> {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name, policy: "occ", visibility: "private" });
    const { code } = await ok<{ code: string }>(owner, "board:invite", { boardId: board.id });
    await ok(member, "board:accept", { code });
    return board;
  }

  it("BOARD-1/6: the owner renames; members on another node hear it; others get FORBIDDEN or NOT_FOUND and nothing changes", async () => {
    const board = await privateBoardWithMember("Old name");
    await ok(member, "board:join", { boardId: board.id }); // node 2 caches the board's metadata
    const heard = boardEvents(member);
    const renamed = await ok<{ board: Board }>(owner, "board:rename", { boardId: board.id, name: "  New name  " });
    expect(renamed.board.name).toBe("New name");
    await eventually(async () => expect(heard.filter((e) => e.boardId === board.id).map((e) => e.board?.name)).toContain("New name"));
    await eventually(async () => expect((await ok<{ board: Board }>(member, "board:join", { boardId: board.id })).board.name).toBe("New name"));
    await expectCode(member, "board:rename", { boardId: board.id, name: "Mine now" }, "FORBIDDEN");
    await expectCode(stranger, "board:rename", { boardId: board.id, name: "Mine now" }, "NOT_FOUND");
    for (const bad of [{ boardId: board.id, name: "" }, { boardId: board.id, name: "x".repeat(101) }, { boardId: board.id }, { boardId: board.id, name: 5 }, { boardId: board.id, name: "a\u0000" }]) {
      await expectCode(owner, "board:rename", bad, "BAD_REQUEST");
    }
    const { boards } = await ok<{ boards: Board[] }>(owner, "board:list", {});
    expect(boards.find((b) => b.id === board.id)?.name).toBe("New name");
  });

  it("BOARD-3: an archived board is read-only (FORBIDDEN for new writes and locks, replays answer their first result) until restored", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "Archive me", policy: "lww" });
    const createId = mid();
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: createId, boardId: board.id, fields: { title: "kept" } });
    await ok(member, "board:join", { boardId: board.id }); // node 2 caches it as not archived
    await expectCode(member, "board:archive", { boardId: board.id, archived: true }, "FORBIDDEN");
    const archived = await ok<{ board: Board }>(owner, "board:archive", { boardId: board.id, archived: true });
    expect(archived.board.archived).toBe(true);
    // From the archive's answer on, whether node 2 has heard of it yet or not (BOARD-8).
    await expectCode(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "no" } }, "FORBIDDEN");
    await expectCode(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "no" } }, "FORBIDDEN");
    await expectCode(owner, "card:delete", { mutationId: mid(), cardId: card.id, baseVersion: card.version }, "FORBIDDEN");
    await expectCode(owner, "lock:acquire", { cardId: card.id }, "FORBIDDEN");
    const replay = await ok<{ card: Card }>(owner, "card:create", { mutationId: createId, boardId: board.id, fields: { title: "kept" } });
    expect(replay.card.id).toBe(card.id);
    const joined = await ok<{ board: Board; cards: Card[] }>(member, "board:join", { boardId: board.id });
    expect(joined.cards.map((x) => x.title)).toEqual(["kept"]);
    await ok(owner, "board:archive", { boardId: board.id, archived: false });
    await eventually(async () => {
      await ok(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "edited again" } });
    });
  });

  it("BOARD-8 attack: a node that never hears of the archive or the delete (its message lost) writes nothing to the board", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "Sealed", policy: "occ" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "kept" } });
    const { board: elsewhere } = await ok<{ board: Board }>(member, "board:create", { name: "Elsewhere", policy: "occ" });
    const { card: mine } = await ok<{ card: Card }>(member, "card:create", { mutationId: mid(), boardId: elsewhere.id, fields: { title: "mine" } });
    await ok(member, "board:join", { boardId: board.id }); // node 2 caches the board as open
    const deaf = c.nodes[1]!.services.boards;
    const forget = deaf.forget.bind(deaf);
    deaf.forget = () => {}; // the fault: node 2 misses every invalidation from here on
    const titles = async () => (await ok<{ cards: Card[] }>(owner, "board:join", { boardId: board.id })).cards.map((x) => x.title);
    try {
      await ok(owner, "board:archive", { boardId: board.id, archived: true });
      await expectCode(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "no" } }, "FORBIDDEN");
      await expectCode(member, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "no" } }, "FORBIDDEN");
      await expectCode(member, "card:delete", { mutationId: mid(), cardId: card.id, baseVersion: card.version }, "FORBIDDEN");
      await expectCode(member, "card:move", { mutationId: mid(), cardId: mine.id, toBoardId: board.id, baseVersion: mine.version }, "FORBIDDEN");
      await expectCode(member, "lock:acquire", { cardId: card.id }, "FORBIDDEN");
      expect(await titles()).toEqual(["kept"]);

      await ok(owner, "board:archive", { boardId: board.id, archived: false });
      const open = await ok<{ card: Card }>(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "open again" } });
      const { lock } = await ok<{ lock: { token: number } }>(member, "lock:acquire", { cardId: card.id });
      await ok(member, "lock:release", { cardId: card.id, token: lock.token });

      await ok(owner, "board:delete", { boardId: board.id });
      await expectCode(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: open.card.version, patch: { title: "gone" } }, "NOT_FOUND");
      await expectCode(member, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "gone" } }, "NOT_FOUND");
      await expectCode(member, "card:move", { mutationId: mid(), cardId: mine.id, toBoardId: board.id, baseVersion: mine.version }, "NOT_FOUND");
      await expectCode(member, "lock:acquire", { cardId: card.id }, "NOT_FOUND");
      const [row] = await c.dbs.shards.get(board.shard)!.sql<{ title: string }[]>`SELECT title FROM cards WHERE id = ${card.id}`;
      expect(row?.title).toBe("open again");
    } finally {
      deaf.forget = forget;
    }
  });

  it("BOARD-8 attack: a head held elsewhere (a stuck batch or move) makes the archive and the restore answer UNAVAILABLE within their bound and change nothing", async () => {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name: "Held", policy: "occ" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t" } });
    const holder = c.dbs.shards.get(board.shard)!.sql;
    /** `event` while another transaction holds the board's head: UNAVAILABLE within the bound. */
    const whileHeld = async (event: string, payload: unknown) => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let held!: () => void;
      const holding = new Promise<void>((r) => (held = r));
      const tx = holder.begin(async (t) => {
        await t`SELECT 1 FROM board_heads WHERE board_id = ${board.id} FOR UPDATE`;
        held();
        await released;
      });
      await holding;
      const started = Date.now();
      try {
        await expectCode(owner, event, payload, "UNAVAILABLE");
      } finally {
        release();
        await tx;
      }
      expect(Date.now() - started).toBeLessThan(10_000);
    };
    await whileHeld("board:archive", { boardId: board.id, archived: true });
    const { board: now } = await ok<{ board: Board }>(owner, "board:join", { boardId: board.id });
    expect(now.archived).toBeUndefined();
    const { card: edited } = await ok<{ card: Card }>(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "still open" } });
    await ok(owner, "board:archive", { boardId: board.id, archived: true });
    await whileHeld("board:archive", { boardId: board.id, archived: false });
    // Nothing changed: not the catalog (a node's cache may still hold the board), nor the head.
    const [row] = await c.dbs.catalogSql<{ archived: boolean }[]>`SELECT archived_at IS NOT NULL AS archived FROM boards WHERE id = ${board.id}`;
    expect(row?.archived).toBe(true);
    await expectCode(owner, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: edited.version, patch: { title: "no" } }, "FORBIDDEN");
  });

  /**
   * An owner action (`first`, through node 1) held right after it closed the board's head
   * (`closed`) and before it changes the catalog, while a whole restore runs through another
   * socket of the owner. Node 2 cached the board as open before and misses every invalidation
   * after. Answers the first action's ack, the head's state, what the member's update through
   * node 2 answers, and the card's title.
   */
  async function raceWithRestore(name: string, closed: "archived" | "deleted", first: string, payload: (boardId: string) => unknown) {
    const { board } = await ok<{ board: Board }>(owner, "board:create", { name, policy: "occ" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "kept" } });
    await ok(member, "board:join", { boardId: board.id }); // node 2 caches the board as open
    const store = c.dbs.shards.get(board.shard)!;
    const settleClosed = store.settleClosed.bind(store);
    let holding!: () => void;
    const isHolding = new Promise<void>((r) => (holding = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = false;
    store.settleClosed = async (id, decide, wait) => {
      const kept = await settleClosed(id, decide, wait);
      if (id === board.id && kept === closed && !held) {
        held = true; // the first action's close, committed; the rest of it waits
        holding();
        await released;
      }
      return kept;
    };
    const deaf = c.nodes[1]!.services.boards;
    const forget = deaf.forget.bind(deaf);
    deaf.forget = () => {};
    try {
      const firstDone = request<{ board: Board }>(owner, first, payload(board.id));
      await isHolding;
      const ownerAgain = await c.connect(ownerToken, { node: 0 });
      await ok(ownerAgain, "board:archive", { boardId: board.id, archived: false });
      release();
      const ack = await firstDone;
      const [head] = await store.sql<{ closed: string | null }[]>`SELECT closed FROM board_heads WHERE board_id = ${board.id}`;
      const update = await request(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "written" } });
      const [row] = await store.sql<{ title: string }[]>`SELECT title FROM cards WHERE id = ${card.id}`;
      return { ack: ack.ok ? "ok" : ack.error.code, closed: head?.closed, update: update.ok ? "ok" : update.error.code, title: row?.title };
    } finally {
      release();
      store.settleClosed = settleClosed;
      deaf.forget = forget;
    }
  }

  it("BOARD-8 attack: a restore in the middle of a delete never opens the deleted board again, even for a node that missed both", async () => {
    const r = await raceWithRestore("Raced", "deleted", "board:delete", (boardId) => ({ boardId }));
    expect(r).toEqual({ ack: "ok", closed: "deleted", update: "NOT_FOUND", title: "kept" });
  });

  it("BOARD-8 attack: a restore in the middle of an archive leaves the head as the catalog says, even for a node that missed both", async () => {
    const r = await raceWithRestore("Tug of war", "archived", "board:archive", (boardId) => ({ boardId, archived: true }));
    expect(r).toEqual({ ack: "ok", closed: "archived", update: "FORBIDDEN", title: "kept" });
  });

  it("BOARD-8: at start-up, heads that disagree with the catalog are settled to it (closed before migration 0007; an archive that died halfway)", async () => {
    const { board: archived } = await ok<{ board: Board }>(owner, "board:create", { name: "Old archive", policy: "occ", shard: "a" });
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: archived.id, fields: { title: "kept" } });
    const { board: deleted } = await ok<{ board: Board }>(owner, "board:create", { name: "Old delete", policy: "occ", shard: "a" });
    const { board: open } = await ok<{ board: Board }>(owner, "board:create", { name: "Still open", policy: "occ", shard: "a" });
    const { board: halfway } = await ok<{ board: Board }>(owner, "board:create", { name: "Archive died", policy: "occ", shard: "a" });
    const { card: stuck } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: halfway.id, fields: { title: "stuck" } });
    await ok(member, "board:join", { boardId: archived.id }); // node 2 caches it as open
    const deaf = c.nodes[1]!.services.boards;
    const forget = deaf.forget.bind(deaf);
    deaf.forget = () => {};
    try {
      await ok(owner, "board:archive", { boardId: archived.id, archived: true });
      await ok(owner, "board:delete", { boardId: deleted.id });
      // What a shard upgraded to 0007 holds for boards closed before it: every head open.
      const store = c.dbs.shards.get(archived.shard)!;
      await store.sql`UPDATE board_heads SET closed = NULL WHERE board_id IN ${store.sql([archived.id, deleted.id])}`;
      await ok(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "the gap" } });
      // A crash between an archive's first step (the head closed) and the catalog's change.
      await store.settleClosed(halfway.id, async () => "archived", "5s");
      await expectCode(owner, "card:update", { mutationId: mid(), cardId: stuck.id, baseVersion: stuck.version, patch: { title: "x" } }, "FORBIDDEN");
      // What each node runs as it starts.
      expect(await c.nodes[0]!.services.boards.settleHeads()).toBeGreaterThanOrEqual(3);
      const heads = await store.sql<{ board_id: string; closed: string | null }[]>`
        SELECT board_id, closed FROM board_heads WHERE board_id IN ${store.sql([archived.id, deleted.id, open.id, halfway.id])}`;
      expect(Object.fromEntries(heads.map((h) => [h.board_id, h.closed]))).toEqual({ [archived.id]: "archived", [deleted.id]: "deleted", [open.id]: null, [halfway.id]: null });
      await expectCode(member, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version + 1, patch: { title: "closed" } }, "FORBIDDEN");
      await ok(owner, "card:update", { mutationId: mid(), cardId: stuck.id, baseVersion: stuck.version, patch: { title: "writable again" } });
      expect(await c.nodes[0]!.services.boards.settleHeads()).toBe(0); // nothing left to settle
    } finally {
      deaf.forget = forget;
    }
  });

  it("BOARD-4: the owner deletes; it answers NOT_FOUND everywhere, its invites admit nobody, its card ids are never reused", async () => {
    const board = await privateBoardWithMember("Doomed");
    const { card } = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "gone soon" } });
    const { code } = await ok<{ code: string }>(owner, "board:invite", { boardId: board.id });
    await ok(member, "board:join", { boardId: board.id });
    const heard = boardEvents(member);
    await expectCode(member, "board:delete", { boardId: board.id }, "FORBIDDEN");
    await expectCode(stranger, "board:delete", { boardId: board.id }, "NOT_FOUND");
    await ok(owner, "board:delete", { boardId: board.id });
    await eventually(async () => expect(heard).toContainEqual({ boardId: board.id, removed: "deleted" }));
    for (const s of [owner, member]) {
      await eventually(() => expectCode(s, "board:join", { boardId: board.id }, "NOT_FOUND"));
      await expectCode(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { title: "x" } }, "NOT_FOUND");
      await expectCode(s, "card:history", { cardId: card.id }, "NOT_FOUND");
      const { boards } = await ok<{ boards: Board[] }>(s, "board:list", {});
      expect(boards.map((b) => b.id)).not.toContain(board.id);
    }
    await expectCode(stranger, "board:accept", { code }, "NOT_FOUND");
    await expectCode(owner, "board:delete", { boardId: board.id }, "NOT_FOUND");
    const { board: other } = await ok<{ board: Board }>(owner, "board:create", { name: "Elsewhere", policy: "occ" });
    await expectCode(owner, "card:create", { mutationId: mid(), boardId: other.id, cardId: card.id, fields: { title: "reuse?" } }, "BAD_REQUEST");
  });

  it("BOARD-5: a member leaves (on every node at once); the owner cannot; a non-member gets BAD_REQUEST", async () => {
    const board = await privateBoardWithMember("Leave me");
    await ok(member, "board:join", { boardId: board.id }); // node 2 remembers Max may see it
    const heard = boardEvents(member);
    await expectCode(owner, "board:quit", { boardId: board.id }, "FORBIDDEN");
    await expectCode(stranger, "board:quit", { boardId: board.id }, "NOT_FOUND");
    const { board: open } = await ok<{ board: Board }>(owner, "board:create", { name: "Open one", policy: "occ" });
    await expectCode(stranger, "board:quit", { boardId: open.id }, "BAD_REQUEST");
    // Max leaves through node 1; node 2 (where Max's other socket is) must forget what it cached.
    const maxOnNode1 = await c.connect(memberToken, { node: 0 });
    await ok(maxOnNode1, "board:quit", { boardId: board.id });
    await eventually(async () => expect(heard).toContainEqual({ boardId: board.id, removed: "left" }));
    await eventually(() => expectCode(member, "board:join", { boardId: board.id }, "NOT_FOUND"));
    await expectCode(member, "board:quit", { boardId: board.id }, "NOT_FOUND");
    const { boards } = await ok<{ boards: Board[] }>(member, "board:list", {});
    expect(boards.map((b) => b.id)).not.toContain(board.id);
  });

  it("BOARD-7: the list names owners, counts cards (not changes) and marks boards joined by invite", async () => {
    const board = await privateBoardWithMember("Counted");
    const a = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "a" } });
    const b = await ok<{ card: Card }>(owner, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "b" } });
    let version = a.card.version;
    for (const t of ["a1", "a2", "a3"]) version = (await ok<{ card: Card }>(owner, "card:update", { mutationId: mid(), cardId: a.card.id, baseVersion: version, patch: { title: t } })).card.version;
    await ok(owner, "card:delete", { mutationId: mid(), cardId: b.card.id, baseVersion: b.card.version });
    const mine = (await ok<{ boards: Board[] }>(owner, "board:list", {})).boards.find((x) => x.id === board.id)!;
    expect(mine).toMatchObject({ ownerId, ownerName: "Olive", cardCount: 1 });
    expect(mine.seq).toBeGreaterThan(1);
    expect(mine.member).toBeUndefined();
    const theirs = (await ok<{ boards: Board[] }>(member, "board:list", {})).boards.find((x) => x.id === board.id)!;
    expect(theirs).toMatchObject({ ownerName: "Olive", cardCount: 1, member: true });
  });
});
