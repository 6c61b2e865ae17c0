import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { OriginPolicy, KeyedRateLimiter } from "../http/security";
import { normalizeDisplayName, Sessions } from "./sessions";

/** SPEC ACCESS-1, SEC-2, with a fake clock (the only fake: time). */
describe("ACCESS-1 session tokens", () => {
  const alice = { id: "u_alice", name: "Alice" };

  it("verifies its own tokens and refuses forged, foreign and malformed ones", () => {
    const sessions = new Sessions("secret-one-0123456789");
    const token = sessions.sign(alice, "s_1");
    expect(sessions.verify(token)).toEqual({ user: alice, sessionId: "s_1" });
    expect(new Sessions("secret-two-0123456789").verify(token)).toBeNull();
    const [body, mac] = token.split(".");
    const forgedBody = Buffer.from(JSON.stringify({ id: "u_admin", name: "Admin", sid: "s_1", iat: Date.now() })).toString("base64url");
    expect(sessions.verify(`${forgedBody}.${mac}`)).toBeNull();
    for (const bad of [undefined, 42, "", ".", `${body}.`, "x".repeat(2000), `${body}.${mac}x`]) expect(sessions.verify(bad)).toBeNull();
  });

  it("expires tokens after 30 days", () => {
    let now = Date.UTC(2026, 0, 1);
    const sessions = new Sessions("secret-one-0123456789", () => now);
    const token = sessions.sign(alice, "s_1");
    now += Sessions.MAX_AGE_MS - 1;
    expect(sessions.verify(token)?.user).toEqual(alice);
    now += 2;
    expect(sessions.verify(token)).toBeNull();
  });

  it("SEC-2: refuses a correctly signed token that names no session (made before sessions were revocable)", () => {
    const secret = "secret-one-0123456789";
    const body = Buffer.from(JSON.stringify({ id: alice.id, name: alice.name, iat: Date.now() })).toString("base64url");
    const old = `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
    expect(new Sessions(secret).verify(old)).toBeNull();
  });
});

describe("SEC-4 display names", () => {
  it("are NFC, without control or bidi control characters, spaces collapsed", () => {
    expect(normalizeDisplayName("Cafe\u0301")).toBe("Caf\u00e9");
    expect(normalizeDisplayName("Bob\u202Eevil\u202C")).toBe("Bobevil");
    expect(normalizeDisplayName("\u2066Ann\u2069 \u200F")).toBe("Ann");
    expect(normalizeDisplayName("a\u0007b\u009Bc\u007F")).toBe("abc");
    expect(normalizeDisplayName("  Ada \t\n Lovelace  ")).toBe("Ada Lovelace");
    expect(normalizeDisplayName("\u202E\u0008")).toBe("");
  });
});

describe("SEC-3 origins", () => {
  const policy = new OriginPolicy(["https://app.example.com/"]);
  it("allows the request's own host, listed origins and requests without an Origin", () => {
    expect(policy.allows(undefined, "localhost:3000")).toBe(true);
    expect(policy.allows("http://localhost:3000", "localhost:3000")).toBe(true);
    expect(policy.allows("https://APP.example.com", "internal:3000")).toBe(true);
  });
  it("behind a trusted proxy, the app's own host is the one the proxy forwards", () => {
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as import("node:http").IncomingMessage;
    const proxied = { origin: "https://concord.example", host: "127.0.0.1:3000", "x-forwarded-host": "concord.example" };
    expect(new OriginPolicy([], 1).allowsRequest(req(proxied))).toBe(true);
    expect(new OriginPolicy([], 0).allowsRequest(req(proxied))).toBe(false); // a client may not pick its own host
    expect(new OriginPolicy([], 1).allowsRequest(req({ ...proxied, "x-forwarded-host": "evil.example" }))).toBe(false);
  });
  it("refuses other hosts, other ports, null and non-web schemes", () => {
    expect(policy.allows("http://evil.example", "localhost:3000")).toBe(false);
    expect(policy.allows("http://localhost:3001", "localhost:3000")).toBe(false);
    expect(policy.allows("null", "localhost:3000")).toBe(false);
    expect(policy.allows("file://localhost:3000", "localhost:3000")).toBe(false);
    expect(policy.allows("http://localhost:3000", undefined)).toBe(false);
  });
});

describe("SEC-4 rate limiter", () => {
  it("allows a burst, then refills at its rate, per key", () => {
    let now = 0;
    const limiter = new KeyedRateLimiter(6, 3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take("a"))).toEqual([true, true, true, false]);
    expect(limiter.take("b")).toBe(true);
    expect(limiter.retryAfterSeconds("a")).toBe(10);
    now += 10_000;
    expect(limiter.take("a")).toBe(true);
    expect(limiter.take("a")).toBe(false);
  });
  it("keeps at most maxKeys buckets", () => {
    const limiter = new KeyedRateLimiter(1, 1, () => 0, 2);
    expect(limiter.take("a")).toBe(true);
    expect(limiter.take("b")).toBe(true);
    expect(limiter.take("c")).toBe(true); // drops a's bucket
    expect(limiter.take("a")).toBe(true);
    expect(limiter.take("c")).toBe(false);
  });
});
