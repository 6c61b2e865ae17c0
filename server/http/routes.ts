import type { IncomingMessage, ServerResponse } from "node:http";
import { sessionRequestSchema, type Health } from "../../lib/protocol";
import type { Services } from "../services";
import { createSession, type Sessions } from "../services/sessions";

const MAX_BODY = 16 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(json);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(null));
  });
}

/**
 * The HTTP API of PROTOCOL.md "Sessions". Returns true when it answered the request, false to
 * let the UI (Next.js) handle it.
 */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  s: Services,
  sessions: Sessions,
  health: () => Health,
): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname === "/api/health" && req.method === "GET") {
    send(res, 200, health());
    return true;
  }
  if (url.pathname === "/api/session") {
    if (req.method !== "POST") {
      send(res, 405, { error: { code: "BAD_REQUEST", message: "use POST" } });
      return true;
    }
    const raw = await readBody(req);
    if (raw === null) {
      send(res, 413, { error: { code: "TOO_LARGE", message: "body too large" } });
      return true;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      send(res, 400, { error: { code: "BAD_REQUEST", message: "body is not JSON" } });
      return true;
    }
    const parsed = sessionRequestSchema.safeParse(json);
    if (!parsed.success) {
      send(res, 400, { error: { code: "BAD_REQUEST", message: "name must be a string of 1 to 64 characters" } });
      return true;
    }
    try {
      send(res, 200, await createSession(s.dbs.catalog, sessions, parsed.data.name));
    } catch (err) {
      s.log.error({ err }, "session failed");
      send(res, 503, { error: { code: "UNAVAILABLE", message: "could not create a session; try again" } });
    }
    return true;
  }
  if (url.pathname.startsWith("/api/")) {
    send(res, 404, { error: { code: "NOT_FOUND", message: "no such endpoint" } });
    return true;
  }
  return false;
}
