import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { SimulatedCrash, type TxStep } from "../services/moves";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * SPEC TX-2..TX-9 under load: clients on two nodes move cards back and forth between boards on
 * two shards, in both directions at once, while node 1's coordinator "dies" at each 2PC step in turn and
 * node 2 runs recovery. A crashed request gets no real answer (INTERNAL stands for the dead
 * process); its client sends the same mutationId again, as the outbox does (OUTBOX-3).
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
});
afterAll(async () => {
  await cluster?.close();
});


describe("TX-5..TX-9 cross-shard move stress with coordinator crashes", () => {
  it("every card ends on exactly one shard, where its mover believes it is; nothing in doubt; the log agrees with the shards", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const owner = await cluster.signIn("owner");
    const admin = await cluster.connect(owner.token);
    const boards: Board[] = [];
    for (const shard of ["a", "a", "b", "b"]) {
      boards.push((await ok<{ board: Board }>(admin, "board:create", { name: `stress ${shard}`, policy: "occ", shard })).board);
    }
    // Four movers, two per node; each moves only its own cards, so it always knows their version.
    const movers: { socket: TestSocket; cards: Card[] }[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = await cluster.connect((await cluster.signIn(`mover${i}`)).token, { node: i % 2 });
      const cards: Card[] = [];
      for (let k = 0; k < 4; k++) {
        const board = boards[(i + k) % boards.length]!;
        cards.push((await ok<{ card: Card }>(socket, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `m${i}c${k}` } })).card);
      }
      movers.push({ socket, cards });
    }

    // Node 1's coordinator crashes in every second cross-shard move it runs, at each step in
    // turn, starting with one after the decision and one before it.
    const crashes: TxStep[] = [];
    const schedule: TxStep[] = ["decided", "logged", "source-committed", "target-prepared", "source-prepared"];
    let attempts = 0;
    let crashAt: TxStep | null = null;
    cluster.nodes[0]!.services.moves.faults = (step) => {
      if (step === "logged") crashAt = attempts++ % 2 === 0 ? schedule[(attempts >> 1) % schedule.length]! : null;
      if (step === crashAt) {
        crashes.push(step);
        throw new SimulatedCrash(step);
      }
    };
    // Node 2 runs recovery often (1 s grace), as the elected node would every 15 s.
    let recovering = true;
    const recovery = (async () => {
      while (recovering) {
        await cluster.nodes[1]!.services.moves.recover(1000, 60_000).catch(() => {});
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const finals: string[] = [];
    try {
      await Promise.all(
        movers.map(async (m, k) => {
          let seed = 7 + k; // each mover's own sequence of targets, whatever the interleaving
          const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
          for (let round = 0; round < 8; round++) {
            const i = round % m.cards.length;
            const card = m.cards[i]!;
            const choices = boards.filter((b) => b.id !== card.boardId);
            const to = choices[Math.floor(random() * choices.length)]!;
            const move = { mutationId: mid(), cardId: card.id, toBoardId: to.id, baseVersion: card.version };
            for (let attempt = 0; ; attempt++) {
              const r = await request<{ card: Card }>(m.socket, "card:move", move);
              if (!r.ok && r.error.code === "INTERNAL" && attempt < 20) {
                await new Promise((res) => setTimeout(res, 300)); // the process died: send it again
                continue;
              }
              finals.push(r.ok ? "ok" : r.error.code);
              if (r.ok) m.cards[i] = r.card;
              break;
            }
          }
        }),
      );
    } finally {
      cluster.nodes[0]!.services.moves.faults = null;
      recovering = false;
      await recovery;
    }
    await cluster.nodes[1]!.services.moves.recover(0, 60_000);

    // Crashes hit both sides of the decision: before it (recovery aborts) and after (it commits).
    expect(crashes.filter((s) => s === "decided" || s === "source-committed").length, crashes.join()).toBeGreaterThan(0);
    expect(crashes.filter((s) => s !== "decided" && s !== "source-committed").length, crashes.join()).toBeGreaterThan(0);
    expect(finals).toHaveLength(32);
    expect(finals.filter((f) => f !== "ok" && f !== "TX_ABORTED")).toEqual([]);
    expect(finals.filter((f) => f === "ok").length).toBeGreaterThan(16);

    // Every card is on exactly one shard, on the board its mover was last told.
    const believed = new Map(movers.flatMap((m) => m.cards.map((c) => [c.id, c.boardId] as const)));
    const copies = new Map<string, string[]>([...believed.keys()].map((id) => [id, []]));
    const applied = new Map<string, string>(); // move mutationId → txId of its stored result
    for (const shard of cluster.dbs.shards.values()) {
      const [p] = await shard.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()`;
      expect(p!.n).toBe(0);
      for (const r of await shard.sql<{ id: string; board_id: string }[]>`SELECT id, board_id FROM cards`) copies.get(r.id)?.push(r.board_id);
      for (const r of await shard.sql<{ mutation_id: string; tx: string | null }[]>`
        SELECT mutation_id, result->>'txId' AS tx FROM applied_mutations WHERE result ? 'txId'`) {
        if (r.tx) applied.set(r.mutation_id, r.tx);
      }
      // Each board's change log is gap-free (FEED-1).
      for (const h of await shard.sql<{ board_id: string; seq: number; n: number }[]>`
        SELECT h.board_id, h.seq::int AS seq, count(c.seq)::int AS n FROM board_heads h LEFT JOIN changes c ON c.board_id = h.board_id GROUP BY h.board_id, h.seq`) {
        expect(h.n, `board ${h.board_id}`).toBe(h.seq);
      }
    }
    for (const [id, where] of copies) expect(where, id).toEqual([believed.get(id)]);

    // The coordinator log agrees with the shards: nothing undecided, every stored move result
    // names a committed transaction, and every committed transaction's result is stored.
    const log = await cluster.dbs.catalogSql<{ tx_id: string; state: string; mutation_id: string }[]>`
      SELECT tx_id, state, payload->'req'->>'mutationId' AS mutation_id FROM tx_log`;
    expect(log.filter((t) => t.state !== "committed" && t.state !== "aborted")).toEqual([]);
    const state = new Map(log.map((t) => [t.tx_id, t.state]));
    for (const [mutationId, txId] of applied) expect(state.get(txId), mutationId).toBe("committed");
    for (const t of log.filter((t) => t.state === "committed")) expect(applied.get(t.mutation_id)).toBe(t.tx_id);
    // The catalog directory points every card at its board (ID-1).
    const dir = await cluster.dbs.catalogSql<{ card_id: string; board_id: string }[]>`
      SELECT card_id, board_id FROM card_ids WHERE card_id IN ${cluster.dbs.catalogSql([...believed.keys()])}`;
    for (const r of dir) expect(r.board_id).toBe(believed.get(r.card_id));
  });
});

describe("IDEM-2 replays on the other node, racing a cross-shard move", () => {
  it("a write replayed on node 2 while node 1 moves its card to another shard is applied once and answers its first result", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const { token } = await cluster.signIn("replayer");
    const here = await cluster.connect(token, { node: 0 });
    const there = await cluster.connect(token, { node: 1 });
    const from = (await ok<{ board: Board }>(here, "board:create", { name: "replay from", policy: "occ", shard: "a" })).board;
    const to = (await ok<{ board: Board }>(here, "board:create", { name: "replay to", policy: "occ", shard: "b" })).board;
    for (let round = 0; round < 5; round++) {
      const { card } = await ok<{ card: Card }>(here, "card:create", { mutationId: mid(), boardId: from.id, fields: { title: "v0" } });
      const m1 = { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: `m1 ${round}` } };
      const first = await ok<{ card: Card; seq: number }>(here, "card:update", m1);
      // Node 2 learns where the card is (its cache then goes stale), then replays during the move.
      expect(await ok(there, "card:update", m1)).toEqual(first);
      const [moved, ...replays] = await Promise.all([
        ok<{ card: Card }>(here, "card:move", { mutationId: mid(), cardId: card.id, toBoardId: to.id, baseVersion: 2 }),
        ...Array.from({ length: 4 }, () => request(there, "card:update", m1)),
      ]);
      for (const r of replays) expect(r).toEqual(first);
      // Node 2 writes next, so it finds the card on its new shard; the replay after that is
      // answered there, from the mutations the move carried along.
      const m2 = await ok<{ card: Card }>(there, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: moved.card.version, patch: { title: "m2" } });
      expect(await request(there, "card:update", m1)).toEqual(first);
      expect(await request(here, "card:update", m1)).toEqual(first);
      // Applied once: one change on any shard carries m1, and the card still shows m2.
      let applied = 0;
      for (const shard of cluster.dbs.shards.values()) {
        const [r] = await shard.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM changes WHERE mutation_id = ${m1.mutationId}`;
        applied += r!.n;
      }
      expect(applied).toBe(1);
      const view = await ok<{ cards: Card[] }>(there, "board:join", { boardId: to.id });
      expect(view.cards.find((c) => c.id === card.id)).toEqual(m2.card);
    }
  });
});
