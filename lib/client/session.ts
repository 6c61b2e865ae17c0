import type { SessionReply, User } from "../protocol";

/**
 * Signs in by name through `POST /api/session` and returns the token for the socket handshake
 * and the user. Throws an Error carrying the server's error code on failure.
 */
export async function signIn(baseUrl: string, name: string): Promise<{ token: string; user: User }> {
  const res = await fetch(new URL("/api/session", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json().catch(() => null)) as (SessionReply & { error?: { code: string; message: string } }) | null;
  if (!res.ok || !body?.token) {
    const err = body?.error;
    throw new Error(err ? `${err.code}: ${err.message}` : `sign-in failed (HTTP ${res.status})`);
  }
  return { token: body.token, user: body.user };
}
