/**
 * The deployment verify owns by default: an embedded Postgres (catalog and shards `a`, `b`) in a
 * fresh folder and N Concord nodes started as real processes (`node --import tsx server/main.ts`,
 * like server/tools/cluster.ts), each with the test-only 2PC crash switch (server/fault-switch.ts).
 * It can kill -9 and restart a node, restart Postgres, and read the databases directly at the end.
 * With `standbys`, shard `a` runs on its own primary and synchronous standby (SPEC STANDBY-1) and
 * verify can kill -9 its primary (`primary-kill`): the nodes fail over, verify rebuilds the old
 * primary as the new standby.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import postgres from "postgres";
import { EMBEDDED_PASSWORD } from "../../db/embedded-events";
import { freePort } from "../../db/embedded";
import { startServer, type PgServer } from "../../db/pg-server";
import { configurePrimary, rebuildAsStandby, startPair } from "../../db/standby-pair";
import type { DbDump } from "./history";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
/** How long a primary stays unreachable before the nodes fail over (SPEC STANDBY-5). */
const FAILOVER_MS = 1000;
const DATABASES = { catalog: "concord", a: "concord_shard_a", b: "concord_shard_b" } as const;

interface NodeProc {
  name: string;
  port: number;
  child: ChildProcess | null;
  /** Set while verify itself keeps the node down (a kill -9 waiting for its restart). */
  held: boolean;
  ready: boolean;
}

export interface DeploymentEvents {
  /** A node exited without being killed by verify (the 2PC crash switch, or a crash). */
  onUnexpectedExit: (node: string, code: number | null, signal: string | null, crashStep: string | null) => void;
}

export class Deployment {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "concord-verify-"));
  private pgPort = 0;
  private pg: ChildProcess | null = null;
  private pgExited: Promise<void> = Promise.resolve();
  private readonly secret = randomBytes(32).toString("hex");
  readonly nodes: NodeProc[] = [];
  private stopping = false;
  private logs: WriteStream;
  /** Shard `a`'s two servers, when it has a standby. */
  private pair: [PgServer, PgServer] | null = null;

  constructor(
    private readonly count: number,
    private readonly faultEnv: (i: number) => string | undefined,
    private readonly events: DeploymentEvents,
    private readonly standbys = false,
  ) {
    // As root, Postgres runs as the postgres user, which must reach its data folder inside.
    chmodSync(this.dir, 0o755);
    this.logs = createWriteStream(path.join(this.dir, "nodes.log"));
  }

  url(db: string): string {
    return `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${this.pgPort}/${db}`;
  }

  get urls(): string[] {
    return this.nodes.map((n) => `http://127.0.0.1:${n.port}`);
  }

  /** Starts Postgres (on the same port every time, so the nodes' settings stay right). */
  async startPostgres(): Promise<void> {
    if (!this.pgPort) this.pgPort = await freePort();
    const child = spawn(process.execPath, ["--import", tsxLoader, path.join(root, "server/db/embedded-process.ts"), path.join(this.dir, "pg"), String(this.pgPort)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.pg = child;
    this.pgExited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr.pipe(this.logs, { end: false });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (text) => {
        try {
          const e = JSON.parse(text) as { type: string; message?: string };
          if (e.type === "ready") resolve();
          if (e.type === "error") reject(new Error(e.message));
        } catch {
          /* not an event */
        }
      });
      void this.pgExited.then(() => reject(new Error("embedded Postgres exited before it was ready")));
    });
  }

  async stopPostgres(): Promise<void> {
    if (this.pg && this.pg.exitCode === null) this.pg.stdin?.end();
    await this.pgExited;
  }

  /** A Postgres restart: stop (clean shutdown, every connection dropped), start again. */
  async restartPostgres(): Promise<void> {
    await this.stopPostgres();
    await this.startPostgres();
  }

  async start(): Promise<void> {
    await this.startPostgres();
    const admin = postgres(this.url("postgres"), { max: 1, onnotice: () => {} });
    for (const db of Object.values(DATABASES)) await admin.unsafe(`CREATE DATABASE ${db}`);
    await admin.end();
    if (this.standbys) {
      this.pair = await startPair(
        { dirs: [path.join(this.dir, "a0"), path.join(this.dir, "a1")], ports: [await freePort(), await freePort()] },
        "sync",
        async (adminUrl) => {
          const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
          await a.unsafe(`CREATE DATABASE ${DATABASES.a}`);
          await a.end();
        },
      );
    }
    for (let i = 0; i < this.count; i++) this.nodes.push({ name: `node-${i + 1}`, port: await freePort(), child: null, held: false, ready: false });
    // The first node applies the migrations; the others start once it is up.
    await this.launch(this.nodes[0]!);
    await Promise.all(this.nodes.slice(1).map((n) => this.launch(n)));
  }

  private launch(n: NodeProc, attempt = 1): Promise<void> {
    const i = this.nodes.indexOf(n);
    const fault = this.faultEnv(i);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/main.ts")], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: this.url(DATABASES.catalog),
        SHARD_URLS: this.pair
          ? `a=${this.pair[0].url(DATABASES.a)}|${this.pair[1].url(DATABASES.a)},b=${this.url(DATABASES.b)}`
          : `a=${this.url(DATABASES.a)},b=${this.url(DATABASES.b)}`,
        CONCORD_FAILOVER_MS: String(FAILOVER_MS),
        SESSION_SECRET: this.secret,
        PORT: String(n.port),
        HOST: "127.0.0.1",
        NODE_ID: n.name,
        CONCORD_UI: "off",
        LOG_LEVEL: "warn",
        // The checkers read every board's whole log at the end, with since 0: kept, and answered
        // as changes rather than as the smaller snapshot (FEED-6).
        CHANGE_LOG_KEEP: "100000000",
        CATCH_UP_MIN_CHANGES: "100000000",
        ...(fault ? { CONCORD_FAULTS: fault } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    n.child = child;
    n.ready = false;
    let crashStep: string | null = null;
    createInterface({ input: child.stderr! }).on("line", (line) => {
      const m = /fault: 2pc crash after (\S+)/.exec(line);
      if (m) crashStep = m[1]!;
      this.logs.write(`${n.name} ${line}\n`);
    });
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        this.logs.write(`${n.name} ${line}\n`);
        if (/ready on http/.test(line)) {
          n.ready = true;
          resolve();
        }
      });
      child.once("exit", (code, signal) => {
        n.ready = false;
        if (n.child === child) n.child = null;
        reject(new Error(`${n.name} exited (${signal ?? code}) before it was ready`));
        if (this.stopping || n.held) return;
        this.events.onUnexpectedExit(n.name, code, signal, crashStep);
        // Supervise: a node that died on its own comes back, like the cluster tool does.
        setTimeout(() => {
          if (!this.stopping && !n.held && !n.child) void this.launch(n).catch(() => {});
        }, 500);
      });
    });
    return ready.catch(async (err: Error) => {
      // A start can fail while Postgres is restarting: try again a few times.
      if (this.stopping || n.held || attempt >= 10 || n.child) throw err;
      await new Promise((r) => setTimeout(r, 1000));
      if (n.child) return;
      return this.launch(n, attempt + 1);
    });
  }

  /** kill -9 of one node; it is started again after `downMs`. */
  async killNode(i: number, downMs: number): Promise<void> {
    const n = this.nodes[i]!;
    const c = n.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    n.held = true;
    const gone = new Promise<void>((r) => {
      c.once("exit", () => r());
      setTimeout(r, 5000);
    });
    c.kill("SIGKILL");
    await gone;
    await new Promise((r) => setTimeout(r, downMs));
    n.held = false;
    if (!this.stopping && !n.child) await this.launch(n).catch(() => {});
  }

  /** Shard `a`'s database on its current primary (the catalog says which, SPEC STANDBY-3). */
  private async shardUrl(shard: "a" | "b"): Promise<string> {
    if (shard === "b" || !this.pair) return this.url(DATABASES[shard]);
    return this.pair[await this.primaryIndex()]!.url(DATABASES.a);
  }

  private async primaryIndex(): Promise<number> {
    return (await this.replicaRow()).primary;
  }

  private async replicaRow(): Promise<{ primary: number; ready: boolean }> {
    const sql = postgres(this.url(DATABASES.catalog), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ primary: number; ready: boolean }[]>`SELECT "primary", standby_ready AS ready FROM shard_replicas WHERE shard = 'a'`;
      return row ?? { primary: 0, ready: false };
    } finally {
      await sql.end();
    }
  }

  /**
   * kill -9 of shard `a`'s primary (SPEC STANDBY-5): waits until the nodes have promoted the
   * standby (the catalog names it primary), then rebuilds the old primary as the new standby.
   * Answers how long the failover took, for the record. When the catalog says the standby may
   * lack acknowledged writes (a rebuilt one still catching up, STANDBY-7), no failover may happen:
   * verify waits four failover timeouts, then starts the killed primary again, as an operator would.
   */
  async killPrimary(): Promise<string> {
    if (!this.pair) return "shard a has no standby";
    const was = await this.primaryIndex();
    const killedAt = Date.now();
    await this.pair[was]!.kill();
    // Read after the kill: only the elected node's look at a running primary can set it.
    const ready = (await this.replicaRow().catch(() => ({ ready: true }))).ready;
    const deadline = killedAt + (ready ? 60_000 : 4 * FAILOVER_MS);
    while ((await this.primaryIndex().catch(() => was)) === was) {
      if (this.stopping || Date.now() > deadline) {
        if (ready) return `kill -9 shard a primary #${was}: no failover within 60 s`;
        this.pair[was] = await startServer(this.pair[was]!.dir, this.pair[was]!.port);
        return `kill -9 shard a primary #${was} while its standby was not ready: no failover (STANDBY-7); the primary was started again`;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) return `kill -9 shard a primary #${was}: the standby was promoted although the catalog said it was not ready (STANDBY-7)`;
    const tookMs = Date.now() - killedAt;
    const primary = this.pair[1 - was]!;
    await rebuildAsStandby(this.pair[was]!.dir, primary);
    this.pair[was] = await startServer(this.pair[was]!.dir, this.pair[was]!.port);
    const admin = postgres(primary.url("postgres"), { max: 1, onnotice: () => {} });
    await configurePrimary(admin, "sync").finally(() => admin.end());
    return `kill -9 shard a primary #${was}: standby #${1 - was} promoted within ${tookMs} ms; old primary rebuilt as the standby`;
  }

  /** Waits until every node is up (the supervisor restarts dead ones). */
  async allReady(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.nodes.every((n) => n.ready)) return true;
      for (const n of this.nodes) if (!n.child && !n.held) void this.launch(n).catch(() => {});
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  /** Prepared transactions left on the shards (SPEC TX-4 must leave none). */
  async preparedLeft(): Promise<number> {
    let total = 0;
    for (const shard of ["a", "b"] as const) {
      const sql = postgres(await this.shardUrl(shard), { max: 1, onnotice: () => {} });
      try {
        const [r] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()`;
        total += r!.n;
      } finally {
        await sql.end();
      }
    }
    return total;
  }

  /** Coordinator log entries not yet decided (recovery decides them after its grace, SPEC TX-4). */
  async undecided(): Promise<number> {
    const sql = postgres(this.url(DATABASES.catalog), { max: 1, onnotice: () => {} });
    try {
      const [r] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tx_log WHERE state IN ('preparing', 'prepared')`;
      return r!.n;
    } finally {
      await sql.end();
    }
  }

  /** Reads what the checkers need straight from the databases. */
  async dump(): Promise<DbDump> {
    const out: DbDump = { shards: {}, txLog: [], cardIds: [], leases: [] };
    for (const shard of ["a", "b"] as const) {
      const sql = postgres(await this.shardUrl(shard), { max: 1, onnotice: () => {} });
      try {
        out.shards[shard] = {
          cards: await sql`SELECT id, board_id AS "boardId", version, fence::float8 AS fence FROM cards`,
          heads: await sql`SELECT board_id AS "boardId", seq::float8 AS seq, floor::float8 AS floor FROM board_heads`,
          changes: await sql`SELECT board_id AS "boardId", seq::float8 AS seq, type, card_id AS "cardId", mutation_id AS "mutationId" FROM changes ORDER BY board_id, seq`,
          applied: await sql`SELECT mutation_id AS "mutationId", card_id AS "cardId", result FROM applied_mutations`,
          prepared: (await sql<{ gid: string }[]>`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`).map((r) => r.gid),
        } as DbDump["shards"][string];
      } finally {
        await sql.end();
      }
    }
    const sql = postgres(this.url(DATABASES.catalog), { max: 1, onnotice: () => {} });
    try {
      out.txLog = await sql`SELECT tx_id AS "txId", state, payload->'req'->>'mutationId' AS "mutationId", payload->>'from' AS "from", payload->>'to' AS "to" FROM tx_log`;
      out.cardIds = await sql`SELECT card_id AS "cardId", board_id AS "boardId" FROM card_ids`;
      out.leases = (await sql`SELECT card_id AS "cardId", holder_id AS "holderId", token::float8 AS token, expires_at AS "expiresAt" FROM leases`).map((r) => ({ ...r, expiresAt: new Date(r.expiresAt as string).toISOString() })) as DbDump["leases"];
    } finally {
      await sql.end();
    }
    return JSON.parse(JSON.stringify(out)) as DbDump;
  }

  /** Stops every node, then Postgres, and removes the folder (kept with `keep`). */
  async stop(keep = false): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            const c = n.child;
            if (!c) return resolve();
            const t = setTimeout(() => c.kill("SIGKILL"), 5000);
            c.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
    await this.stopPostgres().catch(() => {});
    for (const server of this.pair ?? []) await server.stop().catch(() => {});
    this.logs.end();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
