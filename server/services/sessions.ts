import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { hash as argon2Hash, verify as argon2Verify } from "@node-rs/argon2";
import { ConcordError, userHandle, type User } from "../../lib/protocol";
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

  /** Signs a new guest in (no password): records them and their session in the catalog, returns their token. */
  async create(name: string): Promise<{ token: string; user: User; sessionId: string }> {
    const user: User = { id: await this.newUserId(name), name };
    const sessionId = newSessionId();
    await this.catalog.begin(async (tx) => {
      await tx`INSERT INTO users (id, name) VALUES (${user.id}, ${user.name})`;
      await tx`INSERT INTO sessions (id, user_id, expires_at)
               VALUES (${sessionId}, ${user.id}, now() + make_interval(secs => ${Sessions.MAX_AGE_MS / 1000}))`;
    });
    return { token: this.tokens.sign(user, sessionId), user, sessionId };
  }

  /**
   * A new user's id (SPEC ACCOUNT-3): people are shown as their name and the handle the id
   * starts with, so the id is drawn until no other user of the same name (case-insensitively)
   * has its handle, and two people called Alice never look the same.
   */
  private async newUserId(name: string): Promise<string> {
    const rows = await this.catalog<{ id: string }[]>`SELECT id FROM users WHERE lower(name) = lower(${name})`;
    const taken = new Set(rows.map((r) => userHandle(r.id)));
    for (;;) {
      const id = `u_${randomUUID()}`;
      if (!taken.has(userHandle(id))) return id;
    }
  }

  /**
   * Makes an account (SPEC ACCOUNT-1): a name no other account has (case-insensitively) and an
   * argon2id hash of the password. With the live session of a guest, the guest becomes the
   * account, keeping its id and so its boards (ACCOUNT-4); the guest's session is revoked and
   * a new one returned. NAME_TAKEN when an account has the name; CONFLICT when the session is
   * an account's already.
   */
  async signUp(name: string, password: string, current: SessionClaims | null): Promise<{ token: string; user: User; sessionId: string; replaced?: string }> {
    const passwordHash = await argon2Hash(password);
    const sessionId = newSessionId();
    try {
      return await this.catalog.begin(async (tx) => {
        let user: User;
        if (current) {
          const [row] = await tx<{ password_hash: string | null }[]>`SELECT password_hash FROM users WHERE id = ${current.user.id} FOR UPDATE`;
          if (!row) throw new ConcordError("UNAUTHORIZED", "no such user");
          if (row.password_hash !== null) throw new ConcordError("CONFLICT", "this session belongs to an account already; sign out first");
          user = { id: current.user.id, name };
          await tx`UPDATE users SET name = ${name}, password_hash = ${passwordHash} WHERE id = ${user.id}`;
          await tx`UPDATE sessions SET revoked_at = now() WHERE id = ${current.sessionId} AND revoked_at IS NULL`;
        } else {
          user = { id: await this.newUserId(name), name };
          await tx`INSERT INTO users (id, name, password_hash) VALUES (${user.id}, ${user.name}, ${passwordHash})`;
        }
        await tx`INSERT INTO sessions (id, user_id, expires_at)
                 VALUES (${sessionId}, ${user.id}, now() + make_interval(secs => ${Sessions.MAX_AGE_MS / 1000}))`;
        return { token: this.tokens.sign(user, sessionId), user, sessionId, ...(current ? { replaced: current.sessionId } : {}) };
      });
    } catch (err) {
      if ((err as { code?: string }).code === "23505") throw new NameTakenError();
      throw err;
    }
  }

  /**
   * Signs in to an account (SPEC ACCOUNT-2): a new session when the password matches the
   * account's hash; null otherwise. An unknown name, a guest's name and a wrong password all
   * answer null after the same work (one argon2 verify), so the answer does not tell them apart.
   */
  async signInWithPassword(name: string, password: string): Promise<{ token: string; user: User; sessionId: string } | null> {
    const [row] = await this.catalog<{ id: string; name: string; password_hash: string }[]>`
      SELECT id, name, password_hash FROM users WHERE lower(name) = lower(${name}) AND password_hash IS NOT NULL`;
    const ok = await argon2Verify(row?.password_hash ?? (await dummyHash()), password).catch(() => false);
    if (!row || !ok) return null;
    const user: User = { id: row.id, name: row.name };
    const sessionId = newSessionId();
    await this.catalog`INSERT INTO sessions (id, user_id, expires_at)
                       VALUES (${sessionId}, ${user.id}, now() + make_interval(secs => ${Sessions.MAX_AGE_MS / 1000}))`;
    return { token: this.tokens.sign(user, sessionId), user, sessionId };
  }

  /** Whether the user has an account (a password) rather than being a guest. */
  async isAccount(userId: string): Promise<boolean> {
    const [row] = await this.catalog<{ a: boolean }[]>`SELECT password_hash IS NOT NULL AS a FROM users WHERE id = ${userId}`;
    return row?.a ?? false;
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

/** The name of a sign-up is an account's already (SPEC ACCOUNT-1). */
export class NameTakenError extends Error {
  constructor() {
    super("an account with this name exists; sign in, or choose another name");
    this.name = "NameTakenError";
  }
}

function newSessionId(): string {
  return `s_${randomBytes(16).toString("base64url")}`;
}

/** A hash of a random password, verified against when the name has no account (same work as a real check). */
let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= argon2Hash(randomBytes(16).toString("hex"));
  return dummy;
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
