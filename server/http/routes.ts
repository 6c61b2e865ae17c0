import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { accountRequestSchema, ConcordError, LIMITS, sessionRequestSchema, type Health } from "../../lib/protocol";
import { NameTakenError, normalizeDisplayName, Sessions, type SessionStore } from "../services/sessions";
import { applySecurityHeaders, clientIp, type OriginPolicy, type KeyedRateLimiter } from "./security";
import { requestToken, sessionCookie } from "./session-cookie";

const MAX_BODY = 16 * 1024;
/** A body over the limit is still read (and dropped) up to this much, so the 413 reaches the client. */
const MAX_DRAIN = 1024 * 1024;

/** What the HTTP edge needs from its node. */
export interface HttpContext {
  sessions: SessionStore;
  health: () => Health | Promise<Health>;
  origins: OriginPolicy;
  /** Sign-ins per client address (SPEC SEC-4); null: unlimited. */
  signInLimiter: KeyedRateLimiter | null;
  /** Password sign-ins and sign-ups per client address, and sign-ins per account name (SPEC ACCOUNT-5). */
  passwordLimiter: KeyedRateLimiter;
  nameLimiter: KeyedRateLimiter;
  /** How many proxies in front of the node to trust for X-Forwarded-For / -Proto. */
  trustProxy: number;
  /** The node's metrics in the Prometheus text format (`GET /metrics`). */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Ends the sockets of a revoked session, on every node. */
  onRevoked: (sessionId: string) => void;
  dev: boolean;
  log: Logger;
  /**
   * Demo mode with embedded standbys only (SPEC STANDBY-6): kill -9 of a shard's primary, so a
   * person watches the failover. Absent: the endpoint answers 404.
   */
  killPrimary?: (shard: string) => Promise<string>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : json);
}

function fail(res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void {
  send(res, status, { error: { code, message } }, headers);
}

/**
 * Reads a body of at most MAX_BODY bytes; null when it is larger. A larger body is read on and
 * dropped (up to MAX_DRAIN, then the connection is cut) instead of cutting the connection at
 * once, which lost the 413 answer before the client could read it.
 */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<string | null> {
  return new Promise((resolve) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_DRAIN) {
      res.shouldKeepAlive = false; // answered, then the connection closes instead of reading it all
      resolve(null);
      return;
    }
    let size = 0;
    let over = false;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (over) {
        if (size > MAX_DRAIN) req.destroy();
        return;
      }
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
        resolve(null);
      } else chunks.push(c);
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(null));
  });
}

/**
 * Everything the node's HTTP server answers before the UI: security headers on every response
 * (SPEC SEC-1), malformed URLs, `/metrics`, and the API of PROTOCOL.md "Sessions". Returns true when it
 * answered the request, false to let the UI (Next.js) handle it.
 */
export async function handleHttp(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<boolean> {
  applySecurityHeaders(req, res, ctx.dev);
  const url = new URL(req.url ?? "/", "http://x");
  try {
    decodeURIComponent(url.pathname);
  } catch {
    // Next.js answers a bare 500 for a path it cannot decode (SPEC SEC-4).
    fail(res, 400, "BAD_REQUEST", "malformed URL");
    return true;
  }
  if (url.pathname === "/metrics") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      fail(res, 405, "BAD_REQUEST", "use GET", { allow: "GET, HEAD" });
      return true;
    }
    const m = await ctx.metrics();
    res.writeHead(200, { "content-type": m.contentType, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : m.body);
    return true;
  }
  if (!url.pathname.startsWith("/api/")) return false;
  if (!ctx.origins.allowsRequest(req)) {
    fail(res, 403, "FORBIDDEN", "this origin may not use the API");
    return true;
  }
  if (url.pathname === "/api/health") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      fail(res, 405, "BAD_REQUEST", "use GET", { allow: "GET, HEAD" });
      return true;
    }
    send(res, 200, await ctx.health());
    return true;
  }
  if (url.pathname === "/api/session") {
    if (req.method === "POST") await signIn(req, res, ctx);
    else if (req.method === "DELETE") await signOut(req, res, ctx);
    else if (req.method === "GET" || req.method === "HEAD") await whoAmI(req, res, ctx);
    else fail(res, 405, "BAD_REQUEST", "use POST to sign in, DELETE to sign out, GET to read", { allow: "GET, HEAD, POST, DELETE" });
    return true;
  }
  if (url.pathname === "/api/account") {
    if (req.method === "POST") await signUp(req, res, ctx);
    else fail(res, 405, "BAD_REQUEST", "use POST to make an account", { allow: "POST" });
    return true;
  }
  if (url.pathname === "/api/demo/kill-primary" && ctx.killPrimary) {
    if (req.method !== "POST") fail(res, 405, "BAD_REQUEST", "use POST", { allow: "POST" });
    else await killPrimary(req, res, ctx, ctx.killPrimary);
    return true;
  }
  fail(res, 404, "NOT_FOUND", "no such endpoint");
  return true;
}

/** `POST /api/demo/kill-primary { shard }`: signed-in people only, demo mode only (STANDBY-6). */
async function killPrimary(req: IncomingMessage, res: ServerResponse, ctx: HttpContext, kill: (shard: string) => Promise<string>): Promise<void> {
  const claims = await ctx.sessions.authenticate(requestToken(req)).catch(() => null);
  if (!claims) return fail(res, 401, "UNAUTHORIZED", "sign in first");
  const json = await readJson(req, res);
  if (res.writableEnded) return; // answered 413 or 400 already
  const shard = (json as { shard?: unknown } | null)?.shard;
  if (typeof shard !== "string" || !/^[a-z0-9_]{1,32}$/.test(shard)) return fail(res, 400, "BAD_REQUEST", "shard must be a shard name");
  try {
    send(res, 200, { killed: await kill(shard) });
  } catch (err) {
    const notReady = (err as { code?: string }).code === "STANDBY_NOT_READY";
    fail(res, notReady ? 409 : 400, notReady ? "STANDBY_NOT_READY" : "BAD_REQUEST", (err as Error).message);
  }
}

/** The JSON body of a request, or null after answering 413 / 400. */
async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const raw = await readBody(req, res);
  if (raw === null) {
    fail(res, 413, "TOO_LARGE", `body over ${MAX_BODY} bytes`);
    return null;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    fail(res, 400, "BAD_REQUEST", "body is not JSON");
    return null;
  }
}

/** Takes one attempt from `limiter` for `key`, or answers 429 with Retry-After and returns false. */
function attempt(res: ServerResponse, limiter: KeyedRateLimiter, key: string, what: string): boolean {
  if (limiter.take(key)) return true;
  const wait = Math.max(1, limiter.retryAfterSeconds(key));
  fail(res, 429, "RATE_LIMITED", `too many ${what}; try again in ${wait} s`, { "retry-after": String(wait) });
  return false;
}

/** Answers a new session: the token and user in the body, the token in the session cookie. */
function sendSession(req: IncomingMessage, res: ServerResponse, ctx: HttpContext, s: { token: string; user: { id: string; name: string } }, account: boolean): void {
  send(res, 200, { token: s.token, user: s.user, account }, { "set-cookie": sessionCookie(req, s.token, Sessions.MAX_AGE_MS, ctx.trustProxy) });
}

/**
 * `POST /api/session`: with a name only, a new guest and session; with a password too, a new
 * session of the account of that name (SPEC ACCOUNT-2). A wrong password and a name without
 * an account answer the same 401 INVALID_CREDENTIALS.
 */
async function signIn(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  const ip = clientIp(req, ctx.trustProxy);
  if (ctx.signInLimiter && !ctx.signInLimiter.take(ip)) {
    const wait = Math.max(1, ctx.signInLimiter.retryAfterSeconds(ip));
    fail(res, 429, "RATE_LIMITED", "too many sign-ins from this address; try again later", { "retry-after": String(wait) });
    return;
  }
  const json = await readJson(req, res);
  if (json === null) return;
  const parsed = sessionRequestSchema.safeParse(json);
  if (!parsed.success) {
    fail(res, 400, "BAD_REQUEST", `name must be a string of 1 to ${LIMITS.userName} characters (password, when sent, 1 to ${LIMITS.passwordMax}), without NUL or lone surrogates`);
    return;
  }
  const name = normalizeDisplayName(parsed.data.name);
  if (!name) {
    fail(res, 400, "BAD_REQUEST", "name must have a visible character");
    return;
  }
  const password = parsed.data.password;
  if (password !== undefined) {
    if (!attempt(res, ctx.passwordLimiter, ip, "sign-in attempts from this address")) return;
    if (!attempt(res, ctx.nameLimiter, name.toLowerCase(), "sign-in attempts for this name")) return;
  }
  try {
    if (password === undefined) {
      sendSession(req, res, ctx, await ctx.sessions.create(name), false);
      return;
    }
    const session = await ctx.sessions.signInWithPassword(name, password);
    if (!session) fail(res, 401, "INVALID_CREDENTIALS", "wrong name or password");
    else sendSession(req, res, ctx, session, true);
  } catch (err) {
    ctx.log.error({ err }, "session failed");
    fail(res, 503, "UNAVAILABLE", "could not create a session; try again");
  }
}

/**
 * `POST /api/account` (SPEC ACCOUNT-1, ACCOUNT-4): a new account; sent with the live session of
 * a guest, that guest becomes the account (same id, same boards) and its session is replaced.
 */
async function signUp(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  const ip = clientIp(req, ctx.trustProxy);
  if (!attempt(res, ctx.passwordLimiter, ip, "sign-ups and sign-ins from this address")) return;
  const json = await readJson(req, res);
  if (json === null) return;
  const parsed = accountRequestSchema.safeParse(json);
  if (!parsed.success) {
    const short = typeof (json as { password?: unknown })?.password === "string" && (json as { password: string }).password.length < LIMITS.passwordMin;
    fail(
      res,
      400,
      short ? "WEAK_PASSWORD" : "BAD_REQUEST",
      short
        ? `the password needs at least ${LIMITS.passwordMin} characters`
        : `name must be 1 to ${LIMITS.userName} characters and password ${LIMITS.passwordMin} to ${LIMITS.passwordMax}, without NUL or lone surrogates`,
    );
    return;
  }
  const name = normalizeDisplayName(parsed.data.name);
  if (!name) {
    fail(res, 400, "BAD_REQUEST", "name must have a visible character");
    return;
  }
  try {
    const current = await ctx.sessions.authenticate(requestToken(req));
    const made = await ctx.sessions.signUp(name, parsed.data.password, current);
    sendSession(req, res, ctx, made, true);
    // After the answer, so the browser holds the new cookie when its sockets reconnect.
    if (made.replaced) ctx.onRevoked(made.replaced);
  } catch (err) {
    if (err instanceof NameTakenError) return fail(res, 409, "NAME_TAKEN", err.message);
    if (err instanceof ConcordError) return fail(res, err.code === "CONFLICT" ? 409 : 401, err.code, err.message);
    ctx.log.error({ err }, "sign-up failed");
    fail(res, 503, "UNAVAILABLE", "could not make the account; try again");
  }
}

/** `GET /api/session`: who the session is, and whether they have an account; 401 without a live session. */
async function whoAmI(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  try {
    const claims = await ctx.sessions.authenticate(requestToken(req));
    if (!claims) return fail(res, 401, "UNAUTHORIZED", "no live session");
    send(res, 200, { user: claims.user, account: await ctx.sessions.isAccount(claims.user.id) });
  } catch (err) {
    ctx.log.error({ err }, "session read failed");
    fail(res, 503, "UNAVAILABLE", "could not read the session; try again");
  }
}

/** `DELETE /api/session`: revokes the session of the cookie or bearer token; its sockets end. */
async function signOut(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  const claims = ctx.sessions.tokens.verify(requestToken(req));
  const clear = { "set-cookie": sessionCookie(req, null, 0, ctx.trustProxy) };
  if (!claims) {
    fail(res, 401, "UNAUTHORIZED", "no valid session", clear);
    return;
  }
  try {
    await ctx.sessions.revoke(claims.sessionId);
  } catch (err) {
    ctx.log.error({ err }, "sign-out failed");
    fail(res, 503, "UNAVAILABLE", "could not sign out; try again");
    return;
  }
  ctx.onRevoked(claims.sessionId);
  send(res, 200, {}, clear);
}
