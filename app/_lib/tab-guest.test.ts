import { describe, expect, it } from "vitest";
import { markTabGuest, parseTabGuest, parseTabGuestMarker, withoutTabGuestMarker } from "./tab-guest";

describe("tab-only guest (SPEC LOCK-10)", () => {
  it("reads the marker the lock tour puts on tab B's URL, with its invite code", () => {
    const q = new URLSearchParams({ tour: "lock", tourStep: "1" });
    markTabGuest(q);
    expect(parseTabGuestMarker(`?${q.toString()}`)).toEqual({});
    markTabGuest(q, "AbC-12_x");
    expect(parseTabGuestMarker(`?${q.toString()}`)).toEqual({ invite: "AbC-12_x" });
  });

  it("anything but as=guest is no marker; a malformed invite code is dropped", () => {
    for (const bad of ["", "?", "?as=Guest", "?as=guests", "?as=", "?tour=lock", "?guestInvite=abc"]) expect(parseTabGuestMarker(bad)).toBeNull();
    expect(parseTabGuestMarker("?as=guest&guestInvite=a%20b")).toEqual({});
    expect(parseTabGuestMarker(`?as=guest&guestInvite=${"x".repeat(65)}`)).toEqual({});
  });

  it("the marker is taken off the URL, the tour's own parameters stay", () => {
    expect(withoutTabGuestMarker("?as=guest&guestInvite=abc&tour=lock&tourStep=1")).toBe("?tour=lock&tourStep=1");
    expect(withoutTabGuestMarker("?as=guest")).toBe("");
    expect(withoutTabGuestMarker("")).toBe("");
  });

  it("a stored guest needs a user and a token; anything else is none", () => {
    const guest = { user: { id: "u_1", name: "Bob" }, token: "t.k" };
    expect(parseTabGuest(JSON.stringify({ ...guest, extra: 1 }))).toEqual(guest);
    for (const bad of [null, "", "{", "null", "[]", JSON.stringify({ user: guest.user }), JSON.stringify({ ...guest, token: "" }), JSON.stringify({ token: "t", user: { id: 1, name: "Bob" } })])
      expect(parseTabGuest(bad)).toBeNull();
  });
});
