import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { createAdapter as createPgAdapter } from "@socket.io/postgres-adapter";
import { createAdapter as createRedisAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import pg from "pg";
import type { Logger } from "pino";
import { Server } from "socket.io";
import { PROTOCOL_VERSION, type ClientToServerEvents, type CrashPoint, type Health, type ServerToClientEvents } from "../lib/protocol";
import type { Databases } from "./db/databases";
import type { Replication } from "./db/replication";
import { handleHttp, type HttpContext } from "./http/routes";
import { OriginPolicy, KeyedRateLimiter, addSecurityHeaders } from "./http/security";
import { readCookie, sessionCookieName } from "./http/session-cookie";
import { Metrics } from "./metrics";
import { RelayRepair } from "./realtime/relay-repair";
import { Broadcaster, userRoom } from "./realtime/broadcaster";
import { registerHandlers, type JoinRead, type SocketData } from "./realtime/handlers";
import { SharedRead } from "./realtime/shared-read";
import { LockExpiryWatch, PresenceTracker } from "./realtime/presence";
import { createServices, type Services } from "./services";
import { PostgresLeaseStore } from "./services/lease-stores/postgres";
import { RedisLeaseStore } from "./services/lease-stores/redis";
import type { LeaseStore } from "./services/lease-stores/types";
import { SessionStore, type Sessions } from "./services/sessions";

export type AdapterKind = "postgres" | "redis" | "memory";

export interface NodeOptions {
  nodeId: string;
  dbs: Databases;
  sessions: Sessions;
  log: Logger;
  changeLogKeep?: number;
  /** Cross-node broadcasts: Postgres LISTEN/NOTIFY on the catalog (default), Redis pub/sub, or in-process only. */
  adapter?: AdapterKind;
  catalogUrl?: string;
  /** With a Redis URL, leases live in Redis and the default adapter is Redis. */
  redisUrl?: string;
  /** Key prefix in Redis (tests isolate themselves with it). */
  redisPrefix?: string;
  /** Serves everything that is not the API or Socket.IO (the Next.js UI); 404 when absent. */
  ui?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** The clock the per-socket rate limiter reads (tests freeze it to make INPUT-2 exact). */
  now?: () => number;
  /** Browser origins allowed besides the node's own (SPEC SEC-3; ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
  /** Sign-ins per minute per client address (SPEC SEC-4; SESSION_RATE_LIMIT); absent or 0: unlimited. */
  signInsPerMinute?: number;
  /** Password sign-ins and sign-ups per minute per client address (SPEC ACCOUNT-5; PASSWORD_RATE_LIMIT); default 10, three times that per account name. */
  passwordAttemptsPerMinute?: number;
  /** Proxies in front of the node whose X-Forwarded-For / -Proto to trust (TRUST_PROXY). */
  trustProxy?: number;
  /** How often each node re-checks its sockets' sessions (SPEC SEC-2); default 30 s. */
  sessionSweepMs?: number;
  /** How often each node compares what its sockets got of each board with the board's head (SPEC REPL-2); default 5 s. */
  relayRepairMs?: number;
  /** How long a node must have known no other node before it stops relaying (SPEC PERF-3); default 6 s. */
  relayAloneAfterMs?: number;
  /** Next.js dev mode (its scripts need 'unsafe-eval' in the CSP). */
  dev?: boolean;
  /** Demo mode with embedded standbys: kill -9 of a shard's primary (SPEC STANDBY-6). */
  killPrimary?: (shard: string) => Promise<string>;
  /** How often the replication watch runs (SPEC STANDBY-5); default 500 ms. */
  replicationWatchMs?: number;
  /** SPEC TX-10: offer the demo fault switch (`sim:crash`) to clients. Off unless asked for. */
  demoFaults?: boolean;
  /** SPEC PERF-7: send a batch on a board the node remembers in one round trip (default true; off: always read first, as tests of PERF-6 need). */
  oneTripBatches?: boolean;
  /** SPEC PERF-8: one-trip batches of a board in flight at most before the lane's next batch starts (default 2; tests raise it). */
  chainDepth?: number;
  /** Called with each Redis client the node makes, to watch its connection (main.ts logs outages once). */
  watchRedis?: (client: Redis, role: string) => void;
}

export interface ConcordNode {
  server: http.Server;
  io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  services: Services;
  sessions: SessionStore;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * One Concord node: an HTTP server carrying the API, Socket.IO and (optionally) the UI, over the
 * given databases. Stateless: run as many as you like over the same databases.
 */
export async function createNode(opts: NodeOptions): Promise<ConcordNode> {
  const { log, dbs, sessions, nodeId } = opts;
  const sessionStore = new SessionStore(dbs.catalogSql, sessions);
  const origins = new OriginPolicy(opts.allowedOrigins, opts.trustProxy);
  const httpContext: HttpContext = {
    sessions: sessionStore,
    health: () => health(),
    metrics: () => metrics.text(),
    origins,
    signInLimiter: opts.signInsPerMinute ? new KeyedRateLimiter(opts.signInsPerMinute) : null,
    passwordLimiter: new KeyedRateLimiter(opts.passwordAttemptsPerMinute ?? 10),
    nameLimiter: new KeyedRateLimiter(3 * (opts.passwordAttemptsPerMinute ?? 10)),
    trustProxy: opts.trustProxy ?? 0,
    onRevoked: (sessionId) => {
      endSession(sessionId);
      if (adapter !== "memory") cluster.serverSideEmit("session:revoked", sessionId);
    },
    dev: opts.dev ?? false,
    log,
    ...(opts.killPrimary ? { killPrimary: guardedKill(opts.killPrimary, dbs.replication) } : {}),
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        if (await handleHttp(req, res, httpContext)) return;
        if (opts.ui) return await opts.ui(req, res);
        res.writeHead(404).end("not found");
      } catch (err) {
        log.error({ err }, "request failed");
        if (!res.headersSent) res.writeHead(500).end("internal error");
      }
    })();
  });
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(server, {
    maxHttpBufferSize: 1e6,
    serveClient: false,
    // Only the app's own origin (and ALLOWED_ORIGINS) may open a socket, on polling and on the
    // websocket upgrade alike; clients without an Origin (Node) are not browsers (SPEC SEC-3).
    cors: { origin: (origin, cb) => cb(null, origins.allows(origin, undefined) ? origin : false), credentials: true },
    allowRequest: (req, cb) => {
      const allowed = origins.allowsRequest(req);
      cb(allowed ? null : "origin not allowed", allowed);
    },
  });
  io.engine.on("initial_headers", (headers: Record<string, string>) => addSecurityHeaders(headers));
  io.engine.on("headers", (headers: Record<string, string>) => addSecurityHeaders(headers));

  let pool: pg.Pool | null = null;
  let redisClients: Redis[] = [];
  const adapter: AdapterKind = opts.adapter ?? (opts.redisUrl ? "redis" : "postgres");
  if (adapter === "redis") {
    if (!opts.redisUrl) throw new Error("the redis adapter needs REDIS_URL");
    const pub = new Redis(opts.redisUrl);
    const sub = pub.duplicate();
    redisClients = [pub, sub];
    opts.watchRedis?.(pub, "adapter");
    opts.watchRedis?.(sub, "adapter subscriber");
    io.adapter(createRedisAdapter(pub, sub, { key: `${opts.redisPrefix ?? "concord:"}socket.io` }));
  } else if (adapter === "postgres") {
    if (!opts.catalogUrl) throw new Error("the postgres adapter needs the catalog URL");
    // Two connections: one LISTENs, one publishes. A single publisher keeps NOTIFYs (and so
    // broadcasts under 8 kB) in the order this node committed them. Larger payloads travel as
    // attachments and may overtake; clients reorder by seq anyway (SPEC FEED-4).
    pool = new pg.Pool({ connectionString: opts.catalogUrl, max: 2 });
    pool.on("error", (err) => log.warn({ err }, "adapter pool error"));
    // The adapter keeps one client checked out for LISTEN and attaches no error listener to it;
    // without this, a database restart would crash the node instead of letting it reconnect.
    pool.on("connect", (client) => client.on("error", (err) => log.warn({ err }, "adapter connection lost; it reconnects")));
    io.adapter(createPgAdapter(pool, { errorHandler: (err) => log.warn({ err }, "adapter error") }));
  }

  let leaseStore: LeaseStore = new PostgresLeaseStore(dbs.catalogSql);
  if (opts.redisUrl) {
    const redisStore = new RedisLeaseStore(opts.redisUrl, opts.redisPrefix, (client) => opts.watchRedis?.(client, "leases"));
    // Tokens must keep growing across a switch of backend: start Redis's counter above Postgres's.
    const [row] = (await dbs.catalogSql`SELECT last_value::int AS n FROM lock_tokens`) as unknown as [{ n: number }];
    await redisStore.seedTokens(row?.n ?? 0);
    leaseStore = redisStore;
  }

  // services is assigned below; the gauges read it only when scraped.
  const metrics = new Metrics({ sockets: () => io.of("/").sockets.size, laneDepth: () => services.records.queued() });
  const broadcaster = new Broadcaster(io, { cluster: adapter !== "memory", observer: metrics, peers: () => adapterPeers(io), aloneAfterMs: opts.relayAloneAfterMs });
  const joinReads = new SharedRead<JoinRead>();
  const presence = new PresenceTracker(io, broadcaster);
  const lockExpiry = new LockExpiryWatch(broadcaster);
  const services = createServices({
    log,
    nodeId,
    dbs,
    changeLogKeep: opts.changeLogKeep ?? 10_000,
    presence,
    lockExpiry,
    leaseStore,
    onTx: (txId, phase, shards, boards) => {
      if (phase === "committed" || phase === "aborted") metrics.twoPhase.inc({ outcome: phase });
      broadcaster.tx(txId, phase, shards, boards);
    },
    onBatch: (writes, trips) => {
      metrics.batchWrites.observe(writes);
      metrics.batchTrips.inc({ trips: String(trips) });
    },
    onTxStep: (step, boards) => broadcaster.txStep(step, boards),
    onChanges: (changes) => changes.forEach((c) => broadcaster.change(c)),
    demoFaults: opts.demoFaults ?? false,
    oneTripBatches: opts.oneTripBatches ?? true,
    ...(opts.chainDepth !== undefined ? { chainDepth: opts.chainDepth } : {}),
  });

  const health = async (): Promise<Health> => ({
    ok: true,
    nodeId,
    shards: services.boards.shardNames(),
    twoPhaseCommit: dbs.twoPhaseCommit,
    locks: leaseStore.backend,
    adapter,
    ...(dbs.replication ? { replication: await dbs.replication.status(), ...(opts.killPrimary ? { canKillPrimary: true } : {}) } : {}),
  });

  // Every handshake (a reconnect is one too) needs a live session (SPEC SEC-2): the token from
  // `auth` (socket.io-client, tests), else the session cookie a browser sends with the upgrade.
  const sessionOf = new WeakMap<object, string>();
  // A revoked session's sockets lose their connection (not a clean server disconnect, after which
  // socket.io-client would stay down): the client reconnects, its handshake is refused with
  // UNAUTHORIZED, and the UI asks the person to sign in. Other nodes hear it through the adapter.
  const cluster = io as unknown as Server<
    Record<string, never>,
    Record<string, never>,
    { "session:revoked": (sessionId: string) => void; "board:changed": (boardId: string) => void }
  >;
  const endSession = (sessionId: string) => {
    for (const s of io.of("/").sockets.values()) if (sessionOf.get(s) === sessionId) s.conn.close();
  };
  cluster.on("session:revoked", endSession);
  // SPEC BOARD-1 … BOARD-5: a board renamed, archived, deleted or left is forgotten by every node's cache.
  services.boards.onInvalidate = (boardId) => {
    if (adapter !== "memory") cluster.serverSideEmit("board:changed", boardId);
  };
  cluster.on("board:changed", (boardId) => services.boards.forget(boardId));
  io.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown; batch?: unknown; replicaId?: unknown; presenceDelta?: unknown } | undefined;
    const token =
      typeof auth?.token === "string" && auth.token !== ""
        ? auth.token
        : readCookie(socket.handshake.headers.cookie, sessionCookieName(socket.handshake.headers.host));
    sessionStore.authenticate(token).then(
      (claims) => {
        if (!claims) return next(new Error("UNAUTHORIZED"));
        const replicaId =
          typeof auth?.replicaId === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(auth.replicaId)
            ? auth.replicaId
            : `s-${socket.id.replace(/[^A-Za-z0-9_-]/g, "")}`;
        socket.data = { user: claims.user, replicaId, batch: auth?.batch === true, presenceDelta: auth?.presenceDelta === true, boards: new Map() };
        sessionOf.set(socket, claims.sessionId);
        next();
      },
      (err: unknown) => {
        log.warn({ err }, "session check failed");
        next(new Error("UNAVAILABLE"));
      },
    );
  });
  io.on("connection", (socket) => {
    socket.emit("hello", { nodeId, protocol: PROTOCOL_VERSION, ...(services.demoFaults ? { faults: ["prepare", "decision"] satisfies CrashPoint[] } : {}) });
    void socket.join(userRoom(socket.data.user.id)); // SPEC BOARD-6
    registerHandlers(socket, services, broadcaster, opts.now, metrics, joinReads);
  });

  // Background work runs on one elected node (a lease from the same lock service): finish
  // in-doubt distributed transactions every 15 s, trim change logs every minute.
  // Cards made before the catalog kept every card id (ID-1) are registered once, idempotently.
  await services.directory.backfill();
  // SPEC BOARD-8: heads that disagree with the catalog (boards closed before shard migration
  // 0007, an archive that died halfway) are settled to it.
  const settled = await services.boards.settleHeads().catch((err: unknown) => (log.warn({ err }, "settling board heads failed"), 0));
  if (settled > 0) log.info({ boards: settled }, "settled board heads to the catalog");
  let ticks = 0;
  const jobs = async () => {
    if (!(await leaseStore.lead("background-jobs", nodeId, 45_000))) return;
    await services.moves.recover().catch((err) => log.warn({ err }, "recovery failed"));
    if (ticks++ % 4 === 0) {
      await services.feed.trim(dbs.shards.values()).catch((err) => log.warn({ err }, "trim failed"));
    }
  };
  // A revocation reaches other nodes' sockets through the adapter; this sweep also ends sockets
  // whose session expired or whose revocation broadcast was lost.
  const sweepSessions = async () => {
    const local = [...io.of("/").sockets.values()].flatMap((s) => {
      const sid = sessionOf.get(s);
      return sid ? [{ s, sid }] : [];
    });
    const live = await sessionStore.liveAmong([...new Set(local.map((l) => l.sid))]);
    for (const { s, sid } of local) if (!live.has(sid)) s.conn.close();
  };
  // SPEC STANDBY-3, STANDBY-5: every node follows the catalog's primary and epoch of each replicated
  // shard; the elected node also watches each primary and fails over when it stays unreachable.
  const replication = dbs.replication;
  let watching = false;
  const watchReplication = async () => {
    if (!replication || watching) return;
    watching = true;
    try {
      if (await leaseStore.lead("background-jobs", nodeId, 45_000)) await replication.watch();
      else await replication.refresh();
    } finally {
      watching = false;
    }
  };
  // SPEC REPL-2: changes whose relay never reached this node are sent to its sockets from the log.
  const relayRepair = new RelayRepair(
    broadcaster,
    {
      heads: async (ids) => {
        const byShard = new Map<string, string[]>();
        for (const id of ids) {
          const meta = await services.boards.meta(id).catch(() => null);
          if (meta) byShard.set(meta.shard, [...(byShard.get(meta.shard) ?? []), id]);
        }
        const heads = new Map<string, number>();
        for (const [shard, list] of byShard) for (const [id, seq] of await services.boards.shard(shard).heads(list)) heads.set(id, seq);
        return heads;
      },
      changesAfter: async (id, seq, limit) => {
        const meta = await services.boards.meta(id);
        if (!meta) return [];
        const store = services.boards.shard(meta.shard);
        return store.changesAfter(store.sql, id, seq, limit);
      },
    },
    (n) => metrics.relayRepaired.inc(n),
  );
  const timers = [
    setInterval(() => void relayRepair.tick().catch((err) => log.debug({ err }, "relay repair failed")), opts.relayRepairMs ?? 5_000),
    setInterval(() => void jobs().catch((err) => log.warn({ err }, "jobs failed")), 15_000),
    ...(replication
      ? [setInterval(() => void watchReplication().catch((err) => log.warn({ err }, "replication watch failed")), opts.replicationWatchMs ?? 500)]
      : []),
    setInterval(() => void sweepSessions().catch((err) => log.warn({ err }, "session sweep failed")), opts.sessionSweepMs ?? 30_000),
  ];
  for (const t of timers) t.unref();
  await jobs().catch((err) => log.warn({ err }, "jobs failed"));

  return {
    server,
    io,
    services,
    sessions: sessionStore,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const addr = server.address();
          resolve(typeof addr === "object" && addr ? addr.port : port);
        });
      }),
    close: async () => {
      for (const t of timers) clearInterval(t);
      broadcaster.close();
      presence.close();
      lockExpiry.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await pool?.end().catch(() => {});
      for (const r of redisClients) await r.quit().catch(() => {});
      await leaseStore.close();
    },
  };
}

/**
 * The demo's kill of a shard's primary, refused while its standby may lack acknowledged writes
 * (SPEC STANDBY-7): no failover could follow, and the shard would stay down until restarted by hand.
 */
function guardedKill(kill: (shard: string) => Promise<string>, replication: Replication | null): (shard: string) => Promise<string> {
  return async (shard) => {
    if (replication?.pair(shard) && !replication.mayFailOver(shard)) {
      throw Object.assign(new Error(`shard ${shard}'s standby is still catching up: no failover could follow; try again in a moment`), { code: "STANDBY_NOT_READY" });
    }
    return kill(shard);
  };
}

/**
 * How many other nodes the Socket.IO adapter knows (SPEC PERF-3): the Postgres adapter counts
 * every node whose messages or heartbeats (every 5 s; a starting node announces itself before it
 * serves) it heard within 10 s. An adapter that does not say is taken to have peers.
 */
function adapterPeers(io: Server): number {
  const nodes = (io.of("/").adapter as unknown as { nodesMap?: Map<string, number> }).nodesMap;
  return nodes instanceof Map ? nodes.size : 1;
}
