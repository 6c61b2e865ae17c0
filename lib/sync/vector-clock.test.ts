import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { clockKey, compare, dominates, entry, increment, merge, normalize, type VectorClock } from "./vector-clock";

/** Few replicas and small counters, so that equal, ordered and concurrent pairs all come up; zeros included. */
const clockArb: fc.Arbitrary<VectorClock> = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.nat({ max: 4 }));
const replicaArb = fc.constantFrom("a", "b", "c", "d", "e");

describe("vector clock merge", () => {
  it("is commutative", () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        expect(merge(a, b)).toEqual(merge(b, a));
      }),
    );
  });

  it("is associative", () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)));
      }),
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(clockArb, (a) => {
        expect(merge(a, a)).toEqual(normalize(a));
      }),
    );
  });

  it("is an upper bound of both inputs, consistent with compare", () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const m = merge(a, b);
        expect(dominates(m, a)).toBe(true);
        expect(dominates(m, b)).toBe(true);
        expect(["before", "equal"]).toContain(compare(a, m));
      }),
    );
  });

  it("returns normalized clocks: no zero entries, sorted keys", () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const m = merge(a, b);
        expect(Object.values(m).every((n) => n > 0)).toBe(true);
        expect(Object.keys(m)).toEqual(Object.keys(m).sort());
      }),
    );
  });
});

describe("vector clock compare", () => {
  const swapped = { before: "after", after: "before", equal: "equal", concurrent: "concurrent" } as const;

  it("is antisymmetric: swapping the arguments swaps before and after", () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        expect(compare(b, a)).toBe(swapped[compare(a, b)]);
      }),
    );
  });

  it("agrees with dominates", () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const order = compare(a, b);
        expect(dominates(a, b)).toBe(order === "after" || order === "equal");
      }),
    );
  });

  it("reads a missing entry as 0", () => {
    expect(compare({ a: 1, b: 0 }, { a: 1 })).toBe("equal");
    expect(compare({}, { a: 1 })).toBe("before");
    expect(compare({ a: 2 }, { b: 1 })).toBe("concurrent");
  });

  it("says equal exactly when the normalized clocks are equal", () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        expect(compare(a, b) === "equal").toBe(clockKey(a) === clockKey(b));
      }),
    );
  });
});

describe("vector clock increment", () => {
  it("makes a clock strictly after the original", () => {
    fc.assert(
      fc.property(clockArb, replicaArb, (c, r) => {
        const next = increment(c, r);
        expect(compare(next, c)).toBe("after");
        expect(entry(next, r)).toBe(entry(c, r) + 1);
      }),
    );
  });

  it("treats replica ids named like Object.prototype members as plain entries", () => {
    const c = increment(increment({}, "__proto__"), "constructor");
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(entry(c, "__proto__")).toBe(1);
    expect(entry(c, "constructor")).toBe(1);
    expect(entry({}, "toString")).toBe(0);
    expect(compare(c, {})).toBe("after");
    expect(clockKey(c)).toBe('{"__proto__":1,"constructor":1}');
  });
});

describe("normalize", () => {
  it("drops zero and negative entries and sorts keys", () => {
    const n = normalize({ c: 2, a: 0, b: -1, d: 1 });
    expect(n).toEqual({ c: 2, d: 1 });
    expect(JSON.stringify(n)).toBe('{"c":2,"d":1}');
  });
});
