import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change, Lock } from "../../lib/protocol";
import { mid, ok, request, sqlFor, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

async function two() {
  const a = await cluster.connect((await cluster.signIn("alice")).token);
  const b = await cluster.connect((await cluster.signIn("bob")).token);
  return { a, b };
}

describe("LOCK-1..4 leases with fencing tokens", () => {
  it("another user's live lease answers LOCKED; a stale token answers STALE_LOCK even before the new holder writes", async () => {
    const { a, b } = await two();
    const { board } = await ok<{ board: Board }>(a, "board:create", { name: "locks", policy: "occ" });
    const { card } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t" } });
    const { lock } = await ok<{ lock: Lock }>(a, "lock:acquire", { cardId: card.id, ttlMs: 1000 });
    expect(lock.holder.name).toBe("alice");
    const blocked = await request(b, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "bob" } });
    expect(!blocked.ok && blocked.error.code).toBe("LOCKED");
    const busy = await request(b, "lock:acquire", { cardId: card.id });
    expect(!busy.ok && busy.error.code).toBe("LOCKED");
    // The holder writes with its token.
    await ok(a, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "alice" }, lockToken: lock.token });
    // Alice's lease expires without renewal; Bob gets a newer token.
    await expect.poll(async () => (await request(b, "lock:acquire", { cardId: card.id })).ok, { timeout: 5000, interval: 200 }).toBe(true);
    const bobs = await request<{ lock: Lock }>(b, "lock:renew", { cardId: card.id, token: -1 });
    expect(bobs.ok).toBe(false);
    // Alice still believes she holds the lease: her old token is refused by the database.
    const stale = await request(a, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 2, patch: { title: "late alice" }, lockToken: lock.token });
    expect(!stale.ok && stale.error.code).toBe("STALE_LOCK");
    const view = await ok<{ cards: Card[] }>(a, "board:join", { boardId: board.id });
    expect(view.cards[0]!.title).toBe("alice");
  });
});

describe("TX-1..4 moving cards between boards", () => {
  it("a same-shard move is one transaction: delete on the source log, upsert on the target log", async () => {
    const { a } = await two();
    const { board: from } = await ok<{ board: Board }>(a, "board:create", { name: "from", policy: "occ", shard: "a" });
    const { board: to } = await ok<{ board: Board }>(a, "board:create", { name: "to", policy: "occ", shard: "a" });
    const { card } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "mover" } });
    const moved = await ok<{ card: Card; txId?: string }>(a, "card:move", { mutationId: mid(), cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    expect(moved.txId).toBeUndefined();
    expect(moved.card.boardId).toBe(to.id);
    const src = await ok<{ cards: Card[] }>(a, "board:join", { boardId: from.id });
    const dst = await ok<{ cards: Card[] }>(a, "board:join", { boardId: to.id });
    expect(src.cards).toHaveLength(0);
    expect(dst.cards.map((c) => c.title)).toEqual(["mover"]);
  });

  it("a cross-shard move commits through 2PC, leaves the card on exactly one shard, and replays idempotently", async () => {
    const { a, b } = await two();
    const { board: from } = await ok<{ board: Board }>(a, "board:create", { name: "from", policy: "occ", shard: "a" });
    const { board: to } = await ok<{ board: Board }>(a, "board:create", { name: "to", policy: "occ", shard: "b" });
    await ok(b, "board:join", { boardId: to.id });
    const txs: string[] = [];
    const changes: Change[] = [];
    b.on("tx", (t) => txs.push(t.phase));
    b.on("change", (c) => changes.push(c));
    const { card } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "traveller" } });
    const m = mid();
    if (!cluster.dbs.twoPhaseCommit) {
      // A Postgres with max_prepared_transactions = 0: a clear error, and nothing half-done.
      const r = await request(a, "card:move", { mutationId: m, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
      expect(!r.ok && r.error.code).toBe("TWO_PHASE_UNAVAILABLE");
      expect((await ok<{ cards: Card[] }>(a, "board:join", { boardId: from.id })).cards).toHaveLength(1);
      return;
    }
    const moved = await ok<{ card: Card; txId?: string }>(a, "card:move", { mutationId: m, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    expect(moved.txId).toMatch(/^tx_/);
    const again = await ok<{ card: Card; txId?: string }>(a, "card:move", { mutationId: m, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    expect(again.card.id).toBe(card.id);
    await expect.poll(() => txs).toEqual(["preparing", "prepared", "committed"]);
    await expect.poll(() => changes.map((c) => c.type)).toEqual(["card.upsert"]);
    let found = 0;
    for (const url of Object.values({ a: cluster.dbs.shards.get("a")!, b: cluster.dbs.shards.get("b")! })) {
      const rows = await url.sql`SELECT count(*)::int AS n FROM cards WHERE id = ${card.id}`;
      found += rows[0]!.n as number;
      const prepared = await url.sql`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()`;
      expect(prepared[0]!.n).toBe(0);
    }
    expect(found).toBe(1);
  });

  it("recovery rolls back a prepared transaction whose coordinator never decided", async (ctx) => {
    // Needs max_prepared_transactions > 0 (.ci/run and the embedded server set it).
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const shard = cluster.dbs.shards.get("a")!;
    const sql = sqlFor(shard.sql.options.host ? `postgres://${shard.sql.options.user}:${shard.sql.options.pass ?? ""}@${shard.sql.options.host[0]}:${shard.sql.options.port[0]}/${shard.sql.options.database}` : "");
    await sql.begin(async (t) => {
      await t`SELECT 1`;
      await t.prepare("concord_tx_orphan-0000_a");
    });
    await sql.end();
    const before = await shard.sql`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid = 'concord_tx_orphan-0000_a'`;
    expect(before[0]!.n).toBe(1);
    const r = await cluster.nodes[0]!.services.moves.recover(0);
    expect(r.aborted).toBeGreaterThanOrEqual(1);
    const after = await shard.sql`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid = 'concord_tx_orphan-0000_a'`;
    expect(after[0]!.n).toBe(0);
  });
});
