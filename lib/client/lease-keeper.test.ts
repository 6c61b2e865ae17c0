import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Lock } from "../protocol";
import { BoardExtrasMap } from "./board-extras";
import { LeaseKeeper } from "./lease-keeper";
import { RequestError, type Requests } from "./requests";

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const lease = (token: number, expiresAt: number): Lock => ({ cardId: "c1", holder: { id: "me", name: "Me" }, token, expiresAt: new Date(expiresAt).toISOString() });

function keeper(answer: (token: number) => Promise<{ lock: Lock }>) {
  const extras = new BoardExtrasMap("me");
  const call = vi.fn((_event: string, p: { token: number }) => answer(p.token));
  const requests = { call } as unknown as Pick<Requests, "call">;
  return { extras, call, k: new LeaseKeeper({ requests, extras, log: () => {}, now: () => Date.now() }) };
}

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
});
