import { randomBytes } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { RateLimiter } from "../realtime/rate-limit";

/**
 * The HTTP edge's security rules, in one place (SPEC SEC-1, SEC-3, SEC-4): the headers every
 * response carries, which origins may talk to the API and the socket, and who a request comes
 * from for rate limiting.
 */

/**
 * The Content-Security-Policy for one response. Scripts run only with this response's nonce
 * (Next.js reads it from the request's CSP header and puts it on its own scripts), and what they
 * load is trusted through 'strict-dynamic'. Styles may be inline: React and Next write style
 * attributes; no script can come through that. Dev mode adds 'unsafe-eval' (React's dev tools).
 */
export function contentSecurityPolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The headers every response carries besides the CSP. */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/**
 * Sets the security headers on a response before anyone writes it, and hands the policy to
 * Next.js on the request so its scripts carry the nonce. Returns the nonce.
 */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse, dev = false): string {
  const nonce = randomBytes(16).toString("base64");
  const csp = contentSecurityPolicy(nonce, dev);
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader("content-security-policy", csp);
  req.headers["content-security-policy"] = csp;
  req.headers["x-nonce"] = nonce;
  return nonce;
}

/** The same headers for responses Socket.IO writes itself (its polling transport). */
export function addSecurityHeaders(headers: OutgoingHttpHeaders): void {
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) headers[name] = value;
  headers["content-security-policy"] = "default-src 'none'; frame-ancestors 'none'";
}

/**
 * Which browser origins may use the API and the socket (SPEC SEC-3): the app's own (the
 * request's Host, or behind trusted proxies the X-Forwarded-Host they set, on http or https) and
 * those listed in ALLOWED_ORIGINS. A request without an Origin header does not come from a web
 * page's script (socket.io-client in Node, curl) and is let through; its credentials are not
 * ambient, so nothing can be forged through it.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;

  constructor(
    allowed: readonly string[] = [],
    private readonly trustProxy = 0,
  ) {
    this.allowed = new Set(allowed.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  }

  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    const o = origin.toLowerCase();
    if (this.allowed.has(o)) return true;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      return false; // "null" (sandboxed frames, file://) and anything else unparseable
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    return host !== undefined && url.host === host.toLowerCase();
  }

  /** The check for a Node request (HTTP or the socket handshake). */
  allowsRequest(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    const forwarded = this.trustProxy > 0 ? String(req.headers["x-forwarded-host"] ?? "").split(",")[0]?.trim() : "";
    return this.allows(Array.isArray(origin) ? origin[0] : origin, forwarded || req.headers.host);
  }
}

/**
 * The address a request comes from. Behind `trustProxy` proxies, the one the outermost trusted
 * proxy saw (X-Forwarded-For, counted from the right), so a client cannot pick its own.
 */
export function clientIp(req: IncomingMessage, trustProxy = 0): string {
  const direct = req.socket.remoteAddress ?? "unknown";
  if (trustProxy <= 0) return direct;
  const header = req.headers["x-forwarded-for"];
  const list = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
  return list[list.length - trustProxy] ?? list[0] ?? direct;
}

/**
 * A token bucket per key (SPEC SEC-4): `perMinute` refill, `burst` capacity. At most `maxKeys`
 * buckets are kept (the least recently used are dropped first), so a flood of addresses cannot
 * grow memory.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, RateLimiter>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number = perMinute,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key); // re-inserted below: Map order is then least recently used first
    else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = new RateLimiter(this.perMinute / 60, this.burst, this.now);
    }
    this.buckets.set(key, bucket);
    return bucket.take();
  }

  /** Seconds until `key` has a token again (for Retry-After). */
  retryAfterSeconds(key: string): number {
    const bucket = this.buckets.get(key);
    return bucket ? Math.ceil(bucket.waitMs() / 1000) : 0;
  }
}
