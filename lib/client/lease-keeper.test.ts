import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Lock } from "../protocol";
import { BoardExtrasMap } from "./board-extras";
import { LeaseKeeper, type LeaseEnd } from "./lease-keeper";
import { RequestError, type Requests } from "./requests";
import type { HeldLease } from "./types";

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const lease = (token: number, expiresAt: number): Lock => ({ cardId: "c1", holder: { id: "me", name: "Me" }, token, expiresAt: new Date(expiresAt).toISOString() });

function keeper(answer: (token: number) => Promise<{ lock: Lock }>) {
  const extras = new BoardExtrasMap("me");
  const call = vi.fn((_event: string, p: { token: number }) => answer(p.token));
  const requests = { call } as unknown as Pick<Requests, "call">;
  const ended: LeaseEnd[] = [];
  const shown: { leases: Record<string, HeldLease> } = { leases: {} };
  const k = new LeaseKeeper({ requests, extras, log: () => {}, now: () => Date.now(), changed: (l) => (shown.leases = l), ended: (e) => ended.push(e) });
  extras.onMine({ adopted: (lock) => k.hold(lock), ended: (cardId, by) => k.lost(cardId, by) });
  return { extras, call, k, ended, shown };
}
const bobs = (token: number): Lock => ({ cardId: "c1", holder: { id: "bob", name: "Bob" }, token, expiresAt: new Date(Date.now() + 30_000).toISOString() });

describe("LeaseKeeper (SPEC LOCK-1: a lease the person keeps is renewed before it expires)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it("renews at half the remaining time, again and again, with the lease's token", async () => {
    const { k, call, extras } = keeper(async (token) => ({ lock: lease(token, Date.now() + 30_000) }));
    k.hold(lease(7, T0 + 30_000));
    await vi.advanceTimersByTimeAsync(14_999);
    expect(call).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(call).toHaveBeenCalledWith("lock:renew", { cardId: "c1", token: 7 }, "c1");
    await vi.advanceTimersByTimeAsync(15_000);
    expect(call).toHaveBeenCalledTimes(2);
    expect(extras.lockToken("c1")).toBe(7);
  });

  it("stops when the person releases it", async () => {
    const { k, call } = keeper(async (token) => ({ lock: lease(token, Date.now() + 30_000) }));
    k.hold(lease(7, T0 + 30_000));
    expect(k.release("c1")?.token).toBe(7);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(call).not.toHaveBeenCalled();
  });

  it("lets go when the server says the lease is someone else's now (STALE_LOCK), retries when not sent", async () => {
    let code = "OFFLINE";
    const { k, call, extras } = keeper(async () => {
      throw new RequestError(code, code);
    });
    k.hold(lease(7, T0 + 4_000));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(call).toHaveBeenCalledTimes(1);
    expect(extras.lockToken("c1")).toBe(7); // offline: kept, tried again shortly
    code = "STALE_LOCK";
    await vi.advanceTimersByTimeAsync(1_000);
    expect(call).toHaveBeenCalledTimes(2);
    expect(extras.lockToken("c1")).toBeUndefined();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it("a lease adopted from a join after a reload is renewed too", async () => {
    const { call, extras, shown } = keeper(async (token) => ({ lock: lease(token, Date.now() + 30_000) }));
    extras.setLeases("b1", [lease(9, T0 + 30_000)], extras.lockMark());
    expect(extras.lockToken("c1")).toBe(9);
    expect(shown.leases.c1?.health).toBe("renewing");
    await vi.advanceTimersByTimeAsync(15_000);
    expect(call).toHaveBeenCalledWith("lock:renew", { cardId: "c1", token: 9 }, "c1");
    expect(shown.leases.c1?.renewals).toBe(1);
  });

  it("a failing renewal is shown as retrying with its reason before the lease runs out, then announced", async () => {
    const { k, shown, ended, extras } = keeper(async () => {
      throw new RequestError("OFFLINE", "offline");
    });
    k.hold(lease(7, T0 + 4_000));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(shown.leases.c1).toMatchObject({ health: "retrying", problem: "OFFLINE" });
    expect(ended).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(ended).toMatchObject([{ reason: "expired", lock: { token: 7 } }]);
    expect(shown.leases.c1).toBeUndefined();
    expect(extras.lockToken("c1")).toBeUndefined();
  });

  it("a newer grant to someone else ends ours, announced with the new holder and token", () => {
    const { k, ended, extras } = keeper(async (token) => ({ lock: lease(token, Date.now() + 30_000) }));
    k.hold(lease(7, T0 + 30_000));
    extras.setLock("b1", "c1", bobs(8));
    expect(extras.lockToken("c1")).toBeUndefined();
    expect(ended).toMatchObject([{ reason: "taken", by: { token: 8, holder: { name: "Bob" } } }]);
  });

  it("LOCK-3 a paused holder sends no renewals and keeps its stale token after a newer grant; resuming renews and learns it is over", async () => {
    let code: string | null = null;
    const { k, call, ended, extras, shown } = keeper(async (token) => {
      if (code) throw new RequestError(code, code, { lock: bobs(8) });
      return { lock: lease(token, Date.now() + 30_000) };
    });
    k.hold(lease(7, T0 + 30_000));
    k.setPaused(true);
    expect(shown.leases.c1?.health).toBe("paused");
    await vi.advanceTimersByTimeAsync(40_000);
    expect(call).not.toHaveBeenCalled();
    extras.setLock("b1", "c1", null); // it ran out
    extras.setLock("b1", "c1", bobs(8)); // Bob took it
    expect(extras.lockToken("c1")).toBe(7); // still believed: its writes carry token 7
    expect(ended).toEqual([]);
    code = "LOCKED";
    k.setPaused(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(call).toHaveBeenCalledTimes(1);
    expect(extras.lockToken("c1")).toBeUndefined();
    expect(ended).toMatchObject([{ reason: "refused", code: "LOCKED", by: { token: 8 } }]);
  });
});
