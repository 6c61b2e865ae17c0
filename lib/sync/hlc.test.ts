import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  decodeHlc,
  encodeHlc,
  HLC_PATTERN,
  HybridClock,
  isTooFarInFuture,
  MAX_FUTURE_DRIFT_MS,
  MAX_LOGICAL,
  MAX_WALL,
  merge,
  tick,
  type Hlc,
} from "./hlc";

const replicaArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const hlcArb: fc.Arbitrary<Hlc> = fc.record({
  wall: fc.integer({ min: 0, max: MAX_WALL }),
  logical: fc.integer({ min: 0, max: MAX_LOGICAL }),
  replica: replicaArb,
});
/** Small ranges, so that equal walls and equal counters (the tie-breaks) come up often. */
const nearbyHlcArb: fc.Arbitrary<Hlc> = fc.record({
  wall: fc.integer({ min: 0, max: 3 }),
  logical: fc.integer({ min: 0, max: 3 }),
  replica: fc.constantFrom("a", "a-", "b", "B", "tab_1"),
});

function compareTuples(x: Hlc, y: Hlc): number {
  return x.wall - y.wall || x.logical - y.logical || (x.replica < y.replica ? -1 : x.replica > y.replica ? 1 : 0);
}

describe("encodeHlc / decodeHlc", () => {
  it("encodes with fixed widths", () => {
    expect(encodeHlc({ wall: 1764189000000, logical: 3, replica: "tab-7f3a" })).toBe("001764189000000:00003:tab-7f3a");
  });

  it("round-trips every valid timestamp", () => {
    fc.assert(
      fc.property(hlcArb, (h) => {
        const encoded = encodeHlc(h);
        expect(encoded).toMatch(HLC_PATTERN);
        expect(decodeHlc(encoded)).toEqual(h);
      }),
    );
  });

  it("orders encoded strings exactly as (wall, logical, replica) tuples", () => {
    fc.assert(
      fc.property(fc.oneof(hlcArb, nearbyHlcArb), fc.oneof(hlcArb, nearbyHlcArb), (x, y) => {
        const a = encodeHlc(x);
        const b = encodeHlc(y);
        const byString = a < b ? -1 : a > b ? 1 : 0;
        expect(byString).toBe(Math.sign(compareTuples(x, y)));
      }),
    );
  });

  it.each([
    "",
    "1764189000000:00003:tab",
    "001764189000000:3:tab",
    "001764189000000:00003:",
    "001764189000000:00003:tab:x",
    "001764189000000:00003:tab 1",
    "001764189000000:00003:" + "x".repeat(65),
    "-01764189000000:00003:tab",
    " 001764189000000:00003:tab",
  ])("decodes %j as null", (s) => {
    expect(decodeHlc(s)).toBeNull();
  });

  it("refuses to encode values the format cannot hold", () => {
    expect(() => encodeHlc({ wall: -1, logical: 0, replica: "a" })).toThrow(RangeError);
    expect(() => encodeHlc({ wall: MAX_WALL + 1, logical: 0, replica: "a" })).toThrow(RangeError);
    expect(() => encodeHlc({ wall: 0, logical: MAX_LOGICAL + 1, replica: "a" })).toThrow(RangeError);
    expect(() => encodeHlc({ wall: 0.5, logical: 0, replica: "a" })).toThrow(RangeError);
    expect(() => encodeHlc({ wall: 0, logical: 0, replica: "a:b" })).toThrow(RangeError);
  });
});

describe("tick / merge", () => {
  it("follows the wall clock when it moves ahead", () => {
    expect(tick({ wall: 10, logical: 7, replica: "a" }, 20)).toEqual({ wall: 20, logical: 0, replica: "a" });
  });

  it("counts logically while the wall clock stands still or goes back", () => {
    expect(tick({ wall: 10, logical: 7, replica: "a" }, 10)).toEqual({ wall: 10, logical: 8, replica: "a" });
    expect(tick({ wall: 10, logical: 7, replica: "a" }, 3)).toEqual({ wall: 10, logical: 8, replica: "a" });
  });

  it("carries a logical overflow into the next millisecond", () => {
    expect(tick({ wall: 10, logical: MAX_LOGICAL, replica: "a" }, 10)).toEqual({ wall: 11, logical: 0, replica: "a" });
    const remote = { wall: 10, logical: MAX_LOGICAL, replica: "b" };
    expect(merge({ wall: 5, logical: 0, replica: "a" }, remote, 0)).toEqual({ wall: 11, logical: 0, replica: "a" });
  });

  it("jumps past a remote timestamp from the future", () => {
    const remote = { wall: 50, logical: 4, replica: "b" };
    expect(merge({ wall: 10, logical: 9, replica: "a" }, remote, 20)).toEqual({ wall: 50, logical: 5, replica: "a" });
  });

  it("is ahead of both inputs when walls are equal", () => {
    const last = { wall: 50, logical: 9, replica: "a" };
    const remote = { wall: 50, logical: 4, replica: "b" };
    expect(merge(last, remote, 20)).toEqual({ wall: 50, logical: 10, replica: "a" });
  });
});

type Step = { wall: number } & ({ kind: "now" } | { kind: "receive"; remote: Hlc });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("now" as const), wall: fc.integer({ min: -5, max: 2_000 }) }),
  fc.record({
    kind: fc.constant("receive" as const),
    wall: fc.integer({ min: -5, max: 2_000 }),
    remote: fc.record({
      wall: fc.integer({ min: 0, max: 2_000 }),
      logical: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: MAX_LOGICAL - 2, max: MAX_LOGICAL })),
      replica: fc.constantFrom("remote-1", "remote-2", "me"),
    }),
  }),
);

describe("HybridClock", () => {
  it("issues strictly increasing timestamps under any wall clock, even one jumping backwards", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        let wall = 0;
        const clock = new HybridClock("me", () => wall);
        let previous = clock.peek();
        for (const step of steps) {
          wall = step.wall;
          let next: string;
          if (step.kind === "now") {
            next = clock.now();
          } else {
            const remote = encodeHlc(step.remote);
            next = clock.receive(remote);
            expect(next > remote).toBe(true);
          }
          expect(next > previous).toBe(true);
          expect(next).toMatch(HLC_PATTERN);
          expect(clock.peek()).toBe(next);
          previous = next;
        }
      }),
    );
  });

  it("stamps with the wall clock and its own replica id", () => {
    const clock = new HybridClock("tab-7f3a", () => 1764189000000);
    expect(clock.now()).toBe("001764189000000:00000:tab-7f3a");
    expect(clock.now()).toBe("001764189000000:00001:tab-7f3a");
    expect(clock.receive("001764189000000:00009:tab-b")).toBe("001764189000000:00010:tab-7f3a");
  });

  it("keeps the encoding valid when the counter overflows", () => {
    const clock = new HybridClock("a", () => 1000);
    clock.receive(encodeHlc({ wall: 1000, logical: MAX_LOGICAL - 1, replica: "b" }));
    expect(clock.peek()).toBe("000000000001000:99999:a");
    expect(clock.now()).toBe("000000000001001:00000:a");
  });

  it("rejects malformed input", () => {
    expect(() => new HybridClock("no spaces")).toThrow(RangeError);
    expect(() => new HybridClock("a").receive("yesterday")).toThrow(RangeError);
  });
});

describe("isTooFarInFuture", () => {
  const now = 1764189000000;
  const at = (wall: number) => encodeHlc({ wall, logical: 0, replica: "a" });

  it("accepts timestamps up to the allowed drift ahead, and any in the past", () => {
    expect(isTooFarInFuture(at(now + MAX_FUTURE_DRIFT_MS), now)).toBe(false);
    expect(isTooFarInFuture(at(0), now)).toBe(false);
  });

  it("refuses timestamps beyond the drift", () => {
    expect(isTooFarInFuture(at(now + MAX_FUTURE_DRIFT_MS + 1), now)).toBe(true);
    expect(isTooFarInFuture(at(now + 11), now, 10)).toBe(true);
    expect(isTooFarInFuture(at(now + 10), now, 10)).toBe(false);
  });

  it("fails closed on a malformed timestamp", () => {
    expect(isTooFarInFuture("soon", now)).toBe(true);
  });
});
