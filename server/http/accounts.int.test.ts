import { io as ioClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userHandle, type User } from "../../lib/protocol";
import { ok, request, sqlFor, startCluster, type TestCluster } from "../test/harness";

/**
 * SPEC ACCOUNT-1 … ACCOUNT-5 against a real node over a real Postgres: sign up (a new account, or
 * a guest claiming its boards), sign in with a password from anywhere, sign out revoking the
 * session on HTTP and sockets, and the attacks: wrong passwords, enumeration, guessing.
 */

interface Reply {
  status: number;
  body: { token?: string; user?: User; account?: boolean; error?: { code: string; message: string } };
  cookie: string | null;
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Reply["body"], cookie: res.headers.get("set-cookie") };
}

describe("ACCOUNT accounts with passwords (one node)", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ node: { passwordAttemptsPerMinute: 1000 } });
  });
  afterAll(async () => c?.close());

  const signUp = (name: string, password: string, headers: Record<string, string> = {}) => post(c.url, "/api/account", { name, password }, headers);
  const signIn = (name: string, password?: string) => post(c.url, "/api/session", password === undefined ? { name } : { name, password });

  it("ACCOUNT-1/2: sign up, then sign in with the same password from anywhere is the same user; the hash is argon2id", async () => {
    const made = await signUp("Grace", "correct horse battery");
    expect(made.status).toBe(200);
    expect(made.body.account).toBe(true);
    expect(made.cookie).toMatch(/HttpOnly/);
    const again = await signIn("grace", "correct horse battery"); // names match case-insensitively
    expect(again.status).toBe(200);
    expect(again.body.user).toEqual(made.body.user);
    expect(again.body.token).not.toBe(made.body.token);
    const sql = sqlFor(c.catalogUrl);
    const [row] = await sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${made.body.user!.id}`;
    await sql.end();
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    expect(row!.password_hash).not.toContain("correct horse");
  });

  it("ACCOUNT-1: a second account of the same name (any case) is refused with NAME_TAKEN; a short password with WEAK_PASSWORD", async () => {
    expect((await signUp("Hopper", "first password")).status).toBe(200);
    const taken = await signUp("HOPPER", "another password");
    expect(taken.status).toBe(409);
    expect(taken.body.error?.code).toBe("NAME_TAKEN");
    const weak = await signUp("Someone", "short");
    expect(weak.status).toBe(400);
    expect(weak.body.error?.code).toBe("WEAK_PASSWORD");
    for (const bad of [{ name: "x" }, { name: "", password: "long enough pw" }, { name: "a\u0000b", password: "long enough pw" }, { name: "x", password: "p".repeat(257) }]) {
      const r = await post(c.url, "/api/account", bad);
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toMatch(/BAD_REQUEST|WEAK_PASSWORD/);
    }
  });

  it("ACCOUNT-2: a wrong password, a guest's name and an unknown name answer the same 401 INVALID_CREDENTIALS", async () => {
    await signUp("Lovelace", "analytical engine");
    await signIn("Babbage"); // a guest: no password
    const answers = await Promise.all([signIn("Lovelace", "difference engine"), signIn("Babbage", "anything at all"), signIn("Nobody Here", "anything at all")]);
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.body).toEqual({ error: { code: "INVALID_CREDENTIALS", message: "wrong name or password" } });
      expect(a.cookie).toBeNull();
    }
  });

  it("ACCOUNT-4: a guest signs up and keeps its id and its private board; its guest session is revoked", async () => {
    const guest = await signIn("Ada");
    const s = await c.connect(guest.body.token!);
    const { board } = await ok<{ board: { id: string } }>(s, "board:create", { name: "Ada's notes", policy: "occ", visibility: "private" });
    const gone = new Promise<void>((resolve) => s.io.engine.once("close", () => resolve()));
    const made = await signUp("Ada King", "notes on the engine", { authorization: `Bearer ${guest.body.token}` });
    expect(made.status).toBe(200);
    expect(made.body.user).toEqual({ id: guest.body.user!.id, name: "Ada King" });
    await gone; // the guest session's socket lost its connection
    const refused = ioClient(c.url, { auth: { token: guest.body.token }, transports: ["websocket"], forceNew: true, reconnection: false });
    expect(await new Promise((r) => refused.once("connect_error", (e) => r(e.message)))).toBe("UNAUTHORIZED");
    refused.close();
    // Signing up again from the account's session is refused: it is an account already.
    const twice = await signUp("Ada Again", "notes on the engine", { authorization: `Bearer ${made.body.token}` });
    expect(twice.status).toBe(409);
    expect(twice.body.error?.code).toBe("CONFLICT");
    // From a new "browser": sign in and open the private board.
    const back = await signIn("ada king", "notes on the engine");
    const s2 = await c.connect(back.body.token!);
    const joined = await ok<{ board: { id: string; name: string } }>(s2, "board:join", { boardId: board.id });
    expect(joined.board.name).toBe("Ada's notes");
  });

  it("SEC-2/ACCOUNT-2: a signed-out session is refused on HTTP and sockets; signing back in opens the private board again", async () => {
    await signUp("Turing", "on computable numbers");
    const first = await signIn("Turing", "on computable numbers");
    const s = await c.connect(first.body.token!);
    const { board } = await ok<{ board: { id: string } }>(s, "board:create", { name: "Enigma", policy: "lww", visibility: "private" });
    const gone = new Promise<void>((resolve) => s.io.engine.once("close", () => resolve()));
    const out = await fetch(`${c.url}/api/session`, { method: "DELETE", headers: { authorization: `Bearer ${first.body.token}` } });
    expect(out.status).toBe(200);
    await gone;
    const who = await fetch(`${c.url}/api/session`, { headers: { authorization: `Bearer ${first.body.token}` } });
    expect(who.status).toBe(401);
    const refused = ioClient(c.url, { auth: { token: first.body.token }, transports: ["websocket"], forceNew: true, reconnection: false });
    expect(await new Promise((r) => refused.once("connect_error", (e) => r(e.message)))).toBe("UNAUTHORIZED");
    refused.close();
    // Another person does not see it; the owner, signed in again, does.
    const other = await c.connect((await signIn("Eve")).body.token!);
    const hidden = await request(other, "board:join", { boardId: board.id });
    expect(!hidden.ok && hidden.error.code).toBe("NOT_FOUND");
    const back = await signIn("Turing", "on computable numbers");
    const s2 = await c.connect(back.body.token!);
    expect((await ok<{ board: { name: string } }>(s2, "board:join", { boardId: board.id })).board.name).toBe("Enigma");
    const me = await fetch(`${c.url}/api/session`, { headers: { authorization: `Bearer ${back.body.token}` } });
    expect(await me.json()).toEqual({ user: back.body.user, account: true });
  });

  it("ACCOUNT-3: two people called Alice never share a handle", async () => {
    // 65 000 Alices already hold all but 536 of the 65 536 handles: a new Alice drawn at random
    // would share one with them 99 times in 100.
    const sql = sqlFor(c.catalogUrl);
    await sql`INSERT INTO users (id, name) SELECT 'u_' || lpad(to_hex(n), 4, '0') || '-seeded', 'alice' FROM generate_series(0, 64999) AS n`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await signIn(i % 2 ? "alice" : "Alice")).body.user!.id);
    ids.push((await signUp("ALICE", "wonderland rabbit")).body.user!.id);
    const rows = await sql<{ id: string }[]>`SELECT id FROM users WHERE lower(name) = 'alice'`;
    await sql.end();
    expect(rows.length).toBe(65_005);
    expect(new Set(rows.map((r) => userHandle(r.id))).size).toBe(rows.length);
    expect(ids.every((id) => /^u_[0-9a-f]{8}-/.test(id))).toBe(true);
  });
});

describe("ACCOUNT-5 guessing passwords is rate-limited", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startCluster({ node: { passwordAttemptsPerMinute: 3 } });
  });
  afterAll(async () => c?.close());

  it("answers 429 RATE_LIMITED with Retry-After once an address used its attempts, even for the right password", async () => {
    expect((await post(c.url, "/api/account", { name: "Target", password: "the right password" })).status).toBe(200);
    expect((await post(c.url, "/api/session", { name: "Target", password: "guess one" })).status).toBe(401);
    expect((await post(c.url, "/api/session", { name: "Target", password: "guess two" })).status).toBe(401);
    const limited = await fetch(`${c.url}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Target", password: "the right password" }),
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    // A guest sign-in (no password) is not a password attempt.
    expect((await post(c.url, "/api/session", { name: "Guest" })).status).toBe(200);
  });
});
