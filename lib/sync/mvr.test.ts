import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  applyDottedWrite,
  applyMvrWrite,
  cardClock,
  hasSiblings,
  resolvedValue,
  writeClock,
  type MvrRegister,
  type MvrValue,
} from "./mvr";
import { clockKey, merge, type VectorClock } from "./vector-clock";

type Registers = Record<string, MvrRegister<string>>;

/** What the server does with one write: assign its clock against the card, then apply it. */
function serverWrite(register: MvrRegister<string>, value: string, by: string, context: VectorClock) {
  const write = { value, by, clock: writeClock(cardClock({ field: register }), context, by) };
  return { write, register: applyMvrWrite(register, write) };
}

describe("writeClock", () => {
  it("adds a fresh dot for the writer to its context", () => {
    expect(writeClock({ a: 3, b: 5 }, { a: 2, b: 5 }, "b")).toEqual({ a: 2, b: 6 });
    expect(writeClock({ a: 3 }, {}, "c")).toEqual({ c: 1 });
  });

  it("never reuses a dot, even for a replica writing again from a stale context", () => {
    const first = serverWrite([], "one", "a", {});
    const second = serverWrite(first.register, "two", "a", {});
    expect(second.write.clock).toEqual({ a: 2 });
    expect(second.write.clock).not.toEqual(first.write.clock);
  });
});

describe("applyMvrWrite", () => {
  it("keeps two writes from the same context as siblings, and a write that saw both resolves them", () => {
    const one = serverWrite([], "alice's", "alice", {});
    const two = serverWrite(one.register, "bob's", "bob", {});
    expect(two.register).toHaveLength(2);
    expect(hasSiblings(two.register)).toBe(true);
    expect(two.register.map((v) => v.value).sort()).toEqual(["alice's", "bob's"]);

    const resolved = serverWrite(two.register, "agreed", "alice", merge(one.write.clock, two.write.clock));
    expect(resolved.register).toEqual([{ value: "agreed", by: "alice", clock: { alice: 2, bob: 1 } }]);
    expect(hasSiblings(resolved.register)).toBe(false);
    expect(resolvedValue(resolved.register)).toBe("agreed");
  });

  it("drops a write that a stored value has already seen", () => {
    const newer: MvrValue<string> = { value: "new", by: "a", clock: { a: 2 } };
    expect(applyMvrWrite([newer], { value: "old", by: "a", clock: { a: 1 } })).toEqual([newer]);
  });

  it("keeps one copy of a write delivered twice", () => {
    const write: MvrValue<string> = { value: "x", by: "a", clock: { a: 1 } };
    const again = structuredClone(write); // as it arrives over the wire: equal, not the same object
    expect(applyMvrWrite(applyMvrWrite([], write), again)).toEqual([write]);
  });

  it("orders siblings the same way whichever arrived first", () => {
    const x: MvrValue<string> = { value: "x", by: "a", clock: { a: 1 } };
    const y: MvrValue<string> = { value: "y", by: "b", clock: { b: 1 } };
    expect(applyMvrWrite([x], y)).toEqual(applyMvrWrite([y], x));
    expect(resolvedValue([x, y])).toBe(resolvedValue([y, x]));
  });

  it("reads an empty register as no value", () => {
    expect(resolvedValue([])).toBeUndefined();
    expect(hasSiblings([])).toBe(false);
  });
});

describe("cardClock", () => {
  it("merges every value's clock across fields", () => {
    const registers: Registers = {
      title: [{ value: "t", by: "a", clock: { a: 2, b: 1 } }],
      status: [
        { value: "todo", by: "b", clock: { b: 3 } },
        { value: "done", by: "c", clock: { c: 1 } },
      ],
    };
    expect(cardClock(registers)).toEqual({ a: 2, b: 3, c: 1 });
    expect(cardClock({})).toEqual({});
  });
});

const FIELDS = ["title", "status"] as const;
const REPLICAS = ["a", "b", "c"] as const;

type Draft = { by: string; fields: string[]; saw: boolean[]; value: string };
/** One write of a history: its position, the fields it set, and the stamped value. */
type Event = { id: number; fields: string[]; write: MvrValue<string> };

/**
 * Builds a random causal history as the server would see it. Before each write, its replica
 * learns a random subset of the earlier writes (possibly including its own, acknowledged), and it
 * never forgets: its context is the merge of the clocks it has learned, and the server assigns
 * the write's clock against the card as it stood. Alongside, `past[i]` records what write i saw,
 * directly or transitively: what it learned, and every earlier write of its own replica even if
 * not yet acknowledged (a replica knows what it wrote). That is the ground truth vector clocks
 * must reproduce.
 */
function buildHistory(drafts: Draft[]) {
  const events: Event[] = [];
  const past: Set<number>[] = [];
  const learned = new Map<string, Set<number>>();
  let server: Registers = {};
  drafts.forEach((draft, id) => {
    const known = learned.get(draft.by) ?? new Set<number>();
    for (const e of events) if (draft.saw[e.id] === true) known.add(e.id);
    learned.set(draft.by, known);

    const context = events
      .filter((e) => known.has(e.id))
      .reduce<VectorClock>((clock, e) => merge(clock, e.write.clock), {});
    const write = { value: draft.value, by: draft.by, clock: writeClock(cardClock(server), context, draft.by) };
    const event = { id, fields: draft.fields, write };

    const seen = events.filter((e) => known.has(e.id) || e.write.by === draft.by);
    past.push(new Set(seen.flatMap((e) => [e.id, ...(past[e.id] ?? [])])));
    server = deliver(server, event);
    events.push(event);
  });
  return { events, past, server };
}

function deliver(registers: Registers, { fields, write }: Event): Registers {
  const next = { ...registers };
  for (const field of fields) next[field] = applyMvrWrite(next[field] ?? [], write);
  return next;
}

const historyArb = fc
  .array(
    fc.record({
      by: fc.constantFrom(...REPLICAS),
      fields: fc.subarray([...FIELDS], { minLength: 1 }),
      saw: fc.array(fc.boolean(), { maxLength: 12 }),
      value: fc.string({ maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map(buildHistory);

const permutationOf = <T>(items: T[]) =>
  fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

describe("MVR convergence", () => {
  it("reaches deep-equal registers in any delivery order, keeping exactly the writes nobody saw", () => {
    fc.assert(
      fc.property(
        historyArb.chain((h) => fc.tuple(fc.constant(h), permutationOf(h.events), permutationOf(h.events))),
        ([{ events, past, server }, one, two]) => {
          const a = one.reduce(deliver, {});
          const b = two.reduce(deliver, {});
          expect(a).toEqual(b);
          expect(a).toEqual(server);

          // Dots are unique, so a clock names its event.
          const idOf = new Map(events.map((e) => [clockKey(e.write.clock), e.id]));
          for (const field of FIELDS) {
            const writers = events.filter((e) => e.fields.includes(field));
            const unseen = writers.filter((e) => !writers.some((other) => past[other.id]?.has(e.id)));
            const survivors = (a[field] ?? []).map((v) => idOf.get(clockKey(v.clock)));
            expect(survivors.sort(byNumber)).toEqual(unseen.map((e) => e.id).sort(byNumber));
          }
        },
      ),
    );
  });

  it("is unchanged by re-delivering writes", () => {
    fc.assert(
      fc.property(historyArb, ({ events, server }) => {
        const copies = structuredClone(events); // equal writes, as they arrive over the wire
        expect(copies.reduce(deliver, server)).toEqual(server);
      }),
    );
  });
});

function byNumber(x: number | undefined, y: number | undefined): number {
  return (x ?? -1) - (y ?? -1);
}

describe("applyDottedWrite (the server's rule, SPEC MVR-1)", () => {
  const w = (value: string, replica: string, clock: VectorClock) => ({ value, by: replica, clock, replica });

  it("keeps two writes of one replica made from the same context as siblings", () => {
    const base = [w("start", "a", { a: 1 })];
    const context = { a: 1 };
    const first = applyDottedWrite(base, w("one", "b", writeClock({ a: 1 }, context, "b")), context);
    const cardAfterFirst = { a: 1, b: 1 };
    const second = applyDottedWrite(first, w("two", "b", writeClock(cardAfterFirst, context, "b")), context);
    expect(second.map((v) => v.value).sort()).toEqual(["one", "two"]);
    // A write whose context covers both resolves them.
    const resolved = applyDottedWrite(second, w("merged", "a", writeClock({ a: 1, b: 2 }, { a: 1, b: 2 }, "a")), { a: 1, b: 2 });
    expect(resolved.map((v) => v.value)).toEqual(["merged"]);
  });

  it("property: after any sequence, exactly the writes whose dot no later context covers survive", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ replica: fc.constantFrom("a", "b", "c"), seenAt: fc.nat(), value: fc.string({ maxLength: 3 }) }), { minLength: 1, maxLength: 25 }),
        (ops) => {
          let register: MvrRegister<string> = [];
          let card: VectorClock = {};
          const history: VectorClock[] = [{}]; // the card's clock after each write
          const writes: { dot: [string, number]; context: VectorClock; id: number }[] = [];
          ops.forEach((op, id) => {
            const context = history[op.seenAt % history.length]!; // what this writer had seen
            const clock = writeClock(card, context, op.replica);
            register = applyDottedWrite(register, { value: `${id}:${op.value}`, by: op.replica, clock, replica: op.replica }, context);
            writes.push({ dot: [op.replica, clock[op.replica]!], context, id });
            card = merge(card, clock);
            history.push(card);
          });
          const survivors = writes
            .filter((x, i) => !writes.slice(i + 1).some((later) => (later.context[x.dot[0]] ?? 0) >= x.dot[1]))
            .map((x) => x.id)
            .sort((p, q) => p - q);
          const got = register.map((v) => Number(v.value.split(":")[0])).sort((p, q) => p - q);
          expect(got).toEqual(survivors);
        },
      ),
      { numRuns: 300 },
    );
  });
});
