import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { User } from "../../lib/protocol";
import type { Sql } from "postgres";

/** What a valid token says: who, and which session record (SPEC SEC-2) it belongs to. */
export interface SessionClaims {
  user: User;
  sessionId: string;
}

/**
 * Session tokens: `base64url(JSON {id, name, sid, iat}) . base64url(HMAC-SHA256)`. The signature
 * proves a node made it; the session record `sid` names (SessionStore) says whether it still
 * holds. Tokens without a `sid` (made before sessions could be revoked) are refused.
 */
export class Sessions {
  /** Tokens are good for 30 days; after that the person signs in again. */
  static readonly MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  sign(user: User, sessionId: string): string {
    const body = Buffer.from(JSON.stringify({ id: user.id, name: user.name, sid: sessionId, iat: this.now() })).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  /** What a token says, or null when it is missing, malformed, forged or older than 30 days. */
  verify(token: unknown): SessionClaims | null {
    if (typeof token !== "string" || token.length > 1024) return null;
    const dot = token.indexOf(".");
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.mac(body), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      if (
        typeof parsed === "object" && parsed !== null &&
        "id" in parsed && typeof parsed.id === "string" &&
        "name" in parsed && typeof parsed.name === "string" &&
        "sid" in parsed && typeof parsed.sid === "string" &&
        "iat" in parsed && typeof parsed.iat === "number" &&
        this.now() - parsed.iat < Sessions.MAX_AGE_MS
      ) {
        return { user: { id: parsed.id, name: parsed.name }, sessionId: parsed.sid };
      }
    } catch {
      /* fall through */
    }
    return null;
  }

  private mac(body: string): string {
    return createHmac("sha256", this.secret).update(body).digest("base64url");
  }
}

/**
 * Bidi embedding, override and isolate controls, and the Arabic letter mark: characters that
 * reorder the text around a name (U+202E makes "Bob" read as something else).
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// C0 and C1 controls other than whitespace, which becomes one space below.
const CONTROLS = /[\u0000-\u0008\u000E-\u001F\u007F-\u009F]/g;

/**
 * A display name as Concord stores and shows it (SPEC SEC-4): Unicode NFC, without control or
 * bidi control characters, whitespace runs as one space, trimmed. May come out empty.
 */
export function normalizeDisplayName(name: string): string {
  return name.normalize("NFC").replace(BIDI_CONTROLS, "").replace(CONTROLS, "").replace(/\s+/gu, " ").trim();
}

/**
 * The session records (SPEC SEC-2): signing in makes one, signing out revokes it, and every
 * socket handshake checks that the token's record is still live.
 */
export class SessionStore {
  constructor(
    private readonly catalog: Sql,
    readonly tokens: Sessions,
  ) {}

  /** Signs a new user in: records them and their session in the catalog, returns their token. */
  async create(name: string): Promise<{ token: string; user: User; sessionId: string }> {
    const user: User = { id: `u_${randomUUID()}`, name };
    const sessionId = `s_${randomBytes(16).toString("base64url")}`;
    await this.catalog.begin(async (tx) => {
      await tx`INSERT INTO users (id, name) VALUES (${user.id}, ${user.name})`;
      await tx`INSERT INTO sessions (id, user_id, expires_at)
               VALUES (${sessionId}, ${user.id}, now() + make_interval(secs => ${Sessions.MAX_AGE_MS / 1000}))`;
    });
    return { token: this.tokens.sign(user, sessionId), user, sessionId };
  }

  /** The claims of a token whose signature is good and whose session is live; else null. */
  async authenticate(token: unknown): Promise<SessionClaims | null> {
    const claims = this.tokens.verify(token);
    if (!claims) return null;
    const live = await this.liveAmong([claims.sessionId]);
    return live.has(claims.sessionId) ? claims : null;
  }

  /** Revokes a session; true when it was live until now. */
  async revoke(sessionId: string): Promise<boolean> {
    const rows = await this.catalog`UPDATE sessions SET revoked_at = now() WHERE id = ${sessionId} AND revoked_at IS NULL RETURNING id`;
    return rows.length > 0;
  }

  /** Which of these sessions are live (not revoked, not expired) by the catalog's clock. */
  async liveAmong(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await this.catalog<{ id: string }[]>`
      SELECT id FROM sessions WHERE id IN ${this.catalog([...sessionIds])} AND revoked_at IS NULL AND expires_at > now()`;
    return new Set(rows.map((r) => r.id));
  }
}

/** The session secret: SESSION_SECRET, or one generated once and kept in the data folder. */
export async function loadSecret(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, "session-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  await writeFile(file, secret, { mode: 0o600, flag: "wx" }).catch(() => {});
  return readFileSync(file, "utf8").trim();
}
