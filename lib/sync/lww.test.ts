import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { encodeHlc } from "./hlc";
import { applyLww, type LwwState } from "./lww";

type Fields = { title: string; status: string; estimate: number | null };

const initial: LwwState<Fields> = { fields: { title: "", status: "todo", estimate: null }, hlc: {} };
const at = (wall: number, replica = "a", logical = 0) => encodeHlc({ wall, logical, replica });

describe("applyLww", () => {
  it("replaces a field only with a newer timestamp, and names the rest as ignored", () => {
    const first = applyLww(initial, { title: "one", status: "doing" }, at(10));
    expect(first).toEqual({
      fields: { title: "one", status: "doing", estimate: null },
      hlc: { title: at(10), status: at(10) },
      applied: ["title", "status"],
      ignored: [],
    });
    const second = applyLww(first, { title: "stale", estimate: 3 }, at(5));
    expect(second.fields).toEqual({ title: "one", status: "doing", estimate: 3 });
    expect(second.hlc).toEqual({ title: at(10), status: at(10), estimate: at(5) });
    expect(second.applied).toEqual(["estimate"]);
    expect(second.ignored).toEqual(["title"]);
  });

  it("breaks a tie of wall and counter by replica id", () => {
    const fromB = applyLww(initial, { title: "b" }, at(10, "b"));
    expect(applyLww(fromB, { title: "a" }, at(10, "a")).fields.title).toBe("b");
    expect(applyLww(fromB, { title: "c" }, at(10, "c")).fields.title).toBe("c");
  });

  it("ignores the same timestamp again, so a re-delivered write changes nothing", () => {
    const once = applyLww(initial, { title: "x" }, at(10));
    const twice = applyLww(once, { title: "x" }, at(10));
    expect(twice.fields).toEqual(once.fields);
    expect(twice.hlc).toEqual(once.hlc);
    expect(twice.ignored).toEqual(["title"]);
  });

  it("is pure: the input state is left as it was", () => {
    const state = structuredClone(initial);
    applyLww(state, { title: "x" }, at(10));
    expect(state).toEqual(initial);
  });

  it("skips fields whose patch value is undefined", () => {
    // Spelled through `unknown` so the test also compiles under exactOptionalPropertyTypes.
    const patch = { title: undefined, status: "done" } as unknown as Partial<Fields>;
    const result = applyLww(initial, patch, at(10));
    expect(result.fields.title).toBe("");
    expect(result.applied).toEqual(["status"]);
    expect(result.ignored).toEqual([]);
  });

  it("refuses a malformed timestamp", () => {
    expect(() => applyLww(initial, { title: "x" }, "2025-11-26T12:00:00Z")).toThrow(RangeError);
  });
});

type Patch = { patch: Partial<Fields>; hlc: string };

const patchArb: fc.Arbitrary<Partial<Fields>> = fc.record(
  {
    title: fc.string({ maxLength: 3 }),
    status: fc.constantFrom("todo", "doing", "done"),
    estimate: fc.option(fc.nat(8)),
  },
  { requiredKeys: [] },
);

/**
 * Patches with unique timestamps: the replica id is the patch's index, while walls and counters
 * come from tiny ranges so that ties on both, decided by replica id, are common.
 */
const patchesArb: fc.Arbitrary<Patch[]> = fc
  .array(
    fc.record({ wall: fc.integer({ min: 0, max: 3 }), logical: fc.integer({ min: 0, max: 2 }), patch: patchArb }),
    { maxLength: 12 },
  )
  .map((drafts) =>
    drafts.map(({ wall, logical, patch }, i) => ({ patch, hlc: encodeHlc({ wall, logical, replica: `r${i}` }) })),
  );

const permutationOf = <T>(items: T[]) =>
  fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

const applyAll = (patches: Patch[]) =>
  patches.reduce<LwwState<Fields>>((state, p) => applyLww(state, p.patch, p.hlc), initial);

const newest = (patches: Patch[]) =>
  patches.reduce<Patch | undefined>((best, p) => (best === undefined || p.hlc > best.hlc ? p : best), undefined);

describe("LWW convergence", () => {
  it("reaches the same state whatever order the patches arrive in, and the newest timestamp wins each field", () => {
    fc.assert(
      fc.property(
        patchesArb.chain((patches) => fc.tuple(permutationOf(patches), permutationOf(patches))),
        ([one, two]) => {
          const a = applyAll(one);
          const b = applyAll(two);
          expect(a.fields).toEqual(b.fields);
          expect(a.hlc).toEqual(b.hlc);

          for (const field of ["title", "status", "estimate"] as const) {
            const winner = newest(one.filter((p) => field in p.patch));
            expect(a.fields[field]).toEqual(winner === undefined ? initial.fields[field] : winner.patch[field]);
            expect(a.hlc[field]).toBe(winner?.hlc);
          }
        },
      ),
    );
  });
});
