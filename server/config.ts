import { randomBytes } from "node:crypto";
import path from "node:path";
import { z } from "zod";

/**
 * Environment, validated once at boot. Anything malformed stops the process with one clear line.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  NODE_ID: z.string().min(1).max(64).optional(),
  DATABASE_URL: z.string().url().optional(),
  SHARD_URLS: z.string().optional(),
  /** `1`: the embedded deployment runs a standby per shard (SPEC STANDBY-1). */
  CONCORD_STANDBYS: z.enum(["0", "1"]).default("0"),
  /** `sync`: a commit waits for the standby's disk; `async`: it does not (SPEC STANDBY-2). */
  CONCORD_REPLICATION: z.enum(["sync", "async"]).default("sync"),
  /** How long a primary stays unreachable before the elected node fails over (SPEC STANDBY-5). */
  CONCORD_FAILOVER_MS: z.coerce.number().int().min(200).max(600_000).default(3_000),
  REDIS_URL: z.string().url().optional(),
  /** Key prefix in Redis, so deployments sharing one Redis stay apart (broadcasts, leases, tokens, leader). */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "1 to 64 of A-Z a-z 0-9 _ . : -").default("concord:"),
  /** Browser origins allowed besides the node's own, comma-separated (SPEC SEC-3). */
  ALLOWED_ORIGINS: z.string().optional(),
  /** Sign-ins per minute per client address (SPEC SEC-4); 0 turns the limit off. */
  SESSION_RATE_LIMIT: z.coerce.number().int().min(0).default(30),
  /** Password sign-ins and sign-ups per minute per client address (SPEC ACCOUNT-5); three times that per account name. */
  PASSWORD_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Proxies in front of the node whose X-Forwarded-For / X-Forwarded-Proto to believe. */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  SESSION_SECRET: z.string().min(16).optional(),
  CONCORD_DATA_DIR: z.string().optional(),
  CONCORD_DEV: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** How many changes per board the change log keeps before trimming (see SPEC.md FEED-3). */
  CHANGE_LOG_KEEP: z.coerce.number().int().min(100).default(10_000),
  /** `off`: the API and Socket.IO only, no Next.js UI (headless nodes behind another front end). */
  CONCORD_UI: z.enum(["on", "off"]).default("on"),
});

export interface Config {
  port: number;
  host: string;
  nodeId: string;
  databaseUrl?: string;
  shardUrls?: Record<string, string>;
  /** The standby URL of each shard SHARD_URLS gives one (`a=primary|standby`). */
  standbyUrls?: Record<string, string>;
  standbys: boolean;
  replication: "sync" | "async";
  failoverAfterMs: number;
  redisUrl?: string;
  redisPrefix: string;
  allowedOrigins: string[];
  sessionRateLimit: number;
  trustProxy: number;
  sessionSecret?: string;
  dataDir: string;
  dev: boolean;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  changeLogKeep: number;
  ui: boolean;
  passwordRateLimit: number;
}

/** Parses `a=postgres://…,b=postgres://…`. */
export function parseShardUrls(raw: string): Record<string, string> {
  return parseShardPairs(raw).primaries;
}

/**
 * Parses SHARD_URLS with optional standbys: `a=postgres://primary|postgres://standby,b=postgres://…`
 * (SPEC STANDBY-1): a shard whose entry names two URLs is replicated.
 */
export function parseShardPairs(raw: string): { primaries: Record<string, string>; standbys: Record<string, string> } {
  const primaries: Record<string, string> = {};
  const standbys: Record<string, string> = {};
  for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`SHARD_URLS entry "${part}" is not name=url`);
    const name = part.slice(0, eq).trim();
    const urls = part.slice(eq + 1).split("|").map((u) => u.trim());
    if (!/^[a-z0-9_]{1,32}$/.test(name)) throw new Error(`SHARD_URLS shard name "${name}" must be [a-z0-9_]`);
    if (urls.length > 2) throw new Error(`SHARD_URLS entry for "${name}" names more than a primary and a standby`);
    for (const url of urls) {
      if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`SHARD_URLS url for "${name}" is not a postgres:// URL`);
    }
    primaries[name] = urls[0]!;
    if (urls[1]) standbys[name] = urls[1];
  }
  if (Object.keys(primaries).length === 0) throw new Error("SHARD_URLS names no shard");
  return { primaries, standbys };
}

/** Parses ALLOWED_ORIGINS: `https://a.example,https://b.example` (origins only: no path). */
export function parseAllowedOrigins(raw: string | undefined): string[] {
  const out: string[] = [];
  for (const part of (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new Error(`ALLOWED_ORIGINS entry "${part}" is not an origin like https://concord.example`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== part.replace(/\/+$/, "").toLowerCase()) {
      throw new Error(`ALLOWED_ORIGINS entry "${part}" is not an origin like https://concord.example`);
    }
    out.push(url.origin);
  }
  return out;
}

/** Reads and validates the environment. Throws an Error whose message is the one line to print. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const e = parsed.data;
  if (e.SHARD_URLS && !e.DATABASE_URL) throw new Error("SHARD_URLS is set but DATABASE_URL is not");
  const pairs = e.SHARD_URLS ? parseShardPairs(e.SHARD_URLS) : undefined;
  return {
    port: e.PORT,
    host: e.HOST,
    nodeId: e.NODE_ID ?? `node-${randomBytes(4).toString("hex")}`,
    databaseUrl: e.DATABASE_URL,
    shardUrls: pairs?.primaries,
    standbyUrls: pairs && Object.keys(pairs.standbys).length > 0 ? pairs.standbys : undefined,
    standbys: e.CONCORD_STANDBYS === "1",
    replication: e.CONCORD_REPLICATION,
    failoverAfterMs: e.CONCORD_FAILOVER_MS,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    allowedOrigins: parseAllowedOrigins(e.ALLOWED_ORIGINS),
    sessionRateLimit: e.SESSION_RATE_LIMIT,
    passwordRateLimit: e.PASSWORD_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    sessionSecret: e.SESSION_SECRET,
    dataDir: path.resolve(e.CONCORD_DATA_DIR ?? ".concord"),
    dev: Boolean(e.CONCORD_DEV),
    logLevel: e.LOG_LEVEL,
    changeLogKeep: e.CHANGE_LOG_KEEP,
    ui: e.CONCORD_UI === "on",
  };
}
