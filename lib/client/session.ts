import type { SessionReply, User } from "../protocol";

/** An HTTP error answer of the session API, with the server's code (`INVALID_CREDENTIALS`, `NAME_TAKEN`, …). */
export class SessionApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "SessionApiError";
  }
}

async function call(baseUrl: string, path: string, body: unknown, credentials: RequestCredentials = "same-origin"): Promise<{ token: string; user: User; account: boolean }> {
  const res = await fetch(new URL(path, baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    credentials,
    body: JSON.stringify(body),
  });
  const reply = (await res.json().catch(() => null)) as (SessionReply & { account?: boolean; error?: { code: string; message: string } }) | null;
  if (!res.ok || !reply?.token) {
    const err = reply?.error;
    throw err ? new SessionApiError(err.code, `${err.code}: ${err.message}`, res.status) : new SessionApiError("HTTP", `sign-in failed (HTTP ${res.status})`, res.status);
  }
  return { token: reply.token, user: reply.user, account: reply.account === true };
}

/**
 * Signs in by name through `POST /api/session` and returns the token for the socket handshake
 * and the user. Throws an Error carrying the server's error code on failure. `credentials: "omit"`
 * leaves the browser's session cookie alone (the reply's cookie is not stored): a tab-only guest
 * (SPEC LOCK-10).
 */
export async function signIn(baseUrl: string, name: string, credentials?: RequestCredentials): Promise<{ token: string; user: User }> {
  const { token, user } = await call(baseUrl, "/api/session", { name }, credentials);
  return { token, user };
}

/** Signs in to an account (SPEC ACCOUNT-2): `POST /api/session` with the password. */
export function signInWithPassword(baseUrl: string, name: string, password: string): Promise<{ token: string; user: User; account: boolean }> {
  return call(baseUrl, "/api/session", { name, password });
}

/**
 * Makes an account (SPEC ACCOUNT-1): `POST /api/account`. Sent with a guest's session cookie,
 * the guest becomes the account and keeps its boards (ACCOUNT-4).
 */
export function signUp(baseUrl: string, name: string, password: string): Promise<{ token: string; user: User; account: boolean }> {
  return call(baseUrl, "/api/account", { name, password });
}
