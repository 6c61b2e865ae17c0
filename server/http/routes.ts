import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { sessionRequestSchema, type Health } from "../../lib/protocol";
import { normalizeDisplayName, Sessions, type SessionStore } from "../services/sessions";
import { applySecurityHeaders, clientIp, type OriginPolicy, type KeyedRateLimiter } from "./security";
import { requestToken, sessionCookie } from "./session-cookie";

const MAX_BODY = 16 * 1024;
/** A body over the limit is still read (and dropped) up to this much, so the 413 reaches the client. */
const MAX_DRAIN = 1024 * 1024;

/** What the HTTP edge needs from its node. */
export interface HttpContext {
  sessions: SessionStore;
  health: () => Health;
  origins: OriginPolicy;
  /** Sign-ins per client address (SPEC SEC-4); null: unlimited. */
  signInLimiter: KeyedRateLimiter | null;
  /** How many proxies in front of the node to trust for X-Forwarded-For / -Proto. */
  trustProxy: number;
  /** Ends the sockets of a revoked session, on every node. */
  onRevoked: (sessionId: string) => void;
  dev: boolean;
  log: Logger;
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
 * (SPEC SEC-1), malformed URLs, and the API of PROTOCOL.md "Sessions". Returns true when it
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
    send(res, 200, ctx.health());
    return true;
  }
  if (url.pathname === "/api/session") {
    if (req.method === "POST") await signIn(req, res, ctx);
    else if (req.method === "DELETE") await signOut(req, res, ctx);
    else fail(res, 405, "BAD_REQUEST", "use POST to sign in, DELETE to sign out", { allow: "POST, DELETE" });
    return true;
  }
  fail(res, 404, "NOT_FOUND", "no such endpoint");
  return true;
}

/** `POST /api/session`: a new user and session; the token in the body and in the session cookie. */
async function signIn(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  const ip = clientIp(req, ctx.trustProxy);
  if (ctx.signInLimiter && !ctx.signInLimiter.take(ip)) {
    const wait = Math.max(1, ctx.signInLimiter.retryAfterSeconds(ip));
    fail(res, 429, "RATE_LIMITED", "too many sign-ins from this address; try again later", { "retry-after": String(wait) });
    return;
  }
  const raw = await readBody(req, res);
  if (raw === null) {
    fail(res, 413, "TOO_LARGE", `body over ${MAX_BODY} bytes`);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail(res, 400, "BAD_REQUEST", "body is not JSON");
    return;
  }
  const parsed = sessionRequestSchema.safeParse(json);
  if (!parsed.success) {
    fail(res, 400, "BAD_REQUEST", "name must be a string of 1 to 64 characters, without NUL or lone surrogates");
    return;
  }
  const name = normalizeDisplayName(parsed.data.name);
  if (!name) {
    fail(res, 400, "BAD_REQUEST", "name must have a visible character");
    return;
  }
  try {
    const { token, user } = await ctx.sessions.create(name);
    send(res, 200, { token, user }, { "set-cookie": sessionCookie(req, token, Sessions.MAX_AGE_MS, ctx.trustProxy) });
  } catch (err) {
    ctx.log.error({ err }, "session failed");
    fail(res, 503, "UNAVAILABLE", "could not create a session; try again");
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
