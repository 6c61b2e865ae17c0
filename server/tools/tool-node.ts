/**
 * Real Concord nodes for the measuring tools (bench/, catch-up-memory.ts): over `adminUrl` (else
 * BENCH_DATABASE_URL, else an embedded Postgres in a temp folder); fresh catalog and shard
 * databases (`a`, `b`), a signed-in user, and a way to connect sockets. `close` leaves nothing
 * behind (on someone else's server it drops the databases it made).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import postgres from "postgres";
import { io as ioClient, type Socket } from "socket.io-client";
import { ensureDatabase, openDatabases, type Databases } from "../db/databases";
import { startEmbeddedPostgres } from "../db/embedded";
import type { ReplicationOptions } from "../db/replication";
import { createNode, type AdapterKind, type ConcordNode, type NodeOptions } from "../node";
import { RELAY_ALONE_AFTER_MS } from "../realtime/broadcaster";
import { Sessions } from "../services/sessions";
import type { User } from "../../lib/protocol";

export interface ToolNode {
  /** The first node. */
  node: ConcordNode;
  nodes: ConcordNode[];
  /** Each node's base URL (http://127.0.0.1:port). */
  urls: string[];
  dbs: Databases;
  /** The tool user and its session token (auth.token). */
  user: User;
  token: string;
  /** A connected socket of the tool's user; `batch`: coalesced `changes` (SPEC PERF-2); `node`: which node. */
  connect(opts?: { batch?: boolean; node?: number }): Promise<Socket>;
  /**
   * Resolves once the nodes run as they do after their first seconds: a lone node with a cluster
   * adapter relays until no other node was heard for the PERF-3 grace after its start.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface ToolNodeOptions {
  /** Serve the UI too (the bench's `ui` scenario: `createUi` of server/ui.ts). */
  ui?: NodeOptions["ui"];
  /** A Postgres superuser URL; absent: BENCH_DATABASE_URL, else an embedded server of its own. */
  adminUrl?: string;
  /** Nodes over the same databases (default 1). */
  nodes?: number;
  /** Cross-node broadcasts (default `memory` for one node, `postgres` for more). */
  adapter?: AdapterKind;
  /** Shards on databases of their own (e.g. a primary with a standby) instead of fresh ones on adminUrl; never dropped. */
  shardUrls?: Record<string, string>;
  /** The standbys of those shards, as `openDatabases` takes them (SPEC STANDBY-1). */
  replication?: ReplicationOptions;
}

export async function startToolNode(label: string, opts: ToolNodeOptions = {}): Promise<ToolNode> {
  let tmp: string | null = null;
  let stopPg: (() => Promise<void>) | null = null;
  let adminUrl = opts.adminUrl ?? process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), `concord-${label}-`));
    await chmod(tmp, 0o755);
    const pg = await startEmbeddedPostgres(path.join(tmp, "pg"), () => {});
    stopPg = pg.stop;
    adminUrl = pg.url("postgres");
  }
  const admin = adminUrl;
  const name = `concord_${label.replace(/[^a-z0-9_]/g, "_")}_${randomBytes(4).toString("hex")}`;
  const url = (db: string) => Object.assign(new URL(admin), { pathname: `/${db}` }).toString();
  const fresh = ["a", "b"].filter((s) => !opts.shardUrls?.[s]);
  const names = [name, ...fresh.map((s) => `${name}_${s}`)];
  for (const db of names) await ensureDatabase(admin, db);
  const shardUrls = Object.fromEntries(["a", "b"].map((s) => [s, opts.shardUrls?.[s] ?? url(`${name}_${s}`)]));
  const dbs = await openDatabases(url(name), shardUrls, opts.replication);
  const sessions = new Sessions(randomBytes(16).toString("hex"));
  const count = opts.nodes ?? 1;
  const adapter = opts.adapter ?? (count > 1 ? "postgres" : "memory");
  const nodes: ConcordNode[] = [];
  const urls: string[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const node = await createNode({
      nodeId: `${label}-${i + 1}`, dbs, sessions, log: pino({ level: "silent" }), adapter, catalogUrl: url(name), ...(opts.ui ? { ui: opts.ui } : {}),
    });
    nodes.push(node);
    urls.push(`http://127.0.0.1:${await node.listen(0, "127.0.0.1")}`);
  }
  const { token, user } = await nodes[0]!.sessions.create(label);
  return {
    node: nodes[0]!,
    nodes,
    urls,
    dbs,
    user,
    token,
    connect: (o = {}) =>
      new Promise<Socket>((resolve, reject) => {
        const s = ioClient(urls[o.node ?? 0]!, { auth: { token, batch: o.batch ?? false }, transports: ["websocket"], forceNew: true });
        s.once("connect", () => resolve(s));
        s.once("connect_error", reject);
      }),
    settled: async () => {
      if (count > 1 || adapter === "memory") return;
      const left = started + RELAY_ALONE_AFTER_MS + 200 - performance.now();
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    },
    close: async () => {
      for (const node of nodes) {
        await node.close();
        await new Promise<void>((r) => node.server.close(() => r()));
      }
      await dbs.close();
      if (!stopPg) {
        const sql = postgres(admin, { max: 1, onnotice: () => {} });
        for (const db of names) await sql.unsafe(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
        await sql.end();
      }
      await stopPg?.();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    },
  };
}
