import { describe, expect, it } from "vitest";
import type { Lock } from "../protocol";
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
