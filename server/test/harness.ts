import { randomBytes } from "node:crypto";
import postgres, { type Sql } from "postgres";
import pino from "pino";
import { io as ioClient, type Socket } from "socket.io-client";
import { inject } from "vitest";
import type { Ack, Board, Card, ClientToServerEvents, ServerToClientEvents, User } from "../../lib/protocol";
import { ensureDatabase, openDatabases, type Databases } from "../db/databases";
import type { ReplicationOptions } from "../db/replication";
import { createNode, type AdapterKind, type ConcordNode, type NodeOptions } from "../node";
import { Sessions } from "../services/sessions";

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

function dbUrl(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Fresh catalog and shard databases (`a`, `b`) on the test Postgres, named uniquely. */
export async function freshDatabases(
  prefix = "t",
  shardNames: string[] = ["a", "b"],
): Promise<{ catalogUrl: string; shardUrls: Record<string, string>; drop: () => Promise<void> }> {
  const adminUrl = inject("adminUrl");
  const name = `concord_${prefix}_${randomBytes(5).toString("hex")}`;
  const shards = Object.fromEntries(shardNames.map((s) => [s, `${name}_${s}`]));
  const names = { catalog: name, ...shards };
  for (const db of Object.values(names)) await ensureDatabase(adminUrl, db);
  return {
    catalogUrl: dbUrl(adminUrl, names.catalog),
    shardUrls: Object.fromEntries(Object.entries(shards).map(([s, db]) => [s, dbUrl(adminUrl, db)])),
    drop: async () => {
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      for (const db of Object.values(names)) await admin.unsafe(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
      await admin.end();
    },
  };
}

export interface TestCluster {
  url: string;
  urls: string[];
  nodes: ConcordNode[];
  dbs: Databases;
  catalogUrl: string;
  /** Each shard's database, for direct connections of a test's own. */
  shardUrls: Record<string, string>;
  /** Signs a user in through the real HTTP API. */
  signIn(name: string): Promise<{ token: string; user: User }>;
  /** A real socket.io-client, connected (resolves on `connect`). */
  connect(token: string, opts?: { node?: number; batch?: boolean; replicaId?: string; presenceDelta?: boolean }): Promise<TestSocket>;
  close(): Promise<void>;
}

/**
 * Starts `nodes` real Concord nodes (HTTP + Socket.IO on port 0) over fresh databases.
 * With more than one node, broadcasts cross nodes through the Postgres adapter.
 */
/** Redis for tests where Redis is the subject (.ci/run starts one on 127.0.0.1:6379). */
export const testRedisUrl = () => process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export async function startCluster(
  opts: {
    nodes?: number; adapter?: AdapterKind; changeLogKeep?: number; redis?: boolean; now?: () => number; shards?: string[];
    /** More node options (security settings, a stand-in UI), the same for every node. */
    node?: Partial<NodeOptions>;
    /** Shards replaced by servers the test runs itself (a primary/standby pair, SPEC STANDBY-1). */
    shardUrls?: Record<string, string>;
    replication?: ReplicationOptions;
    /** Databases a cluster before this one used (a restart of the app tier): kept on close. */
    databases?: { catalogUrl: string; shardUrls: Record<string, string> };
  } = {},
): Promise<TestCluster> {
  const fresh = opts.databases ? { ...opts.databases, drop: async () => {} } : await freshDatabases("t", opts.shards);
  const { catalogUrl, drop } = fresh;
  const shardUrls = { ...fresh.shardUrls, ...opts.shardUrls };
  const count = opts.nodes ?? 1;
  const secret = randomBytes(16).toString("hex");
  const redisPrefix = `concord-test-${randomBytes(4).toString("hex")}:`;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const sockets: TestSocket[] = [];
  const nodes: ConcordNode[] = [];
  const dbsList: Databases[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const dbs = await openDatabases(catalogUrl, shardUrls, opts.replication, (line) => log.info(line));
    dbsList.push(dbs);
    const node = await createNode({
      nodeId: `test-node-${i + 1}`,
      dbs,
      sessions: new Sessions(secret),
      log,
      catalogUrl,
      adapter: opts.adapter ?? (opts.redis ? "redis" : count > 1 ? "postgres" : "memory"),
      changeLogKeep: opts.changeLogKeep,
      now: opts.now,
      ...(opts.redis ? { redisUrl: testRedisUrl(), redisPrefix } : {}),
      ...opts.node,
    });
    const port = await node.listen(0, "127.0.0.1");
    nodes.push(node);
    urls.push(`http://127.0.0.1:${port}`);
  }
  return {
    url: urls[0]!,
    urls,
    nodes,
    dbs: dbsList[0]!,
    catalogUrl,
    shardUrls,
    async signIn(name) {
      const res = await fetch(`${urls[0]}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
      return (await res.json()) as { token: string; user: User };
    },
    connect(token, o = {}) {
      const socket: TestSocket = ioClient(urls[o.node ?? 0]!, {
        auth: { token, ...(o.batch ? { batch: true } : {}), ...(o.replicaId ? { replicaId: o.replicaId } : {}), ...(o.presenceDelta ? { presenceDelta: true } : {}) },
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
      });
      sockets.push(socket);
      return new Promise((resolve, reject) => {
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", (err) => reject(err));
      });
    },
    async close() {
      for (const s of sockets) s.disconnect();
      for (const n of nodes) {
        await n.close();
        await new Promise<void>((r) => n.server.close(() => r()));
      }
      for (const d of dbsList) await d.close();
      await drop();
    },
  };
}

/** Emits a request and resolves with its ack (the promise form of `socket.emit(e, p, ack)`). */
export function request<T = Record<string, unknown>>(socket: TestSocket, event: string, payload: unknown): Promise<Ack<T>> {
  return new Promise((resolve) => {
    (socket as unknown as { emit: (e: string, p: unknown, cb: (r: Ack<T>) => void) => void }).emit(event, payload, resolve);
  });
}

/** A request that must succeed; throws with the error code otherwise. */
export async function ok<T = Record<string, unknown>>(socket: TestSocket, event: string, payload: unknown): Promise<T> {
  const r = await request<T>(socket, event, payload);
  if (!r.ok) throw new Error(`${event} failed: ${r.error.code} ${r.error.message}`);
  return r as unknown as T;
}

export const mid = () => `m_${randomBytes(8).toString("hex")}`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh occ board on shard a with `n` cards titled t0, t1, … (seqs 1..n). */
export async function boardWithCards(s: TestSocket, name: string, n: number): Promise<{ board: Board; cards: Card[] }> {
  const { board } = await ok<{ board: Board }>(s, "board:create", { name, policy: "occ", shard: "a" });
  const cards: Card[] = [];
  for (let i = 0; i < n; i++) cards.push((await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `t${i}` } })).card);
  return { board, cards };
}

/** Direct SQL on a database, for assertions about what is stored. */
export function sqlFor(url: string) {
  return postgres(url, { max: 1, onnotice: () => {} });
}

/**
 * Faults injected into card updates on a shard, by title: 'boom' fails the statement, 'slow'
 * holds it 400 ms inside its transaction (after the batch holds the board's head).
 */
export async function injectCardFaults(sql: Sql): Promise<void> {
  await sql.unsafe(`
    CREATE FUNCTION card_faults() RETURNS trigger AS $$
    BEGIN
      IF NEW.title = 'boom' THEN RAISE EXCEPTION 'injected fault'; END IF;
      IF NEW.title = 'slow' THEN PERFORM pg_sleep(0.4); END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER card_faults BEFORE UPDATE ON cards FOR EACH ROW EXECUTE FUNCTION card_faults();`);
}
