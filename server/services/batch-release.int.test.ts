import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ShardStore } from "../db/shard-store";
import { sqlFor, startCluster, type TestCluster } from "../test/harness";

/**
 * SPEC PERF-1: a pipelined batch runs on a connection reserved from the shard's pool. When its
 * reads are not answered in time (the board's head held by another transaction past the bound),
 * the batch fails (UNAVAILABLE) and ends its transaction; the connection may go back to the pool
 * only once that ROLLBACK is answered. postgres.js keeps statements sent to a busy reserved
 * connection (one describing a statement it has not prepared yet) in a queue of that
 * reservation, which `release()` drops: released at once, the ROLLBACK never ran, and the pool's
 * later queries ran on that connection inside a transaction that never ended, holding the
 * board's head for good (its lane stuck) and keeping what they wrote uncommitted. verify found a
 * shard so: a pool connection "idle in transaction" for minutes, an acknowledged change missing.
 * A fresh pool (as after a restart) has prepared nothing, so its first batches are described first.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

it("PERF-1 a batch whose reads time out gives its connection back only once its transaction has ended", async () => {
  const url = cluster.shardUrls.a!;
  const pool = postgres(url, { max: 4, onnotice: () => {} });
  const store = new ShardStore("a", pool, 6);
  const observer = sqlFor(url); // a connection of the test's own, outside the pool
  const boardId = `b_release_${Date.now()}`;
  try {
    await store.createHead(boardId);
    store.readBoundMs = 300;
    store.batchLockTimeoutMs = 60_000; // the lock wait outlives the read bound
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = observer.begin(async (tx) => {
      await tx`SELECT 1 FROM board_heads WHERE board_id = ${boardId} FOR UPDATE`;
      locked();
      await held;
    });
    await isLocked;
    // Two batches in turn, as a lane sends them, each timing out on the held head.
    for (const ids of [["c_1"], ["c_1", "c_2"]]) {
      const batch = store.pipelined(
        (q) => store.batchReads(q, boardId, ids.map((id) => `m_${id}_${ids.length}`), ids),
        async () => ({ value: "decided", writes: () => [] }),
      );
      await expect(batch).rejects.toMatchObject({ code: "ETIMEDOUT" });
    }
    release();
    await holder;

    // Once the head is free, no connection stays inside a transaction...
    const inTransaction = async () =>
      (await observer<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`)[0]!.n;
    await expect.poll(inTransaction, { timeout: 5_000 }).toBe(0);
    // ...no query of the pool runs inside a transaction that holds something (a row lock)...
    for (let i = 0; i < 8; i++) {
      const [row] = await pool<{ own: boolean }[]>`SELECT pg_current_xact_id_if_assigned() IS NULL AS own`;
      expect(row!.own).toBe(true);
    }
    // ...and the board's head is free for the next batch, which commits.
    store.readBoundMs = 5_000;
    const value = await store.pipelined(
      (q) => store.batchReads(q, boardId, ["m_after"], []),
      async (r) => ({ value: r.head?.seq, writes: (q) => [q`UPDATE board_heads SET seq = seq + 1 WHERE board_id = ${boardId}`.execute()] }),
    );
    expect(value).toBe(0);
    const [head] = await observer<{ seq: string }[]>`SELECT seq FROM board_heads WHERE board_id = ${boardId}`;
    expect(Number(head!.seq)).toBe(1);
  } finally {
    await observer.end();
    await pool.end({ timeout: 1 });
  }
});
