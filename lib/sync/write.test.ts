import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIELD_NAMES, type CardMutation, type FieldName, type Lock, type Patch, type Policy } from "../protocol";
import { encodeHlc } from "./hlc";
import { MVR_MAX_SIBLINGS, applyMvrWrite } from "./mvr";
import { changeRecord, decideWrite, stateFromCard, toWireCard, type CardState, type WriteEnv } from "./write";

const NOW = Date.UTC(2026, 0, 1);
const board = (policy: Policy) => ({ id: "b1", policy });
const env = (policy: Policy, over: Partial<WriteEnv> = {}): WriteEnv => ({
  board: board(policy),
  writer: { id: "u1", name: "Ada", replicaId: "tab-a" },
  now: NOW,
  stamp: encodeHlc({ wall: NOW, logical: 0, replica: "server" }),
  ...over,
});

function created(policy: Policy, replicaId = "tab-a"): CardState {
  const d = decideWrite(null, { kind: "create", mutationId: "m0", boardId: "b1", cardId: "c1", fields: { title: "t" } }, env(policy, { writer: { id: "u1", name: "Ada", replicaId } }));
  if (d.kind !== "applied" || !d.next) throw new Error("create failed");
  return d.next;
}

const fieldArb = fc.constantFrom(...FIELD_NAMES);
const valueOf = (f: FieldName, n: number): Patch[FieldName] =>
  f === "status" ? (["todo", "doing", "done"] as const)[n % 3] : f === "tags" ? [`t${n}`] : f === "estimate" ? n : `v${n}`;
const patchArb = fc
  .uniqueArray(fieldArb, { minLength: 1, maxLength: 3 })
  .chain((fs) => fc.tuple(fc.constant(fs), fc.array(fc.nat(1000), { minLength: fs.length, maxLength: fs.length })))
  .map(([fs, ns]) => Object.fromEntries(fs.map((f, i) => [f, valueOf(f, ns[i]!)])) as Patch);
const permutationOf = <T,>(items: T[]) => fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });

describe("decideWrite: occ (SPEC OCC-2)", () => {
  it("conflicts exactly on the patched fields changed after the base; otherwise applies and bumps their versions", () => {
    fc.assert(
      fc.property(fc.array(patchArb, { minLength: 1, maxLength: 8 }), patchArb, fc.nat(), (history, patch, baseAt) => {
        let s = created("occ");
        for (const p of history) {
          const d = decideWrite(s, { kind: "update", mutationId: "h", cardId: "c1", baseVersion: s.version, patch: p }, env("occ"));
          if (d.kind !== "applied") throw new Error("a write based on the current version must apply");
          s = d.next!;
        }
        const baseVersion = 1 + (baseAt % s.version);
        const d = decideWrite(s, { kind: "update", mutationId: "m", cardId: "c1", baseVersion, patch }, env("occ"));
        const expected = (Object.keys(patch) as FieldName[]).filter((f) => s.fieldVersions[f] > baseVersion);
        if (expected.length > 0) {
          expect(d).toEqual({ kind: "conflict", current: s, fields: expected });
        } else {
          expect(d.kind).toBe("applied");
          if (d.kind !== "applied") return;
          expect(d.next!.version).toBe(s.version + 1);
          for (const f of FIELD_NAMES) expect(d.next!.fieldVersions[f]).toBe(f in patch ? s.version + 1 : s.fieldVersions[f]);
          expect(d.next).toMatchObject(patch);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a base ahead of the card, and a delete or move conflicts on anything changed after its base", () => {
    const s = created("occ");
    const ahead = decideWrite(s, { kind: "update", mutationId: "m", cardId: "c1", baseVersion: 5, patch: { title: "x" } }, env("occ"));
    expect(ahead).toMatchObject({ kind: "refused", code: "BAD_REQUEST" });
    const d1 = decideWrite(s, { kind: "update", mutationId: "m", cardId: "c1", baseVersion: 1, patch: { body: "b" } }, env("occ"));
    const v2 = d1.kind === "applied" ? d1.next! : s;
    expect(decideWrite(v2, { kind: "delete", mutationId: "d", cardId: "c1", baseVersion: 1 }, env("occ"))).toEqual({ kind: "conflict", current: v2, fields: ["body"] });
    expect(decideWrite(v2, { kind: "move", mutationId: "d", cardId: "c1", toBoardId: "b2", baseVersion: 1 }, env("occ"))).toMatchObject({ kind: "conflict", fields: ["body"] });
    expect(decideWrite(v2, { kind: "delete", mutationId: "d", cardId: "c1", baseVersion: 2 }, env("occ"))).toMatchObject({ kind: "applied", effect: "delete", next: null });
    const moved = decideWrite(v2, { kind: "move", mutationId: "d", cardId: "c1", toBoardId: "b2", baseVersion: 2 }, env("occ"));
    expect(moved).toMatchObject({ kind: "applied", effect: "move", next: { boardId: "b2", version: 3, title: "t", body: "b" } });
  });
});

describe("decideWrite: lww (SPEC LWW-1, LWW-3)", () => {
  const writeArb = fc.record({ patch: patchArb, wall: fc.nat(50), replica: fc.constantFrom("a", "b", "c") });
  it("ends in the same card whatever order the writes arrive in, and never conflicts", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(writeArb, { minLength: 1, maxLength: 10, selector: (w) => `${w.wall}:${w.replica}` }).chain((ws) => fc.tuple(fc.constant(ws), permutationOf(ws))),
        ([writes, shuffled]) => {
          const run = (order: typeof writes) =>
            order.reduce((s, w, i) => {
              const hlc = encodeHlc({ wall: NOW - 1000 + w.wall, logical: 0, replica: w.replica });
              const d = decideWrite(s, { kind: "update", mutationId: `m${i}`, cardId: "c1", baseVersion: 0, patch: w.patch, hlc }, env("lww"));
              expect(d.kind).toBe("applied");
              return d.kind === "applied" ? d.next! : s;
            }, created("lww"));
          const one = run(writes);
          const two = run(shuffled);
          expect({ ...pickFields(one), hlc: one.hlc }).toEqual({ ...pickFields(two), hlc: two.hlc });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names the fields it lost in ignored, changes nothing when it lost all, and stamps an unstamped update", () => {
    const s = created("lww");
    const newer = encodeHlc({ wall: NOW, logical: 5, replica: "b" });
    const older = encodeHlc({ wall: NOW - 10, logical: 0, replica: "a" });
    const d1 = decideWrite(s, { kind: "update", mutationId: "m1", cardId: "c1", baseVersion: 1, patch: { title: "new" }, hlc: newer }, env("lww"));
    if (d1.kind !== "applied") throw new Error("lww never conflicts");
    const d2 = decideWrite(d1.next, { kind: "update", mutationId: "m2", cardId: "c1", baseVersion: 1, patch: { title: "old" }, hlc: older }, env("lww"));
    expect(d2).toEqual({ kind: "applied", effect: "none", next: d1.next, changed: [], ignored: ["title"] });
    let stamped = 0;
    const d3 = decideWrite(d1.next, { kind: "update", mutationId: "m3", cardId: "c1", baseVersion: 2, patch: { body: "b" } }, env("lww", { stamp: () => `${encodeHlc({ wall: NOW, logical: ++stamped, replica: "server" })}` }));
    expect(d3).toMatchObject({ kind: "applied", effect: "update", changed: ["body"], next: { hlc: { body: encodeHlc({ wall: NOW, logical: 1, replica: "server" }) } } });
    const future = encodeHlc({ wall: NOW + 61_000, logical: 0, replica: "a" });
    expect(decideWrite(s, { kind: "update", mutationId: "m4", cardId: "c1", baseVersion: 1, patch: { title: "x" }, hlc: future }, env("lww"))).toMatchObject({ kind: "refused", code: "BAD_REQUEST" });
  });
});

describe("decideWrite: mvr (SPEC MVR-1, MVR-5)", () => {
  const opArb = fc.record({ replica: fc.constantFrom("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11"), seenAt: fc.nat(), fields: fc.uniqueArray(fc.constantFrom<FieldName>("title", "status"), { minLength: 1 }), n: fc.nat(99) });
  it("keeps at most the bound per field, and replicas that apply the stored writes in any order converge on the server's card", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 30 }).chain((ops) => fc.tuple(fc.constant(ops), fc.integer({ min: 1, max: 4 }))),
        fc.nat(),
        ([ops, max], seed) => {
          let s = created("mvr", "r0");
          const clocks = [s.clock!];
          const events: { field: FieldName; write: NonNullable<CardState["registers"]>[FieldName] }[] = [];
          for (const [i, op] of ops.entries()) {
            const patch = Object.fromEntries(op.fields.map((f) => [f, valueOf(f, op.n + i)])) as Patch;
            const mutation: CardMutation = { kind: "update", mutationId: `m${i}`, cardId: "c1", baseVersion: 0, patch, context: clocks[op.seenAt % clocks.length]! };
            const d = decideWrite(s, mutation, env("mvr", { writer: { id: op.replica, name: op.replica, replicaId: op.replica }, maxSiblings: max }));
            if (d.kind !== "applied") throw new Error("mvr never conflicts");
            s = d.next!;
            clocks.push(s.clock!);
            for (const f of op.fields) {
              expect(s.registers![f]!.length).toBeLessThanOrEqual(max);
              events.push({ field: f, write: [d.stored![f]!] });
            }
          }
          // Every replica applies the stored writes (the create's first) with the plain rule, in any order.
          const initial = created("mvr", "r0").registers!;
          for (const delivery of [events, shuffle(events, seed)]) {
            const regs: Record<string, unknown[]> = { title: initial.title!, status: initial.status! };
            for (const e of delivery) regs[e.field] = applyMvrWrite(regs[e.field] as never[], e.write![0]!);
            expect(regs.title).toEqual(s.registers!.title);
            expect(regs.status).toEqual(s.registers!.status);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reports what the bound displaced and keeps concurrent writes as siblings", () => {
    let s = created("mvr", "r0");
    const base = s.clock!;
    for (let i = 0; i < MVR_MAX_SIBLINGS + 2; i++) {
      const d = decideWrite(s, { kind: "update", mutationId: `m${i}`, cardId: "c1", baseVersion: 1, patch: { title: `v${i}` }, context: base }, env("mvr", { writer: { id: `u${i}`, name: `U${i}`, replicaId: `r${i + 1}` } }));
      if (d.kind !== "applied") throw new Error("mvr never conflicts");
      s = d.next!;
      if (i >= MVR_MAX_SIBLINGS) expect(d.dropped?.title).toHaveLength(1);
    }
    expect(s.registers!.title).toHaveLength(MVR_MAX_SIBLINGS);
    expect(toWireCard(s, "mvr").siblings?.title).toHaveLength(MVR_MAX_SIBLINGS);
  });
});

describe("decideWrite: refusals (SPEC LOCK-3, LOCK-4, ID-1)", () => {
  const lease = (holder: string): Lock => ({ cardId: "c1", holder: { id: holder, name: holder }, token: 7, expiresAt: new Date(NOW + 1000).toISOString() });
  const mutations = (s: CardState): CardMutation[] => [
    { kind: "update", mutationId: "m", cardId: s.id, baseVersion: s.version, patch: { title: "x" }, lockToken: 3 },
    { kind: "delete", mutationId: "m", cardId: s.id, baseVersion: s.version, lockToken: 3 },
    { kind: "move", mutationId: "m", cardId: s.id, toBoardId: "b2", baseVersion: s.version, lockToken: 3 },
  ];
  it("refuses on every policy: a missing or foreign card, a stale token, another user's lease, a taken id", () => {
    fc.assert(
      fc.property(fc.constantFrom<Policy>("occ", "lww", "mvr"), (policy) => {
        const s = { ...created(policy), fence: 7 };
        for (const m of mutations(s)) {
          expect(decideWrite(null, m, env(policy))).toMatchObject({ kind: "refused", code: "NOT_FOUND" });
          expect(decideWrite({ ...s, boardId: "other" }, m, env(policy))).toMatchObject({ kind: "refused", code: "NOT_FOUND" });
          expect(decideWrite(s, m, env(policy))).toEqual({ kind: "refused", code: "STALE_LOCK", message: expect.any(String), details: { fence: 7 } });
          const own = { ...m, lockToken: 7 };
          expect(decideWrite(s, own, env(policy, { lease: lease("u2") }))).toMatchObject({ kind: "refused", code: "LOCKED", details: { lock: lease("u2") } });
          expect(decideWrite(s, own, env(policy, { lease: lease("u1") })).kind).toBe("applied");
        }
        const create: CardMutation = { kind: "create", mutationId: "m", boardId: "b1", cardId: "c1", fields: {} };
        expect(decideWrite(s, create, env(policy))).toMatchObject({ kind: "refused", code: "BAD_REQUEST" });
        expect(decideWrite(s, { kind: "move", mutationId: "m", cardId: s.id, toBoardId: "b1", baseVersion: s.version, lockToken: 7 }, env(policy))).toMatchObject({ kind: "refused", code: "BAD_REQUEST" });
      }),
    );
  });
});

describe("toWireCard / stateFromCard / changeRecord", () => {
  it("round-trips a card through the wire form, and builds upserts with the card and deletes with its id", () => {
    for (const policy of ["occ", "lww", "mvr"] as const) {
      const card = toWireCard(created(policy), policy);
      expect(toWireCard(stateFromCard(card), policy)).toEqual(card);
    }
    const card = toWireCard(created("occ"), "occ");
    const entry = { boardId: "b1", seq: 3, cardId: "c1", mutationId: "m", by: "u1", at: new Date(NOW).toISOString() };
    expect(changeRecord({ ...entry, type: "card.upsert", card })).toEqual({ boardId: "b1", seq: 3, type: "card.upsert", card, mutationId: "m", by: "u1", at: entry.at });
    expect(changeRecord({ ...entry, type: "card.delete", card: null })).toEqual({ boardId: "b1", seq: 3, type: "card.delete", cardId: "c1", mutationId: "m", by: "u1", at: entry.at });
  });
});

/** A deterministic shuffle (Fisher-Yates driven by a small LCG seeded by fast-check). */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pickFields(s: CardState) {
  return Object.fromEntries(FIELD_NAMES.map((f) => [f, s[f]]));
}
