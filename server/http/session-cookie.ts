import type { IncomingMessage } from "node:http";

/**
 * Where a browser keeps its session (SPEC SEC-2, SECURITY.md): an HttpOnly, SameSite=Strict
 * cookie that page scripts cannot read. It is named after the Host's port, because browsers
 * share cookies across the ports of one host while Concord's nodes on one machine
 * (localhost:3000, localhost:3001) are separate origins with separate sign-ins.
 */
export function sessionCookieName(host: string | undefined): string {
  const port = host?.match(/:(\d{1,5})$/)?.[1];
  return port ? `concord_session_${port}` : "concord_session";
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The request reached us over TLS (directly, or as a trusted proxy says). */
function overTls(req: IncomingMessage, trustProxy: number): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return trustProxy > 0 && String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim() === "https";
}

/** The Set-Cookie value that stores `token` (or, with null, removes the cookie). */
export function sessionCookie(req: IncomingMessage, token: string | null, maxAgeMs: number, trustProxy = 0): string {
  const attrs = [
    `${sessionCookieName(req.headers.host)}=${token ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${token ? Math.floor(maxAgeMs / 1000) : 0}`,
  ];
  if (overTls(req, trustProxy)) attrs.push("Secure");
  return attrs.join("; ");
}

/** The session token a request carries: `Authorization: Bearer`, else the session cookie. */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  return readCookie(req.headers.cookie, sessionCookieName(req.headers.host));
}
