import net from "node:net";
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

/**
 * Our patch's writes (SPEC PERF-1, PERF-6): what a turn queues on a connection leaves in one
 * socket write (postgres.js wrote every KiB, each write waking the backend), and a query sent
 * with `{ flush: true }` leaves at once, with everything queued before it, not at the turn's end.
 */
describe("postgres.js: a turn's statements leave in one write; `flush` sends at once", () => {
  /** Counts this process's writes to Postgres' port. */
  function spyWrites(port: number) {
    const seen: unknown[] = [];
    const proto = net.Socket.prototype as unknown as { write: (...a: unknown[]) => boolean };
    const orig = proto.write;
    proto.write = function (this: net.Socket, ...a: unknown[]) {
      if (this.remotePort === port) seen.push(a[0]);
      return orig.apply(this, a);
    };
    return { seen, restore: () => (proto.write = orig) };
  }

  it("60 statements of about 300 bytes each, queued in one turn, go in one write", async () => {
    const sql = postgres(db.catalogUrl, { max: 1, onnotice: () => {} });
    const pad = "x".repeat(300);
    await sql`SELECT ${0}::int AS i, ${pad}::text AS pad`; // connected, the statement prepared
    const spy = spyWrites(Number(new URL(db.catalogUrl).port));
    try {
      const rows = await Promise.all(Array.from({ length: 60 }, (_, i) => sql`SELECT ${i}::int AS i, ${pad}::text AS pad`.execute()));
      expect(rows.map((r) => r[0]!.i)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(spy.seen.length).toBe(1);
    } finally {
      spy.restore();
      await sql.end();
    }
  });

  it("a query with flush leaves before the turn ends; one without waits for it", async () => {
    const sql = postgres(db.catalogUrl, { max: 1, onnotice: () => {} });
    await sql`SELECT 1`;
    const spy = spyWrites(Number(new URL(db.catalogUrl).port));
    /** Lets the queries reach the connection (postgres.js starts one a microtask late), within this turn. */
    const microtasks = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    try {
      const plain = sql`SELECT 'plain' AS q`.execute();
      await microtasks();
      expect(spy.seen.length).toBe(0); // waits for the turn's end
      expect((await plain)[0]!.q).toBe("plain");
      expect(spy.seen.length).toBe(1);
      const flushed = sql.unsafe("SELECT 'flushed' AS q", [], { flush: true } as Parameters<typeof sql.unsafe>[2]).execute();
      await microtasks();
      expect(spy.seen.length).toBe(2); // already written
      expect((await flushed)[0]!.q).toBe("flushed");
    } finally {
      spy.restore();
      await sql.end();
    }
  });
});

/**
 * A connection lost while it fetches the array types (the first query of every new connection):
 * upstream postgres.js left that query's rejection unhandled, which failed a failover test (a
 * primary killed as a pool opened a connection to it) and would be an unhandled rejection in a
 * node. A proxy resets the first connection the moment that query passes; the next one is let
 * through. The caller's query fails with the connection error (a node answers it UNAVAILABLE).
 */
describe("postgres.js: a connection lost while fetching types", () => {
  it("fails the caller's query with the connection error, leaves no unhandled rejection, and the next query runs", async () => {
    const target = new URL(db.catalogUrl);
    const cut: net.Socket[] = [];
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      client.on("data", (d: Buffer) => {
        if (cut.length === 0 && d.includes("typarray")) {
          cut.push(client);
          client.resetAndDestroy(); // an RST, as from a server killed with -9
          upstream.destroy();
          return;
        }
        upstream.write(d);
      });
      upstream.on("data", (d) => client.write(d));
      client.on("error", () => {});
      upstream.on("error", () => {});
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const url = Object.assign(new URL(db.catalogUrl), { port: String((proxy.address() as net.AddressInfo).port) }).toString();
    const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    try {
      await expect(sql`SELECT 1 AS one`).rejects.toMatchObject({ code: "ECONNRESET" });
      expect(cut.length).toBe(1); // the first connection was cut during its type fetch
      const [row] = await sql<{ one: number }[]>`SELECT 1 AS one`;
      expect(row!.one).toBe(1);
      await new Promise((r) => setTimeout(r, 100)); // let a rejection surface, were it unhandled
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await sql.end({ timeout: 1 });
      proxy.close();
    }
  });
});

// Our patch: the pool hands out the idle connection used last (LIFO). Upstream takes the one idle
// longest, so a lone writer's batches went round the whole pool, each to a server process that
// had slept since its last turn: about 0.4 ms more per transaction on this project's machine
// (docs/performance.md, PERF-7).
describe("postgres.js: the idle connection used last is used next", () => {
  it("sequential queries and reservations stay on one server process while others sit idle", async () => {
    const sql = postgres(db.catalogUrl, { max: 4, onnotice: () => {} });
    try {
      // Four connections open and idle.
      await Promise.all(Array.from({ length: 4 }, () => sql`SELECT pg_sleep(0.05)`));
      const pids = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        pids.add(row!.pid);
        const q = await sql.reserve();
        const [r] = await q<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        pids.add(r!.pid);
        q.release();
      }
      expect(pids.size).toBe(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
