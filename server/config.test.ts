import { describe, expect, it } from "vitest";
import { loadConfig, parseAllowedOrigins } from "./config";

/** An environment with only these variables. */
const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ NODE_ENV: "test", ...vars });

/** SPEC SEC-3, SEC-4, SEC-5: the security settings of the environment. */
describe("config: security settings", () => {
  it("defaults: prefix concord:, no extra origins, 30 sign-ins a minute, no trusted proxy, a random node id", () => {
    const a = loadConfig(env());
    expect(a).toMatchObject({ redisPrefix: "concord:", allowedOrigins: [], sessionRateLimit: 30, trustProxy: 0 });
    expect(a.nodeId).toMatch(/^node-[0-9a-f]{8}$/);
    expect(loadConfig(env()).nodeId).not.toBe(a.nodeId);
  });

  it("reads REDIS_PREFIX, ALLOWED_ORIGINS, SESSION_RATE_LIMIT, TRUST_PROXY", () => {
    const c = loadConfig(env({ REDIS_PREFIX: "prod-eu:", ALLOWED_ORIGINS: "https://concord.example, http://localhost:8080/", SESSION_RATE_LIMIT: "0", TRUST_PROXY: "1" }));
    expect(c).toMatchObject({ redisPrefix: "prod-eu:", allowedOrigins: ["https://concord.example", "http://localhost:8080"], sessionRateLimit: 0, trustProxy: 1 });
  });

  it("refuses what is not an origin or not a plain prefix, in one line naming the setting", () => {
    expect(() => parseAllowedOrigins("https://concord.example/app")).toThrow(/ALLOWED_ORIGINS/);
    expect(() => parseAllowedOrigins("concord.example")).toThrow(/ALLOWED_ORIGINS/);
    expect(() => loadConfig(env({ REDIS_PREFIX: "has space" }))).toThrow(/REDIS_PREFIX/);
    expect(() => loadConfig(env({ SESSION_RATE_LIMIT: "-1" }))).toThrow(/SESSION_RATE_LIMIT/);
  });
});

/** SPEC STANDBY-1, STANDBY-2, STANDBY-5: standbys and replication settings. */
describe("config: standbys", () => {
  it("defaults: no standbys, synchronous, failover after 3 s", () => {
    expect(loadConfig(env())).toMatchObject({ standbys: false, replication: "sync", failoverAfterMs: 3_000, standbyUrls: undefined });
  });

  it("SHARD_URLS names a primary and a standby per shard with |", () => {
    const c = loadConfig(env({
      DATABASE_URL: "postgres://c/cat",
      SHARD_URLS: "a=postgres://p1/a|postgres://s1/a, b=postgres://p2/b",
      CONCORD_REPLICATION: "async",
      CONCORD_FAILOVER_MS: "5000",
    }));
    expect(c).toMatchObject({
      shardUrls: { a: "postgres://p1/a", b: "postgres://p2/b" },
      standbyUrls: { a: "postgres://s1/a" },
      replication: "async",
      failoverAfterMs: 5_000,
    });
  });

  it("refuses a third URL, a standby that is not postgres://, and an unknown mode", () => {
    const base = { DATABASE_URL: "postgres://c/cat" };
    expect(() => loadConfig(env({ ...base, SHARD_URLS: "a=postgres://p/a|postgres://s/a|postgres://t/a" }))).toThrow(/more than a primary and a standby/);
    expect(() => loadConfig(env({ ...base, SHARD_URLS: "a=postgres://p/a|http://s/a" }))).toThrow(/not a postgres/);
    expect(() => loadConfig(env({ CONCORD_REPLICATION: "maybe" }))).toThrow(/CONCORD_REPLICATION/);
    expect(() => loadConfig(env({ CONCORD_STANDBYS: "yes" }))).toThrow(/CONCORD_STANDBYS/);
  });
});
