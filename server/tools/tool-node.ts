/**
 * One real Concord node for the measuring tools (bench.ts, catch-up-memory.ts): over
 * BENCH_DATABASE_URL, else an embedded Postgres in a temp folder; fresh catalog and shard
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
import { createNode, type ConcordNode } from "../node";
import { Sessions } from "../services/sessions";

export interface ToolNode {
  node: ConcordNode;
  dbs: Databases;
  /** A connected socket of the tool's user; `batch`: coalesced `changes` (SPEC PERF-2). */
  connect(opts?: { batch?: boolean }): Promise<Socket>;
  close(): Promise<void>;
}

export async function startToolNode(label: string): Promise<ToolNode> {
  let tmp: string | null = null;
  let stopPg: (() => Promise<void>) | null = null;
  let adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), `concord-${label}-`));
    await chmod(tmp, 0o755);
    const pg = await startEmbeddedPostgres(path.join(tmp, "pg"), () => {});
    stopPg = pg.stop;
    adminUrl = pg.url("postgres");
  }
  const admin = adminUrl;
  const name = `concord_${label.replace(/[^a-z0-9_]/g, "_")}_${randomBytes(4).toString("hex")}`;
  const names = [name, `${name}_a`, `${name}_b`];
  const url = (db: string) => Object.assign(new URL(admin), { pathname: `/${db}` }).toString();
  for (const db of names) await ensureDatabase(admin, db);
  const dbs = await openDatabases(url(name), { a: url(`${name}_a`), b: url(`${name}_b`) });
  const sessions = new Sessions(randomBytes(16).toString("hex"));
  const node = await createNode({ nodeId: label, dbs, sessions, log: pino({ level: "silent" }), adapter: "memory" });
  const port = await node.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  const { token } = await node.sessions.create(label);
  return {
    node,
    dbs,
    connect: (opts = {}) =>
      new Promise<Socket>((resolve, reject) => {
        const s = ioClient(base, { auth: { token, batch: opts.batch ?? false }, transports: ["websocket"], forceNew: true });
        s.once("connect", () => resolve(s));
        s.once("connect_error", reject);
      }),
    close: async () => {
      await node.close();
      await new Promise<void>((r) => node.server.close(() => r()));
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
