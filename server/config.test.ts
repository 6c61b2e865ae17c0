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
