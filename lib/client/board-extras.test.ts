import { describe, expect, it } from "vitest";
import { LIMITS, type Lock } from "../protocol";
import { BoardExtrasMap } from "./board-extras";

const lease = (cardId: string, holder: string, token: number): Lock => ({
  cardId, holder: { id: holder, name: holder }, token, expiresAt: "2030-01-01T00:00:00.000Z",
});

describe("LOCK-8 a join answer's leases", () => {
  it("replace the locks shown, and end this client's own lease when it is no longer live", () => {
    const x = new BoardExtrasMap("me");
    x.holdLock("c1", lease("c1", "me", 5));
    x.setLock("b", "c1", lease("c1", "me", 5));
    x.setLock("b", "c2", lease("c2", "ann", 6)); // heard before the join was sent
    const mark = x.lockMark();
    x.setLeases("b", [lease("c3", "ben", 7)], mark);
    expect(Object.keys(x.get("b").locks)).toEqual(["c3"]);
    expect(x.lockToken("c1")).toBeUndefined();
  });

  it("never override a lock broadcast heard while the join ran (it is at least as new)", () => {
    const x = new BoardExtrasMap("me");
    const mark = x.lockMark();
    x.setLock("b", "c1", null); // released while the join ran; the answer was read before
    x.setLock("b", "c2", lease("c2", "ann", 9)); // granted while the join ran
    x.setLeases("b", [lease("c1", "ben", 8)], mark);
    expect(x.get("b").locks).toEqual({ c2: lease("c2", "ann", 9) });
  });

  it("adopt this person's own lease taken before a reload, so its token goes with writes and it can be released", () => {
    const x = new BoardExtrasMap("me");
    x.setLeases("b", [lease("c1", "me", 4)], x.lockMark());
    expect(x.lockToken("c1")).toBe(4);
    expect(x.releaseMyLock("c1")?.token).toBe(4);
  });
});

describe("PRES-1 presence deltas", () => {
  const u = (i: number, cardId?: string) => ({ id: `u${i}`, name: `User ${i}`, ...(cardId ? { cardId } : {}) });

  it("a full list then deltas: arrivals are listed while there is room, focus updates in place, leaves go, the total is the server's", () => {
    const x = new BoardExtrasMap("me");
    x.setPresence("b", Array.from({ length: LIMITS.presenceListed }, (_, i) => u(i)), 1_999);
    x.presenceDelta("b", [u(5000)], [], 2_000);
    expect(x.get("b").presence).toHaveLength(LIMITS.presenceListed);
    expect(x.get("b").presence.some((p) => p.id === "u5000")).toBe(false); // no room: counted, not listed
    expect(x.get("b").presenceTotal).toBe(2_000);
    x.presenceDelta("b", [u(3, "c9")], ["u1"], 1_999);
    expect(x.get("b").presence.find((p) => p.id === "u3")?.cardId).toBe("c9");
    expect(x.get("b").presence.some((p) => p.id === "u1")).toBe(false);
    x.presenceDelta("b", [u(6000)], [], 2_000); // a slot was freed
    expect(x.get("b").presence.some((p) => p.id === "u6000")).toBe(true);
    expect(x.nameOf("b", "u5000")).toBe("User 5000"); // heard of, so it has a name
  });

  it("a delta before any full list starts the list; the total never says fewer than are listed", () => {
    const x = new BoardExtrasMap("me");
    x.presenceDelta("b", [u(1), u(2)], [], 1);
    expect(x.get("b").presence.map((p) => p.id)).toEqual(["u1", "u2"]);
    expect(x.get("b").presenceTotal).toBe(2);
  });
});
