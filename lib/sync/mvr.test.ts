import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MVR_MAX_SIBLINGS, applyBoundedWrite, applyMvrWrite, covers, resolvedValue, writeClock, type MvrRegister, type MvrValue } from "./mvr";
import { merge, type VectorClock } from "./vector-clock";

type Registers = Record<string, MvrRegister<string>>;

/** What the server does with one write: a fresh clock against the card, then the rule. */
function serverWrite(card: VectorClock, register: MvrRegister<string>, value: string, replica: string, seen: VectorClock) {
  const write: MvrValue<string> = { value, by: replica, clock: writeClock(card, seen, replica), seen };
  return { write, register: applyMvrWrite(register, write), card: merge(card, write.clock) };
}

describe("writeClock", () => {
  it("adds a fresh dot for the writer to its context", () => {
    expect(writeClock({ a: 3, b: 5 }, { a: 2, b: 5 }, "b")).toEqual({ a: 2, b: 6 });
    expect(writeClock({ a: 3 }, {}, "c")).toEqual({ c: 1 });
  });

  it("never reuses a dot, even for a replica writing again from a stale context", () => {
    const first = serverWrite({}, [], "one", "a", {});
    const second = serverWrite(first.card, first.register, "two", "a", {});
    expect(second.write.clock).toEqual({ a: 2 });
  });
});

describe("MVR-1 applyMvrWrite", () => {
  it("keeps two writes from the same context as siblings, and a write that saw both resolves them", () => {
    const one = serverWrite({}, [], "alice's", "alice", {});
    const two = serverWrite(one.card, one.register, "bob's", "bob", {});
    expect(two.register.map((v) => v.value).sort()).toEqual(["alice's", "bob's"]);
    const resolved = serverWrite(two.card, two.register, "agreed", "alice", two.card);
    expect(resolved.register.map((v) => v.value)).toEqual(["agreed"]);
    expect(resolvedValue(resolved.register)).toBe("agreed");
  });

  it("keeps two writes of one replica made from the same context as siblings", () => {
    const base = serverWrite({}, [], "start", "a", {});
    const one = serverWrite(base.card, base.register, "one", "b", base.card);
    const two = serverWrite(one.card, one.register, "two", "b", base.card); // same stale context
    expect(two.register.map((v) => v.value).sort()).toEqual(["one", "two"]);
  });

  it("drops a write delivered after one that had seen it, and keeps one copy of a repeat", () => {
    const old: MvrValue<string> = { value: "old", by: "a", clock: { a: 1 }, seen: {} };
    const newer: MvrValue<string> = { value: "new", by: "b", clock: { a: 1, b: 1 }, seen: { a: 1 } };
    expect(applyMvrWrite([newer], old)).toEqual([newer]);
    expect(applyMvrWrite([newer], structuredClone(newer))).toEqual([newer]);
    expect(covers({ a: 1 }, old)).toBe(true);
    expect(covers({ b: 4 }, old)).toBe(false);
    // Seeing a later dot of the same replica is not seeing everything the value had seen.
    expect(covers({ a: 5 }, { clock: { a: 3, b: 1 } })).toBe(false);
  });

  it("reads an empty register as no value", () => {
    expect(resolvedValue([])).toBeUndefined();
  });
});

const FIELDS = ["title", "status"] as const;

/**
 * A random history as the server makes it: each write comes from one of three replicas, with a
 * context that is the card's clock at some earlier moment (what that tab had last received), and
 * touches one or both fields. Ground truth: a write survives in a field exactly when no later write
 * to that field had a context that had seen it.
 */
const historyArb = fc
  .array(
    fc.record({
      replica: fc.constantFrom("a", "b", "c"),
      seenAt: fc.nat(),
      fields: fc.subarray([...FIELDS], { minLength: 1 }),
      value: fc.string({ maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 20 },
  )
  .map((ops) => {
    let card: VectorClock = {};
    const snapshots: VectorClock[] = [{}];
    const events = ops.map((op, id) => {
      const seen = snapshots[op.seenAt % snapshots.length]!;
      const write: MvrValue<string> = { value: `${id}:${op.value}`, by: op.replica, clock: writeClock(card, seen, op.replica), seen };
      card = merge(card, write.clock);
      snapshots.push(card);
      return { id, fields: op.fields, write };
    });
    return events;
  });

type Event = { id: number; fields: string[]; write: MvrValue<string> };

function deliver(registers: Registers, { fields, write }: Event): Registers {
  const next = { ...registers };
  for (const field of fields) next[field] = applyMvrWrite(next[field] ?? [], write);
  return next;
}

const permutationOf = <T>(items: T[]) => fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

describe("MVR convergence", () => {
  it("in any delivery order replicas end deep-equal, keeping exactly the writes no later context covered", () => {
    fc.assert(
      fc.property(
        historyArb.chain((h) => fc.tuple(fc.constant(h), permutationOf(h), permutationOf(h))),
        ([events, one, two]) => {
          const server = events.reduce(deliver, {});
          expect(one.reduce(deliver, {})).toEqual(server);
          expect(two.reduce(deliver, {})).toEqual(server);
          for (const field of FIELDS) {
            const writers = events.filter((e) => e.fields.includes(field));
            const truth = writers.filter((e) => !writers.some((later) => later.id > e.id && covers(later.write.seen, e.write)));
            const survivors = (server[field] ?? []).map((v) => Number(v.value.split(":")[0]));
            expect(survivors.sort((x, y) => x - y)).toEqual(truth.map((e) => e.id));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is unchanged by re-delivering writes", () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const server = events.reduce(deliver, {});
        expect(structuredClone(events).reduce(deliver, server)).toEqual(server);
      }),
    );
  });
});

describe("MVR-5 a bounded number of values per field", () => {
  it("MVR-5 60 writes from one empty context keep the newest 8 and name each displaced value once", () => {
    let card: VectorClock = {};
    let register: MvrRegister<string> = [];
    const dropped: string[] = [];
    for (let i = 0; i < 60; i++) {
      const seen = {};
      const b = applyBoundedWrite(register, { value: `w${i}`, by: "a", clock: writeClock(card, seen, "a"), seen }, MVR_MAX_SIBLINGS);
      register = b.register;
      card = merge(card, b.write.clock);
      dropped.push(...b.dropped.map((v) => v.value));
      expect(register.length).toBeLessThanOrEqual(MVR_MAX_SIBLINGS);
      expect(register).toContain(b.write);
    }
    expect(register.map((v) => v.value).sort()).toEqual(["w52", "w53", "w54", "w55", "w56", "w57", "w58", "w59"]);
    expect(dropped).toEqual(Array.from({ length: 52 }, (_, i) => `w${i}`));
    // The widened write carries the bound: a replica applying only the stored writes agrees.
  });

  it("leaves a repeat or a late write alone", () => {
    const old: MvrValue<string> = { value: "old", by: "a", clock: { a: 1 }, seen: {} };
    const newer: MvrValue<string> = { value: "new", by: "b", clock: { a: 1, b: 1 }, seen: { a: 1 } };
    expect(applyBoundedWrite([newer], old, 1)).toEqual({ write: old, register: [newer], dropped: [] });
    expect(applyBoundedWrite([newer], newer, 1)).toEqual({ write: newer, register: [newer], dropped: [] });
  });

  /**
   * Server histories under a small bound: the server applies each write with applyBoundedWrite
   * (per field, since widening is per field) and stores the widened writes; replicas receive those.
   */
  const boundedHistoryArb = fc
    .record({
      max: fc.integer({ min: 1, max: 3 }),
      ops: fc.array(
        fc.record({
          replica: fc.constantFrom("a", "b", "c", "d"),
          seenAt: fc.nat(),
          fields: fc.subarray([...FIELDS], { minLength: 1 }),
          value: fc.string({ maxLength: 2 }),
        }),
        { minLength: 1, maxLength: 25 },
      ),
    })
    .map(({ max, ops }) => {
      let card: VectorClock = {};
      const snapshots: VectorClock[] = [{}];
      const registers: Registers = {};
      const steps: { field: string; before: MvrRegister<string>; original: MvrValue<string>; bounded: ReturnType<typeof applyBoundedWrite<MvrValue<string>>> }[] = [];
      const events: Event[] = [];
      ops.forEach((op, id) => {
        const seen = snapshots[op.seenAt % snapshots.length]!;
        const original: MvrValue<string> = { value: `${id}:${op.value}`, by: op.replica, clock: writeClock(card, seen, op.replica), seen };
        let next = card;
        for (const field of op.fields) {
          const before = registers[field] ?? [];
          const bounded = applyBoundedWrite(before, original, max);
          registers[field] = bounded.register;
          next = merge(next, bounded.write.clock);
          steps.push({ field, before, original, bounded });
          events.push({ id, fields: [field], write: bounded.write });
        }
        card = next;
        snapshots.push(card);
      });
      return { max, registers, steps, events };
    });

  it("MVR-5 on the server no field ever holds more than the bound, the write always stays, and nothing goes unnamed", () => {
    fc.assert(
      fc.property(boundedHistoryArb, ({ max, steps }) => {
        for (const { before, original, bounded } of steps) {
          expect(bounded.register.length).toBeLessThanOrEqual(max);
          expect(bounded.register).toContain(bounded.write);
          // Same dot, wider context: the write's own entry is unchanged and its clock only grew.
          expect(covers(bounded.write.clock, original)).toBe(true);
          expect(covers(bounded.write.seen, { clock: original.seen })).toBe(true);
          const gone = before.filter((v) => !bounded.register.includes(v));
          const seenByWriter = gone.filter((v) => covers(original.seen, v));
          expect([...seenByWriter, ...bounded.dropped].sort((x, y) => (x.value < y.value ? -1 : 1))).toEqual(
            [...gone].sort((x, y) => (x.value < y.value ? -1 : 1)),
          );
          expect(bounded.dropped.every((v) => !covers(original.seen, v))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("MVR-5 replicas applying the stored (widened) writes in any order, with repeats, end equal to the server", () => {
    fc.assert(
      fc.property(
        boundedHistoryArb.chain((h) => fc.tuple(fc.constant(h), permutationOf(h.events), permutationOf(h.events))),
        ([{ registers, events }, one, two]) => {
          const server = Object.fromEntries(Object.entries(registers).map(([f, r]) => [f, [...r].sort((x, y) => (x.value < y.value ? -1 : 1))]));
          const sorted = (rs: Registers) => Object.fromEntries(Object.entries(rs).map(([f, r]) => [f, [...r].sort((x, y) => (x.value < y.value ? -1 : 1))]));
          expect(sorted(events.reduce(deliver, {}))).toEqual(server);
          expect(sorted(one.reduce(deliver, {}))).toEqual(server);
          expect(sorted([...two, ...one].reduce(deliver, {}))).toEqual(server);
        },
      ),
      { numRuns: 300 },
    );
  });
});
