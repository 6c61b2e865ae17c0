import { describe, expect, it } from "vitest";
import { Sessions } from "./sessions";

/** SPEC ACCESS-1, with a fake clock (the only fake: time). */
describe("ACCESS-1 session tokens", () => {
  const alice = { id: "u_alice", name: "Alice" };

  it("verifies its own tokens and refuses forged, foreign and malformed ones", () => {
    const sessions = new Sessions("secret-one-0123456789");
    const token = sessions.sign(alice);
    expect(sessions.verify(token)).toEqual(alice);
    expect(new Sessions("secret-two-0123456789").verify(token)).toBeNull();
    const [body, mac] = token.split(".");
    const forgedBody = Buffer.from(JSON.stringify({ id: "u_admin", name: "Admin", iat: Date.now() })).toString("base64url");
    expect(sessions.verify(`${forgedBody}.${mac}`)).toBeNull();
    for (const bad of [undefined, 42, "", ".", `${body}.`, "x".repeat(2000), `${body}.${mac}x`]) expect(sessions.verify(bad)).toBeNull();
  });

  it("expires tokens after 30 days", () => {
    let now = Date.UTC(2026, 0, 1);
    const sessions = new Sessions("secret-one-0123456789", () => now);
    const token = sessions.sign(alice);
    now += Sessions.MAX_AGE_MS - 1;
    expect(sessions.verify(token)).toEqual(alice);
    now += 2;
    expect(sessions.verify(token)).toBeNull();
  });
});
