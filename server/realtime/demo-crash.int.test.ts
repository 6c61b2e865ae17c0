import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change, TxStepBroadcast } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * SPEC TX-10 (the demo fault switch) with TX-4, TX-6, IDEM-1: a move whose coordinator crashes
 * after prepare is aborted by recovery exactly once, and its replay moves the card afresh, once;
 * after the decision, recovery commits it exactly once and the replay answers the stored result.
 * Every step reaches the boards as `tx:step`. A node without the switch refuses it.
 */
let cluster: TestCluster;
let plain: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ node: { demoFaults: true } });
  plain = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
  await plain?.close();
});

async function setUp(c: TestCluster) {
  const s = await c.connect((await c.signIn("mover")).token);
  const { board: from } = await ok<{ board: Board }>(s, "board:create", { name: "from", policy: "occ", shard: "a" });
  const { board: to } = await ok<{ board: Board }>(s, "board:create", { name: "to", policy: "occ", shard: "b" });
  const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "in doubt" } });
  await ok(s, "board:join", { boardId: from.id });
  await ok(s, "board:join", { boardId: to.id });
  const steps: TxStepBroadcast[] = [];
  s.on("tx:step", (st) => steps.push(st));
  return { s, from, to, card, steps };
}

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 25_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function prepared(): Promise<number> {
  let n = 0;
  for (const shard of cluster.dbs.shards.values()) n += (await shard.sql`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()`)[0]!.n as number;
  return n;
}

async function changes(s: TestSocket, boardId: string): Promise<Change[]> {
  return (await ok<{ changes: Change[] }>(s, "board:join", { boardId, since: 0 })).changes;
}

const describeSteps = (steps: TxStepBroadcast[], txId: string) =>
  steps.filter((x) => x.txId === txId).map((x) => `${x.by} ${x.kind === "log" ? `log ${x.state}` : x.kind === "part" ? `${x.shard} ${x.state}` : `crash after ${x.after}`}`);

describe("TX-10 the demo coordinator crash, recovered exactly once", () => {
  it("crash after prepare: in doubt until recovery aborts it after the grace; the replay then moves the card once", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const { s, from, to, card, steps } = await setUp(cluster);
    await ok(s, "sim:crash", { after: "prepare" });
    const mutationId = mid();
    let answered = false;
    void request(s, "card:move", { mutationId, cardId: card.id, toBoardId: to.id, baseVersion: 1 }).then(() => (answered = true));
    await until(() => steps.some((x) => x.kind === "crash"), "the crash step");
    const txId = steps.find((x) => x.kind === "crash")!.txId;
    // In doubt: both parts prepared, holding their locks; the card is still on the source board.
    expect(await prepared()).toBe(2);
    expect(steps.find((x) => x.kind === "crash")).toMatchObject({ after: "prepare", recoveryInMs: 10_500, cardId: card.id, fromBoardId: from.id, toBoardId: to.id });
    await until(() => describeSteps(steps, txId).filter((x) => x.startsWith("recovery")).length === 3, "recovery's steps");
    expect(describeSteps(steps, txId)).toEqual([
      "coordinator log preparing", "coordinator a prepared", "coordinator b prepared", "coordinator log prepared", "coordinator crash after prepare",
      "recovery log aborted", "recovery a rolled back", "recovery b rolled back",
    ]);
    expect(await prepared()).toBe(0);
    expect(answered).toBe(false); // the crashed coordinator never answered
    const [row] = await cluster.dbs.catalogSql<{ state: string }[]>`SELECT state FROM tx_log WHERE tx_id = ${txId}`;
    expect(row?.state).toBe("aborted");
    // The replay (same mutationId) moves the card afresh, in a new transaction; a second replay answers the same.
    const first = await ok<{ card: Card; txId: string }>(s, "card:move", { mutationId, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    expect(first.card.boardId).toBe(to.id);
    expect(first.txId).not.toBe(txId);
    const again = await ok<{ card: Card; txId: string }>(s, "card:move", { mutationId, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    expect(again.txId).toBe(first.txId);
    expect((await changes(s, from.id)).filter((c) => c.type === "card.delete" && c.cardId === card.id)).toHaveLength(1);
    expect((await changes(s, to.id)).filter((c) => c.type === "card.upsert" && c.card?.id === card.id)).toHaveLength(1);
    // The switch was spent on that move: the next one runs normally.
    const { card: other } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "normal" } });
    const normal = await ok<{ card: Card }>(s, "card:move", { mutationId: mid(), cardId: other.id, toBoardId: to.id, baseVersion: 1 });
    expect(normal.card.boardId).toBe(to.id);
  });

  it("crash after the decision: recovery commits both parts once; the replay answers the stored result of the crashed transaction", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const { s, from, to, card, steps } = await setUp(cluster);
    // A tab watching both boards: nobody writes after the crash, so only what recovery
    // broadcasts can tell it that the card left one board and arrived on the other.
    const watcher = await cluster.connect((await cluster.signIn("watcher")).token);
    const seen: Change[] = [];
    watcher.on("change", (c) => seen.push(c));
    await ok(watcher, "board:join", { boardId: from.id });
    await ok(watcher, "board:join", { boardId: to.id });
    await ok(s, "sim:crash", { after: "decision" });
    const mutationId = mid();
    void request(s, "card:move", { mutationId, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    await until(() => steps.some((x) => x.kind === "crash"), "the crash step");
    const txId = steps.find((x) => x.kind === "crash")!.txId;
    await until(() => describeSteps(steps, txId).filter((x) => x.startsWith("recovery")).length === 2, "recovery's commits");
    expect(describeSteps(steps, txId)).toEqual([
      "coordinator log preparing", "coordinator a prepared", "coordinator b prepared", "coordinator log prepared", "coordinator log committed",
      "coordinator crash after decision", "recovery a committed", "recovery b committed",
    ]);
    expect(await prepared()).toBe(0);
    await until(() => seen.some((c) => c.boardId === to.id && c.type === "card.upsert" && c.card?.id === card.id), "the recovered arrival on the watcher's target board", 5_000);
    await until(() => seen.some((c) => c.boardId === from.id && c.type === "card.delete" && c.cardId === card.id), "the recovered departure on the watcher's source board", 5_000);
    const replay = await ok<{ card: Card; txId: string }>(s, "card:move", { mutationId, cardId: card.id, toBoardId: to.id, baseVersion: 1 });
    expect(replay.txId).toBe(txId);
    expect(replay.card.boardId).toBe(to.id);
    expect((await changes(s, from.id)).filter((c) => c.type === "card.delete" && c.cardId === card.id)).toHaveLength(1);
    expect((await changes(s, to.id)).filter((c) => c.type === "card.upsert" && c.card?.id === card.id)).toHaveLength(1);
    // Recovery running again finds nothing to do: decided once, finished once.
    expect(await cluster.nodes[0]!.services.moves.recover(0)).toMatchObject({ committed: 0, aborted: 0 });
  });

  it("a node started without the switch refuses it (FORBIDDEN); a bad crash point is BAD_REQUEST", async () => {
    const s = await plain.connect((await plain.signIn("someone")).token);
    const r = await request(s, "sim:crash", { after: "prepare" });
    expect(r.ok === false && r.error.code).toBe("FORBIDDEN");
    const d = await cluster.connect((await cluster.signIn("someone")).token);
    const bad = await request(d, "sim:crash", { after: "later" });
    expect(bad.ok === false && bad.error.code).toBe("BAD_REQUEST");
  });
});
