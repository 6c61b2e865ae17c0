import { describe, expect, it } from "vitest";
import { checkFencing } from "./fencing";
import { err, HistoryBuilder, ok } from "./fixtures";

const lock = (token: number, holder: string, expiresAt: number) => ({ lock: { cardId: "c_1", token, holder: { id: holder, name: holder }, expiresAt: new Date(expiresAt).toISOString() } });

describe("fencing checker (LOCK-3, LOCK-6)", () => {
  it("reports a write applied with a token older than a grant acknowledged before it was sent", () => {
    const h = new HistoryBuilder();
    const t0 = Date.now();
    h.op("acquire", { cardId: "c_1", user: "alice", req: { cardId: "c_1" } }, t0, t0 + 10, ok(lock(5, "alice", t0 + 500)));
    const g = h.op("acquire", { cardId: "c_1", user: "bob", req: { cardId: "c_1" } }, t0 + 600, t0 + 610, ok(lock(6, "bob", t0 + 5000)));
    const w = h.op("update", { cardId: "c_1", user: "alice", mutationId: "m1", req: { baseVersion: 1, patch: { title: "late" }, lockToken: 5 } }, t0 + 700, t0 + 710, ok({ seq: 2 }));
    const out = checkFencing(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.rule).toBe("LOCK-3");
    expect(out.violations[0]!.ops).toEqual([g, w]);
  });
  it("reports two live leases of different holders on one card", () => {
    const h = new HistoryBuilder();
    const t0 = Date.now();
    const a = h.op("acquire", { cardId: "c_1", user: "alice", req: { cardId: "c_1" } }, t0, t0 + 10, ok(lock(5, "alice", t0 + 30_000)));
    const b = h.op("acquire", { cardId: "c_1", user: "bob", req: { cardId: "c_1" } }, t0 + 100, t0 + 110, ok(lock(6, "bob", t0 + 30_000)));
    const out = checkFencing(h.parsed());
    expect(out.violations).toHaveLength(1);
    expect(out.violations[0]!.rule).toBe("LOCK-6");
    expect(out.violations[0]!.ops).toEqual([a, b]);
  });
  it("accepts a grant after a release whose answer was lost (it may have taken effect), not after a refused one", () => {
    const h = new HistoryBuilder();
    const t0 = Date.now();
    h.op("acquire", { cardId: "c_1", user: "alice", req: { cardId: "c_1" } }, t0, t0 + 10, ok(lock(5, "alice", t0 + 30_000)));
    h.op("release", { cardId: "c_1", user: "alice", req: { cardId: "c_1", token: 5 } }, t0 + 50, t0 + 60, null);
    h.op("acquire", { cardId: "c_1", user: "bob", req: { cardId: "c_1" } }, t0 + 100, t0 + 110, ok(lock(6, "bob", t0 + 30_000)));
    expect(checkFencing(h.parsed()).violations).toEqual([]);
    const refused = new HistoryBuilder();
    refused.op("acquire", { cardId: "c_1", user: "alice", req: { cardId: "c_1" } }, t0, t0 + 10, ok(lock(5, "alice", t0 + 30_000)));
    refused.op("release", { cardId: "c_1", user: "alice", req: { cardId: "c_1", token: 5 } }, t0 + 50, t0 + 60, err("STALE_LOCK"));
    refused.op("acquire", { cardId: "c_1", user: "bob", req: { cardId: "c_1" } }, t0 + 100, t0 + 110, ok(lock(6, "bob", t0 + 30_000)));
    expect(checkFencing(refused.parsed()).violations.map((v) => v.rule)).toEqual(["LOCK-6"]);
  });
  it("accepts a grant after the earlier lease was released, and a refused stale write", () => {
    const h = new HistoryBuilder();
    const t0 = Date.now();
    h.op("acquire", { cardId: "c_1", user: "alice", req: { cardId: "c_1" } }, t0, t0 + 10, ok(lock(5, "alice", t0 + 30_000)));
    h.op("release", { cardId: "c_1", user: "alice", req: { cardId: "c_1", token: 5 } }, t0 + 50, t0 + 60, ok());
    h.op("acquire", { cardId: "c_1", user: "bob", req: { cardId: "c_1" } }, t0 + 100, t0 + 110, ok(lock(6, "bob", t0 + 30_000)));
    h.op("update", { cardId: "c_1", user: "alice", mutationId: "m1", req: { baseVersion: 1, patch: { title: "late" }, lockToken: 5 } }, t0 + 200, t0 + 210, { ok: false, error: { code: "STALE_LOCK" } });
    expect(checkFencing(h.parsed()).violations).toEqual([]);
  });
});
