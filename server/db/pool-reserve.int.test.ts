import net from "node:net";
import postgres, { type ReservedSql, type Sql } from "postgres";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { sleep } from "../test/harness";
import { ShardStore } from "./shard-store";

/**
 * The pool's reserved connections (postgres.js, with patches/postgres+3.4.9.patch) across lost
 * connections. Every write batch runs on a reserved connection (server/db/shard-store.ts): a
 * reserve that never settles holds a board's writes forever; a dead or borrowed connection put
 * back in the pool sends other queries nowhere, or into another transaction. The database going
 * away is injected with a TCP proxy in front of the real Postgres.
 */

/** Forwards TCP to Postgres; `cut` closes every connection and refuses new ones until `restore`. */
class Proxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async restore(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(this.port, "127.0.0.1", () => r()));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

const admin = new URL(inject("adminUrl"));
const pools: Sql[] = [];
const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end({ timeout: 1 })));
  await Promise.all(proxies.splice(0).map((p) => p.cut()));
});
const direct = postgres(admin.href, { max: 1, onnotice: () => {} });
afterAll(() => direct.end({ timeout: 1 }));

async function pool(max: number): Promise<{ sql: Sql; proxy: Proxy }> {
  const proxy = new Proxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  await proxy.restore();
  proxies.push(proxy);
  const url = new URL(admin.href);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  const sql = postgres(url.href, { max, connect_timeout: 2, onnotice: () => {}, backoff: () => 0.05 });
  pools.push(sql);
  return { sql, proxy };
}

/** `p`'s outcome, or "pending" when it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: T } | { err: unknown } | "pending"> {
  return Promise.race([p.then((ok) => ({ ok }), (err: unknown) => ({ err })), sleep(ms).then(() => "pending" as const)]);
}

/**
 * `p`, marked as awaited from now on: it may settle (a lost connection rejects it) while the test
 * awaits something else, before `within` or `allSettled` looks at it, and a rejection nobody
 * awaits yet is an unhandled rejection, which fails the run.
 */
function awaited<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

const pid = async (q: Sql | ReservedSql) => (await q<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;

describe("reserved connections when a connection is lost", () => {
  it("a reserve waiting behind a connection the server ends gets a connection (upstream #1195)", async () => {
    const { sql } = await pool(1);
    const first = await sql.reserve();
    const firstPid = await pid(first);
    const waiting = awaited(sql.reserve());
    await sleep(50); // queued: the pool's only connection is reserved
    await direct`select pg_terminate_backend(${firstPid})`;
    const got = await within(waiting, 5_000);
    expect(got).not.toBe("pending");
    // Either outcome is an answer; a connection it gets must work.
    if (got !== "pending" && "ok" in got) {
      expect(await pid(got.ok)).not.toBe(firstPid);
      got.ok.release();
    }
    first.release(); // late: its connection is gone and may serve someone else by now
    expect(await within(pid(sql), 5_000)).toMatchObject({ ok: expect.any(Number) });
  });

  it("a reservation released after its connection was lost and handed on takes nothing from the new holder", async () => {
    const { sql } = await pool(1);
    const first = await sql.reserve();
    await direct`select pg_terminate_backend(${await pid(first)})`;
    await expect(first`select 1`).rejects.toBeTruthy();
    const second = await sql.reserve(); // the pool's one connection, connected again
    await second`begin`;
    await second`create temp table mine (x int) on commit drop`;
    // What the lost reservation still sends fails; it never runs inside `second`'s transaction.
    await expect(first`select count(*)::int as n from pg_tables where tablename = 'mine'`).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    first.release(); // late
    // The pool has one connection and `second` holds it: a pool query waits for it rather than
    // running inside `second`'s transaction.
    const other = sql<{ n: number }[]>`select count(*)::int as n from pg_tables where tablename = 'mine'`.execute();
    expect(await within(other, 300)).toBe("pending");
    await second`rollback`;
    second.release();
    expect(await within(other, 5_000)).toMatchObject({ ok: [{ n: 0 }] });
  });

  it("statements sent or queued on a reservation whose connection is lost fail rather than wait forever", async () => {
    const { sql } = await pool(1);
    const r = await sql.reserve();
    const rPid = await pid(r);
    const sent = [r`select pg_sleep(3)`.execute(), ...Array.from({ length: 120 }, (_, i) => r`select ${i}::int as i`.execute())];
    // Awaited from the start: the backend's end may reach this client before the answer to the
    // terminate does, and a statement rejected with no one awaiting it is an unhandled rejection.
    const settled = Promise.allSettled(sent);
    await sleep(100);
    await direct`select pg_terminate_backend(${rPid})`;
    const outcomes = await within(settled, 5_000);
    expect(outcomes).not.toBe("pending");
    if (outcomes !== "pending" && "ok" in outcomes) expect(outcomes.ok.every((o) => o.status === "rejected")).toBe(true);
    r.release();
    expect(await within(pid(sql), 5_000)).toMatchObject({ ok: expect.any(Number) });
  });

  it("reserves asked while the database is unreachable fail; once it is back, every connection of the pool serves again", async () => {
    const { sql, proxy } = await pool(2);
    const held = await Promise.all([sql.reserve(), sql.reserve()]);
    const queued = [sql.reserve(), sql.reserve(), sql.reserve()].map(awaited);
    await sleep(50);
    await proxy.cut();
    for (const h of held) await h`select 1`.catch(() => {});
    const whileDown = await Promise.all(queued.map((q) => within(q, 8_000)));
    // Every reserve settles while the database is away; one that got a connection finds it dead.
    expect(whileDown).not.toContain("pending");
    for (const got of whileDown) if (got !== "pending" && "ok" in got) await got.ok`select 1`.catch(() => {}).finally(() => got.ok.release());
    const more = await within(sql.reserve(), 8_000);
    expect(more).not.toBe("pending");
    if (more !== "pending" && "ok" in more) more.ok.release();
    for (const h of held) h.release();

    await proxy.restore();
    // Both connections serve: two reservations at once, each on its own backend.
    const both = await within(
      Promise.all([sql.reserve(), sql.reserve()]).then(async (rs) => {
        const pids = await Promise.all(rs.map(pid));
        for (const r of rs) r.release();
        return pids;
      }),
      8_000,
    );
    expect(both).toMatchObject({ ok: [expect.any(Number), expect.any(Number)] });
    if (both !== "pending" && "ok" in both) expect(new Set(both.ok).size).toBe(2);
    expect(await within(pid(sql), 5_000)).toMatchObject({ ok: expect.any(Number) });
  });
});

describe("a batch's connection (ShardStore)", () => {
  it("a reserve that does not settle answers the batch UNAVAILABLE at the read bound; the connection arriving late goes back to the pool", async () => {
    const { sql } = await pool(2);
    const store = new ShardStore("x", sql, 4);
    store.readBoundMs = 300;
    // The fault: the driver holds the first reserve until the test lets it go.
    const real = sql.reserve.bind(sql);
    let letGo!: () => void;
    const gate = new Promise<void>((r) => (letGo = r));
    let first = true;
    (sql as { reserve: () => Promise<ReservedSql> }).reserve = () => (first ? ((first = false), gate.then(real)) : real());
    const started = Date.now();
    const batch = store.pipelined(
      (q) => q`select 1`.execute(),
      async () => ({ value: "written", writes: () => [] }),
    );
    await expect(batch).rejects.toMatchObject({ code: "ETIMEDOUT" });
    expect(Date.now() - started).toBeLessThan(3_000);
    letGo();
    await sleep(100);
    // Both of the pool's connections serve at once: the late one was given back.
    const both = await within(Promise.all([real(), real()]).then((rs) => rs.forEach((r) => r.release())), 3_000);
    expect(both).not.toBe("pending");
    // And the store takes the next batch.
    expect(await store.pipelined((q) => q`select 1 as one`.execute(), async (rows) => ({ value: rows, writes: () => [] }))).toMatchObject([{ one: 1 }]);
  });
});
