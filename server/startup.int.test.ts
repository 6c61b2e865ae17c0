import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import pino from "pino";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLeaseStore } from "./services/lease-stores/redis";
import { redisOutageWatch } from "./startup-checks";
import { freshDatabases, testRedisUrl } from "./test/harness";

/** SPEC SEC-5: an unreachable server is named in one line at start, and the process exits non-zero. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "server/main.ts"], {
      cwd: root,
      env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: "0", HOST: "127.0.0.1", CONCORD_UI: "off", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe("SEC-5 clear failures at start", () => {
  let db: Awaited<ReturnType<typeof freshDatabases>>;
  beforeAll(async () => {
    db = await freshDatabases("start", ["a"]);
  });
  afterAll(async () => db?.drop());

  it("REDIS_URL pointing at nothing: one line naming REDIS_URL, exit 1, no retry noise", async () => {
    const r = await start({ DATABASE_URL: db.catalogUrl, REDIS_URL: "redis://127.0.0.1:1" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^concord: REDIS_URL \(redis:\/\/127\.0\.0\.1:1\) is unreachable: .*ECONNREFUSED/)]);
    expect(r.stdout + r.stderr).not.toMatch(/Unhandled error event|MaxRetriesPerRequest/);
    expect(r.ms).toBeLessThan(15_000);
  });

  it("an unreachable shard is named by its SHARD_URLS entry, without the password", async () => {
    const r = await start({ DATABASE_URL: db.catalogUrl, SHARD_URLS: `a=${db.shardUrls.a},b=postgres://u:hunter2@127.0.0.1:1/nope` });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^concord: SHARD_URLS shard "b" \(postgres:\/\/127\.0\.0\.1:1\/nope\) is unreachable: /)]);
    expect(r.stderr).not.toContain("hunter2");
  });

  it("an unreachable DATABASE_URL is named", async () => {
    const r = await start({ DATABASE_URL: "postgres://u:hunter2@127.0.0.1:1/concord" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^concord: DATABASE_URL \(postgres:\/\/127\.0\.0\.1:1\/concord\) is unreachable: /)]);
  });
});

/** A TCP proxy in front of the test Redis that can be cut and restored on the same port. */
async function redisProxy(target: URL) {
  const conns = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        conns.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        for (const s of [client, upstream]) s.on("error", () => {}).on("close", () => (client.destroy(), upstream.destroy()));
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const c of conns) c.destroy();
      conns.clear();
      server!.close(() => resolve());
    });
  await up();
  return { url: `redis://127.0.0.1:${port}`, up, down };
}

describe("SEC-5 a lost Redis at run time", () => {
  it("is logged once per outage (not per retry of each client) and once when it is back", async () => {
    const proxy = await redisProxy(new URL(testRedisUrl()));
    const lines: { level: number; msg: string }[] = [];
    const log = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString())), cb()) }));
    const watch = redisOutageWatch(log, proxy.url);
    const clients = [0, 1, 2].map(() => new Redis(proxy.url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 }));
    clients.forEach((c, i) => watch(c, `client ${i}`));
    try {
      await Promise.all(clients.map((c) => c.ping()));
      for (let outage = 0; outage < 2; outage++) {
        await proxy.down();
        await new Promise((r) => setTimeout(r, 1_000)); // about 20 reconnect attempts per client
        await proxy.up();
        // ioredis rejects queued commands on every (maxRetriesPerRequest + 1)th failed attempt, and an
        // attempt started just before up() can still fail after it: ping once each client is ready.
        // (Not events.once: it rejects on the 'error' each failed attempt emits.)
        await Promise.all(clients.map((c) => (c.status === "ready" ? undefined : new Promise((r) => c.once("ready", r)))));
        await Promise.all(clients.map((c) => c.ping()));
      }
      const said = lines.map((l) => l.msg);
      expect(said).toEqual([
        expect.stringContaining("Redis (REDIS_URL) is unreachable"),
        expect.stringContaining("Redis (REDIS_URL) is reachable again"),
        expect.stringContaining("Redis (REDIS_URL) is unreachable"),
        expect.stringContaining("Redis (REDIS_URL) is reachable again"),
      ]);
    } finally {
      for (const c of clients) c.disconnect();
      await proxy.down();
    }
  });
});

describe("SEC-5 REDIS_PREFIX", () => {
  it("separates deployments sharing one Redis: each elects its own leader and counts its own fencing tokens", async () => {
    const base = `concord-test-${randomBytes(4).toString("hex")}`;
    const [a1, a2, b] = [`${base}-a:`, `${base}-a:`, `${base}-b:`].map((p) => new RedisLeaseStore(testRedisUrl(), p));
    try {
      expect(await a1!.lead("background-jobs", "a-node-1", 5_000)).toBe(true);
      expect(await a2!.lead("background-jobs", "a-node-2", 5_000)).toBe(false); // same deployment: one leader
      expect(await b!.lead("background-jobs", "b-node-1", 5_000)).toBe(true); // another: its own
      await a1!.seedTokens(1_000);
      const card = { id: "c_same-id", boardId: "b_1" };
      const inA = await a1!.grant(card, { id: "u_1", name: "Ann" }, 5_000);
      const inB = await b!.grant(card, { id: "u_2", name: "Ben" }, 5_000);
      // The same card id is free in each deployment, and B's tokens do not follow A's counter.
      const tokenA = "granted" in inA ? inA.granted?.token : undefined;
      const tokenB = "granted" in inB ? inB.granted?.token : undefined;
      expect(tokenA).toBeGreaterThan(1_000);
      expect(tokenB).toBeLessThan(tokenA!);
    } finally {
      for (const s of [a1, a2, b]) await s!.close();
    }
  });
});
