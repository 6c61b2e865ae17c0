import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabases } from "../test/harness";

/**
 * The driver under every shard and the catalog (postgres.js 3.4.9, patched: patches/). Upstream
 * issue #1189: a `sql.begin()` whose BEGIN filled a busy connection's pipeline (or met a full
 * socket buffer) was sent without the connection being reserved for it, so the connection went
 * back to the pool inside that transaction and unrelated queries ran in it. verify saw it under
 * faults as "SET TRANSACTION ISOLATION LEVEL must be called before any query", "current
 * transaction is aborted" and rows of one query parsed as another's.
 */
let db: Awaited<ReturnType<typeof freshDatabases>>;
beforeAll(async () => {
  db = await freshDatabases("drv", []);
});
afterAll(async () => {
  await db?.drop();
});

describe("postgres.js: a transaction's BEGIN always reserves its connection", () => {
  it("BEGIN at the pipeline boundary of a busy connection: no outside query runs inside the transaction", async () => {
    // max_pipeline is a connection option postgres.js reads but its types do not list.
    const sql = postgres(db.catalogUrl, { max: 1, max_pipeline: 2, onnotice: () => {} } as Parameters<typeof postgres>[1]);
    try {
      for (let round = 0; round < 5; round++) {
        const busy = sql`SELECT pg_sleep(0.2)`.execute(); // the one connection is busy
        const first = sql`SELECT 1 AS one`.execute(); // pipelined behind it: sent = 1
        // BEGIN is pipelined next (sent = 2 = max_pipeline): the boundary of upstream #1189.
        const tx = sql.begin(async (t) => {
          const [{ ts }] = (await t`SELECT now()::text AS ts`) as unknown as [{ ts: string }];
          await new Promise((r) => setTimeout(r, 150));
          return ts;
        });
        await new Promise((r) => setTimeout(r, 50));
        // Sent while the transaction is open: it must run in a transaction of its own.
        const outside = sql`SELECT now()::text AS ts`.execute();
        const [, , began, out] = await Promise.all([busy, first, tx, outside]);
        expect(out[0]!.ts).not.toBe(began);
      }
    } finally {
      await sql.end({ timeout: 2 });
    }
  });
});
