import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { User } from "../../lib/protocol";
import type { CatalogDb } from "../db/databases";
import { users } from "../db/catalog-schema";

/**
 * Session tokens: `base64url(JSON {id, name, iat}) . base64url(HMAC-SHA256)`. Stateless, so any
 * node holding the same secret accepts them.
 */
export class Sessions {
  /** Tokens are good for 30 days; after that the person signs in again. */
  static readonly MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  sign(user: User): string {
    const body = Buffer.from(JSON.stringify({ id: user.id, name: user.name, iat: this.now() })).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  /** The user a token names, or null when it is missing, malformed or forged. */
  verify(token: unknown): User | null {
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
        "iat" in parsed && typeof parsed.iat === "number" &&
        this.now() - parsed.iat < Sessions.MAX_AGE_MS
      ) {
        return { id: parsed.id, name: parsed.name };
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

/** Signs a new user in: records them in the catalog and returns their token. */
export async function createSession(db: CatalogDb, sessions: Sessions, name: string) {
  const user: User = { id: `u_${randomUUID()}`, name };
  await db.insert(users).values({ id: user.id, name: user.name });
  return { token: sessions.sign(user), user };
}
