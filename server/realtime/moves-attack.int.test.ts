import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Policy } from "../../lib/protocol";
import { SimulatedCrash, type TxStep } from "../services/moves";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * Attacks on moves and idempotency (issue: the guarantees hold under attack). Each test drives
 * the server the way an outside script would, over real sockets, and then checks the shards.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** Every shard's copy of each card id, and the prepared transactions left on every shard. */
async function shardsOf(c: TestCluster, cardIds: string[]) {
  const copies = new Map<string, string[]>(cardIds.map((id) => [id, []]));
  let prepared = 0;
  for (const shard of c.dbs.shards.values()) {
    const rows = await shard.sql<{ id: string; board_id: string }[]>`SELECT id, board_id FROM cards WHERE id IN ${shard.sql(cardIds)}`;
    for (const r of rows) copies.get(r.id)!.push(`${shard.name}:${r.board_id}`);
    const [p] = await shard.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()`;
    prepared += p!.n;
  }
  return { copies, prepared };
}

async function board(s: TestSocket, shard: string, policy: Policy = "occ"): Promise<Board> {
  return (await ok<{ board: Board }>(s, "board:create", { name: `${policy} on ${shard}`, policy, shard })).board;
}

async function card(s: TestSocket, boardId: string, title: string): Promise<Card> {
  return (await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId, fields: { title } })).card;
}

describe("TX-5 opposite cross-shard moves cannot deadlock", () => {
  it("six pairs of moves a→b and b→a at once all commit quickly; every card ends on exactly one shard", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const s = await cluster.connect((await cluster.signIn("mover")).token);
    const onA = await board(s, "a");
    const onB = await board(s, "b");
    const fromA = await Promise.all(Array.from({ length: 6 }, (_, i) => card(s, onA.id, `a${i}`)));
    const fromB = await Promise.all(Array.from({ length: 6 }, (_, i) => card(s, onB.id, `b${i}`)));
    const started = Date.now();
    const answers = await Promise.all([
      ...fromA.map((c) => request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: onB.id, baseVersion: c.version })),
      ...fromB.map((c) => request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: onA.id, baseVersion: c.version })),
    ]);
    expect(answers.map((r) => (r.ok ? "ok" : `${r.error.code}: ${r.error.message}`))).toEqual(Array(12).fill("ok"));
    expect(Date.now() - started).toBeLessThan(8000);
    const { copies, prepared } = await shardsOf(cluster, [...fromA, ...fromB].map((c) => c.id));
    expect(prepared).toBe(0);
    for (const c of fromA) expect(copies.get(c.id)).toEqual([`b:${onB.id}`]);
    for (const c of fromB) expect(copies.get(c.id)).toEqual([`a:${onA.id}`]);
  });
});

describe("TX-6 one decision per transaction", () => {
  it("recovery that aborts an undecided transaction wins: the coordinator cannot commit it afterwards", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const s = await cluster.connect((await cluster.signIn("slow")).token);
    const from = await board(s, "a");
    const to = await board(s, "b");
    const c = await card(s, from.id, "in doubt");
    const moves = cluster.nodes[0]!.services.moves;
    // The coordinator stalls after both parts are prepared; meanwhile recovery decides abort.
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    let recovered: Promise<unknown> | null = null;
    moves.faults = (step) => {
      if (step === "target-prepared") {
        recovered = moves.recover(0).finally(release);
        return stalled;
      }
    };
    try {
      const r = await request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 });
      expect(!r.ok && r.error.code).toBe("TX_ABORTED");
    } finally {
      moves.faults = null;
    }
    await recovered;
    const { copies, prepared } = await shardsOf(cluster, [c.id]);
    expect(prepared).toBe(0);
    expect(copies.get(c.id)).toEqual([`a:${from.id}`]);
    const states = await cluster.dbs.catalogSql<{ state: string }[]>`SELECT state FROM tx_log WHERE payload->'req'->>'cardId' = ${c.id}`;
    expect(states.map((t) => t.state)).toEqual(["aborted"]);
  });
});

describe("IDEM-2 a replay after a cross-shard move returns the first result", () => {
  for (const policy of ["occ", "lww", "mvr"] as const) {
    it(`${policy}: update on a, move to b, update again, replay the first update: stored answer, nothing applied`, async (ctx) => {
      if (!cluster.dbs.twoPhaseCommit) ctx.skip();
      const s = await cluster.connect((await cluster.signIn(`replayer-${policy}`)).token);
      const from = await board(s, "a", policy);
      const to = await board(s, "b", policy);
      const c = await card(s, from.id, "v0");
      const m1 = { mutationId: mid(), cardId: c.id, baseVersion: 1, patch: { title: "m1" }, ...(policy === "mvr" ? { context: {} } : {}) };
      const first = await ok<{ card: Card; seq: number }>(s, "card:update", m1);
      const moved = await ok<{ card: Card }>(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: first.card.version });
      const m2 = await ok<{ card: Card }>(s, "card:update", {
        mutationId: mid(), cardId: c.id, baseVersion: moved.card.version, patch: { title: "m2" },
        ...(policy === "mvr" ? { context: moved.card.clock } : {}),
      });
      const replay = await ok<{ card: Card; seq: number }>(s, "card:update", m1);
      expect(replay).toEqual(first);
      const view = await ok<{ cards: Card[]; seq: number }>(s, "board:join", { boardId: to.id });
      expect(view.cards).toEqual([m2.card]);
    });
  }
});

describe("ID-1 card ids are unique across shards", () => {
  it("creating a card with an existing card's id on another shard's board is refused; the owner's edits stay on the owner's board", async () => {
    const victim = await cluster.connect((await cluster.signIn("victim")).token);
    const attacker = await cluster.connect((await cluster.signIn("attacker")).token);
    const privateBoard = (await ok<{ board: Board }>(victim, "board:create", { name: "secret", policy: "occ", shard: "a", visibility: "private" })).board;
    const own = await card(victim, privateBoard.id, "mine");
    const trap = await board(attacker, "b");
    const shadow = await request(attacker, "card:create", { mutationId: mid(), boardId: trap.id, cardId: own.id, fields: { title: "shadow" } });
    expect(!shadow.ok && shadow.error.code).toBe("BAD_REQUEST");
    await ok(victim, "card:update", { mutationId: mid(), cardId: own.id, baseVersion: 1, patch: { body: "private text" } });
    const seen = await ok<{ cards: Card[] }>(attacker, "board:join", { boardId: trap.id });
    expect(seen.cards).toEqual([]);
    const { copies } = await shardsOf(cluster, [own.id]);
    expect(copies.get(own.id)).toEqual([`a:${privateBoard.id}`]);
  });

  it("a deleted card's id is never reused, on its own board or another; a retried create still answers its first result", async () => {
    const s = await cluster.connect((await cluster.signIn("reuser")).token);
    const b = await board(s, "a");
    const id = mid().replace("m_", "c_reuse-");
    const create = { mutationId: mid(), boardId: b.id, cardId: id, fields: { title: "first" } };
    const first = await ok<{ card: Card; seq: number }>(s, "card:create", create);
    expect(await ok(s, "card:create", create)).toEqual(first); // a replay of the create
    await ok(s, "card:delete", { mutationId: mid(), cardId: id, baseVersion: 1 });
    const again = await request(s, "card:create", { mutationId: mid(), boardId: b.id, cardId: id, fields: { title: "second" } });
    expect(!again.ok && again.error.code).toBe("BAD_REQUEST");
    const view = await ok<{ cards: Card[] }>(s, "board:join", { boardId: b.id });
    expect(view.cards.map((c) => c.id)).not.toContain(id);
  });

  it("two creates of one new id on two shards at once: exactly one wins", async () => {
    const s = await cluster.connect((await cluster.signIn("racer")).token);
    const onA = await board(s, "a");
    const onB = await board(s, "b");
    for (let round = 0; round < 10; round++) {
      const id = mid().replace("m_", `c_race-${round}-`);
      const answers = await Promise.all([onA, onB].map((b) => request(s, "card:create", { mutationId: mid(), boardId: b.id, cardId: id, fields: {} })));
      expect(answers.map((r) => (r.ok ? "ok" : r.error.code)).sort()).toEqual(["BAD_REQUEST", "ok"]);
      const { copies } = await shardsOf(cluster, [id]);
      expect(copies.get(id)).toHaveLength(1);
    }
  });
});

describe("TX-7 moves within one shard in opposite directions", () => {
  it("never deadlock: every answer is ok", async () => {
    const s = await cluster.connect((await cluster.signIn("shuffler")).token);
    const left = await board(s, "a");
    const right = await board(s, "a");
    const ls = await Promise.all(Array.from({ length: 8 }, (_, i) => card(s, left.id, `l${i}`)));
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => card(s, right.id, `r${i}`)));
    const answers = await Promise.all([
      ...ls.map((c) => request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: right.id, baseVersion: 1 })),
      ...rs.map((c) => request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: left.id, baseVersion: 1 })),
    ]);
    expect(answers.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(Array(16).fill("ok"));
  });
});

describe("TX-8 the same move sent twice at once", () => {
  it("answers the stored result both times", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const s = await cluster.connect((await cluster.signIn("twice")).token);
    const from = await board(s, "a");
    const to = await board(s, "b");
    for (let round = 0; round < 5; round++) {
      const c = await card(s, from.id, `twice ${round}`);
      const move = { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 };
      const [x, y] = await Promise.all([request(s, "card:move", move), request(s, "card:move", move)]);
      expect([x.ok ? "ok" : x.error.code, y.ok ? "ok" : y.error.code]).toEqual(["ok", "ok"]);
      expect(x).toEqual(y);
    }
  });
});

describe("TX-4 recovery keeps the coordinator log small", () => {
  it("decided transactions are removed once finished and old enough; recovery does not reload them", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const s = await cluster.connect((await cluster.signIn("tidy")).token);
    const from = await board(s, "a");
    const to = await board(s, "b");
    const c = await card(s, from.id, "tidy");
    const moved = await ok<{ txId: string }>(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 });
    const moves = cluster.nodes[0]!.services.moves;
    await moves.recover(0, 0);
    const left = await cluster.dbs.catalogSql`SELECT 1 FROM tx_log WHERE tx_id = ${moved.txId}`;
    expect(left).toHaveLength(0);
  });
});

describe("TX-9 shard names with underscores", () => {
  let under: TestCluster;
  beforeAll(async () => {
    under = await startCluster({ shards: ["shard_a", "shard_b"] });
  });
  afterAll(async () => {
    await under?.close();
  });

  it("a crash after the decision is finished by recovery: the card is on the target, never lost", async (ctx) => {
    if (!under.dbs.twoPhaseCommit) ctx.skip();
    const s = await under.connect((await under.signIn("underscore")).token);
    const from = await board(s, "shard_a");
    const to = await board(s, "shard_b");
    const c = await card(s, from.id, "keep me");
    const moves = under.nodes[0]!.services.moves;
    moves.faults = (step) => {
      if (step === "decided") throw new SimulatedCrash(step);
    };
    try {
      await request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 });
    } finally {
      moves.faults = null;
    }
    await moves.recover(0);
    const { copies, prepared } = await shardsOf(under, [c.id]);
    expect(prepared).toBe(0);
    expect(copies.get(c.id)).toEqual([`shard_b:${to.id}`]);
  });
});

describe("TX-4 recovery finishes what it can while one shard is away", () => {
  it("a shard that cannot be read (a failover in progress) does not keep recovery from the other shard's parts and the log", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const s = await cluster.connect((await cluster.signIn("half-away")).token);
    const from = await board(s, "a");
    const to = await board(s, "b");
    const moves = cluster.nodes[0]!.services.moves;
    // Two coordinators die: one right after logging (no part anywhere), one with its source part
    // prepared on shard a.
    const crash = async (title: string, step: TxStep) => {
      const c = await card(s, from.id, title);
      moves.faults = (at) => {
        if (at === step) throw new SimulatedCrash(at);
      };
      try {
        expect((await request(s, "card:move", { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 })).ok).toBe(false);
      } finally {
        moves.faults = null;
      }
      return c;
    };
    const logged = await crash("died after logging", "logged");
    const prepared = await crash("died after preparing on a", "source-prepared");
    // Shard b cannot be read by recovery (a fault: its primary is away).
    const b = cluster.dbs.shards.get("b")!;
    const read = b.preparedParts.bind(b);
    b.preparedParts = () => Promise.reject(new Error("shard b is away"));
    try {
      await expect(moves.recover(0)).rejects.toThrow("shard b is away"); // reported, after doing the rest
    } finally {
      b.preparedParts = read;
    }
    const states = async (c: Card) => (await cluster.dbs.catalogSql<{ state: string }[]>`SELECT state FROM tx_log WHERE payload->'req'->>'cardId' = ${c.id}`).map((t) => t.state);
    expect(await states(logged)).toEqual(["aborted"]);
    expect(await states(prepared)).toEqual(["aborted"]);
    const after = await shardsOf(cluster, [logged.id, prepared.id]);
    expect(after.prepared).toBe(0); // shard a's part was rolled back though shard b was away
    expect(after.copies.get(prepared.id)).toEqual([`a:${from.id}`]);
    expect(await moves.recover(0)).toMatchObject({ committed: 0, aborted: 0 });
  });
});

describe("TX-11 a move sent again while its first attempt is in doubt", () => {
  // The first attempt's coordinator dies at `step`; the client, cut off, sends the same move
  // again at once (to any node). That resend must never answer a refusal the first attempt
  // then contradicts: it answers the move's result, or UNAVAILABLE while the outcome is open.
  const steps = [
    ["logged", "open"],
    ["source-prepared", "open"],
    ["target-prepared", "open"],
    ["decided", "committed"],
    ["source-committed", "committed"],
  ] as const;
  for (const [step, outcome] of steps) {
    it(`crash after ${step}: the resend answers ${outcome === "open" ? "UNAVAILABLE, then the move once recovery has aborted the first" : "the committed move's result"}`, async (ctx) => {
      if (!cluster.dbs.twoPhaseCommit) ctx.skip();
      const s = await cluster.connect((await cluster.signIn(`doubt-${step}`)).token);
      const from = await board(s, "a");
      const to = await board(s, "b");
      const c = await card(s, from.id, `in doubt after ${step}`);
      const move = { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 };
      // A tab watching both boards (TX-12): the resend finishes the move, so it
      // must tell the boards; the crashed coordinator told them nothing.
      const watcher = await cluster.connect((await cluster.signIn(`watch-${step}`)).token);
      const seen: { boardId: string; type: string; cardId?: string; card?: { id: string } }[] = [];
      watcher.on("change", (ch) => seen.push(ch));
      await ok(watcher, "board:join", { boardId: from.id });
      await ok(watcher, "board:join", { boardId: to.id });
      const moves = cluster.nodes[0]!.services.moves;
      const waited = moves.inDoubtWaitMs;
      moves.faults = (at) => {
        if (at === step) throw new SimulatedCrash(at);
      };
      try {
        const first = await request(s, "card:move", move);
        expect(first.ok).toBe(false); // the coordinator "died" before it answered
      } finally {
        moves.faults = null;
      }
      moves.inDoubtWaitMs = 300;
      try {
        const again = await request(s, "card:move", move);
        const answers: unknown[] = [];
        if (outcome === "committed") {
          expect(again.ok ? "ok" : again.error.code).toBe("ok");
          answers.push(again);
          const told = () => [from, to].map((b) => seen.filter((ch) => ch.boardId === b.id && (ch.cardId ?? ch.card?.id) === c.id).map((ch) => ch.type).at(-1));
          const end = Date.now() + 3_000;
          while (told().join() !== "card.delete,card.upsert" && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
          expect(told()).toEqual(["card.delete", "card.upsert"]);
        } else {
          expect(again.ok ? "ok" : again.error.code).toBe("UNAVAILABLE");
          await moves.recover(0); // the first attempt is aborted: nothing of it stays
        }
        const settled = await request(s, "card:move", move);
        expect(settled.ok ? "ok" : settled.error.code).toBe("ok");
        answers.push(settled, await request(s, "card:move", move));
        expect(answers[1]).toEqual(answers[0]);
      } finally {
        moves.inDoubtWaitMs = waited;
      }
      await moves.recover(0);
      const { copies, prepared } = await shardsOf(cluster, [c.id]);
      expect(copies.get(c.id)).toEqual([`b:${to.id}`]);
      expect(prepared).toBe(0);
      for (const b of [from, to]) {
        const log = await ok<{ seq: number; changes: { seq: number; type: string; cardId?: string; card?: { id: string } }[] }>(s, "board:join", { boardId: b.id, since: 0 });
        expect(log.changes.map((ch) => ch.seq)).toEqual(Array.from({ length: log.seq }, (_, i) => i + 1));
        expect(log.changes.filter((ch) => (ch.cardId ?? ch.card?.id) === c.id).map((ch) => ch.type)).toEqual(b === from ? ["card.upsert", "card.delete"] : ["card.upsert"]);
      }
    });
  }
});

describe("TX-11 a move sent again while its first attempt is still running", () => {
  it("the first attempt stalls after its source part is prepared: the resend answers UNAVAILABLE, never a refusal; both then answer the one result", async (ctx) => {
    if (!cluster.dbs.twoPhaseCommit) ctx.skip();
    const s = await cluster.connect((await cluster.signIn("stalled-mover")).token);
    const from = await board(s, "a");
    const to = await board(s, "b");
    const c = await card(s, from.id, "stalled");
    const move = { mutationId: mid(), cardId: c.id, toBoardId: to.id, baseVersion: 1 };
    const moves = cluster.nodes[0]!.services.moves;
    const waited = moves.inDoubtWaitMs;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stalled!: () => void;
    const atStall = new Promise<void>((r) => (stalled = r));
    moves.faults = async (at) => {
      if (at !== "source-prepared") return;
      stalled();
      await gate; // a slow coordinator, alive: it holds its prepared part and has not decided
    };
    moves.inDoubtWaitMs = 300;
    try {
      const first = request(s, "card:move", move);
      await atStall;
      const again = await request(s, "card:move", move);
      expect(again.ok ? "ok" : again.error.code).toBe("UNAVAILABLE");
      release();
      const firstAnswer = await first;
      expect(firstAnswer.ok ? "ok" : firstAnswer.error.code).toBe("ok");
      expect(await request(s, "card:move", move)).toEqual(firstAnswer);
    } finally {
      moves.faults = null;
      moves.inDoubtWaitMs = waited;
      release();
    }
    const { copies, prepared } = await shardsOf(cluster, [c.id]);
    expect(copies.get(c.id)).toEqual([`b:${to.id}`]);
    expect(prepared).toBe(0);
  });
});
