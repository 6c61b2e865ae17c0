import { request as httpRequest } from "node:http";
import { io as ioClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * SPEC SEC-1..SEC-4 against real nodes over a real Postgres: headers on every response, sessions
 * revoked on sign-out (their sockets end, on any node; their token is refused), only the app's
 * own origin at the handshake and on the API, sign-in limits and malformed input.
 */

const stylesheet = "body { color: black }";

/** A raw HTTP request (fetch cannot send a malformed path or read a HEAD's missing body exactly). */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function signInRaw(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function expectSecurityHeaders(h: Headers | Record<string, string | string[] | undefined>) {
  const get = (n: string) => (h instanceof Headers ? h.get(n) : (h[n] as string | undefined)) ?? null;
  const csp = get("content-security-policy") ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(get("x-content-type-options")).toBe("nosniff");
  expect(get("referrer-policy")).toBe("no-referrer");
  expect(get("x-frame-options")).toBe("DENY");
  expect(get("permissions-policy")).toContain("camera=()");
}

describe("SEC-1 security headers, SEC-4 limits and malformed input (one node)", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({
      node: {
        signInsPerMinute: 20,
        // A stand-in for Next.js: a page and a static asset, written the way Next writes them.
        ui: (req, res) => {
          if (req.url === "/_next/static/app.css") {
            res.writeHead(200, { "content-type": "text/css" }).end(stylesheet);
          } else res.writeHead(200, { "content-type": "text/html" }).end(`<script nonce="${String(req.headers["x-nonce"])}"></script>`);
        },
      },
    });
  });
  afterAll(async () => c?.close());

  it("SEC-1: a page, an API route and a static asset carry the headers; the page's nonce is the CSP's", async () => {
    const page = await fetch(`${c.url}/b/some-board`);
    expectSecurityHeaders(page.headers);
    const nonce = (await page.text()).match(/nonce="([^"]+)"/)?.[1];
    expect(page.headers.get("content-security-policy")).toContain(`'nonce-${nonce}'`);
    const again = await fetch(`${c.url}/b/some-board`);
    expect(again.headers.get("content-security-policy")).not.toBe(page.headers.get("content-security-policy"));
    const api = await fetch(`${c.url}/api/health`);
    expectSecurityHeaders(api.headers);
    const asset = await fetch(`${c.url}/_next/static/app.css`);
    expect(await asset.text()).toBe(stylesheet);
    expectSecurityHeaders(asset.headers);
    expectSecurityHeaders((await fetch(`${c.url}/api/nope`)).headers);
    // Socket.IO's own polling responses
    const polling = await fetch(`${c.url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("SEC-4: HEAD /api/health is answered; a path Next.js cannot decode is a 400 with a code", async () => {
    const head = await raw(c.url, "HEAD", "/api/health");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    const bad = await raw(c.url, "GET", "/b/%E0%A4%A");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: "BAD_REQUEST" } });
    expectSecurityHeaders(bad.headers);
  });

  it("SEC-4: malformed sign-ins are 400 with a code: NUL, not JSON, wrong shape, nothing visible", async () => {
    for (const body of [{ name: "A\u0000B" }, "{not json", { name: 42 }, { name: "" }, { name: "\u202E\u200F " }, { name: "ok", extra: 1 }]) {
      const res = await signInRaw(c.url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "BAD_REQUEST" } });
    }
  });

  it("SEC-4: a body over 16 KiB is answered 413 TOO_LARGE (the answer arrives), also for a huge one", async () => {
    const big = await signInRaw(c.url, { name: "x".repeat(64 * 1024) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "TOO_LARGE" } });
    const huge = await raw(c.url, "POST", "/api/session", { "content-type": "application/json", "content-length": String(4 << 20) }, "{");
    expect(huge.status).toBe(413);
  });

  it("SEC-4: names are stored NFC without bidi controls", async () => {
    const res = await signInRaw(c.url, { name: "Ame\u0301lie\u202E" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { name: string } }).user.name).toBe("Am\u00e9lie");
  });

  it("SEC-4: sign-ins past the per-address limit answer 429 RATE_LIMITED with Retry-After", async () => {
    // Earlier tests in this file spent part of this address's budget of 20: spend the rest.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await signInRaw(c.url, { name: `r${i}` })).status);
    expect(statuses).toContain(429);
    const res = await signInRaw(c.url, { name: "late" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
  });
});

describe("SEC-2 revocable sessions, SEC-3 origins (two nodes)", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ nodes: 2, node: { allowedOrigins: ["https://concord.example"] } });
  });
  const sockets: TestSocket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.close();
    await c?.close();
  });

  /** Resolves with the disconnect reason, then the message of the next connect_error. */
  const revokedFlow = (s: TestSocket) =>
    new Promise<[string, string]>((resolve) => {
      s.once("disconnect", (reason) => s.once("connect_error", (err) => resolve([reason, err.message])));
    });

  const connectWith = (url: string, o: { token?: string; headers?: Record<string, string>; transports?: string[]; reconnect?: boolean }) =>
    new Promise<TestSocket>((resolve, reject) => {
      const s: TestSocket = ioClient(url, {
        auth: o.token ? { token: o.token } : {},
        extraHeaders: o.headers,
        transports: o.transports ?? ["websocket"],
        forceNew: true,
        reconnection: o.reconnect ?? false,
        reconnectionDelay: 50,
      });
      sockets.push(s);
      s.once("connect", () => resolve(s));
      s.once("connect_error", (err) => {
        s.close();
        reject(err);
      });
    });

  it("SEC-2: signing out disconnects the session's sockets on every node and its token is refused after", async () => {
    const alice = await c.signIn("Alice");
    const bob = await c.signIn("Bob");
    // Sockets that reconnect by themselves, as the browser's do.
    const onNode1 = await connectWith(c.urls[0]!, { token: alice.token, reconnect: true });
    const onNode2 = await connectWith(c.urls[1]!, { token: alice.token, reconnect: true });
    const bobs = await c.connect(bob.token, { node: 1 });
    const ended = Promise.all([revokedFlow(onNode1), revokedFlow(onNode2)]);
    const out = await fetch(`${c.url}/api/session`, { method: "DELETE", headers: { authorization: `Bearer ${alice.token}` } });
    expect(out.status).toBe(200);
    // Each loses its connection, tries again, and the handshake refuses the revoked session.
    expect(await ended).toEqual([["transport close", "UNAUTHORIZED"], ["transport close", "UNAUTHORIZED"]]);
    expect(bobs.connected).toBe(true);
    await expect(c.connect(alice.token)).rejects.toThrow("UNAUTHORIZED");
    await expect(c.connect(alice.token, { node: 1 })).rejects.toThrow("UNAUTHORIZED");
    // Signing out again changes nothing and is not an error.
    expect((await fetch(`${c.url}/api/session`, { method: "DELETE", headers: { authorization: `Bearer ${alice.token}` } })).status).toBe(200);
  });

  it("SEC-2: a browser's HttpOnly cookie opens the socket, and signing out with it revokes it", async () => {
    const res = await signInRaw(c.url, { name: "Carol" });
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(";")[0]!;
    const port = new URL(c.url).port;
    expect(cookie.startsWith(`concord_session_${port}=`)).toBe(true);
    const s = await connectWith(c.url, { headers: { cookie }, reconnect: true });
    const gone = revokedFlow(s);
    const out = await fetch(`${c.url}/api/session`, { method: "DELETE", headers: { cookie, origin: c.url } });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect(await gone).toEqual(["transport close", "UNAUTHORIZED"]);
    await expect(connectWith(c.url, { headers: { cookie } })).rejects.toThrow("UNAUTHORIZED");
    await expect(connectWith(c.url, {})).rejects.toThrow("UNAUTHORIZED");
  });

  it("SEC-3: a foreign Origin is refused at the handshake (websocket and polling); own and listed origins connect", async () => {
    const { token } = await c.signIn("Dora");
    await expect(connectWith(c.url, { token, headers: { origin: "http://evil.example" } })).rejects.toThrow();
    await expect(connectWith(c.url, { token, headers: { origin: "http://evil.example" }, transports: ["polling"] })).rejects.toThrow();
    await expect(connectWith(c.url, { token, headers: { origin: "null" } })).rejects.toThrow();
    const own = await connectWith(c.url, { token, headers: { origin: c.url } });
    expect(own.connected).toBe(true);
    own.close();
    const listed = await connectWith(c.url, { token, headers: { origin: "https://concord.example" }, transports: ["polling"] });
    expect(listed.connected).toBe(true);
    listed.close();
    const polling = await fetch(`${c.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "http://evil.example" } });
    expect(polling.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("SEC-3: the API refuses a foreign Origin (no cross-site sign-in or sign-out)", async () => {
    const res = await signInRaw(c.url, { name: "Mallory" }, { origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    const plain = await fetch(`${c.url}/api/session`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "http://evil.example" },
      body: JSON.stringify({ name: "Mallory" }),
    });
    expect(plain.status).toBe(403);
    expect((await signInRaw(c.url, { name: "Own" }, { origin: c.url })).status).toBe(200);
  });
});
