import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Lock } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** Text Postgres refuses (NUL in text and jsonb) or cannot store as sent (a lone surrogate). */
const POISONS = { nul: "\u0000", "lone high surrogate": "\uD800", "lone low surrogate": "\uDC00" } as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every variant of `payload` with one string (a value, an array item or an object key) poisoned. */
function poisonedVariants(payload: Json, poison: string): { path: string; payload: Json }[] {
  const out: { path: string; payload: Json }[] = [];
  const walk = (value: Json, path: string, rebuild: (v: Json) => Json) => {
    if (typeof value === "string") {
      out.push({ path, payload: rebuild(`${value}${poison}`) });
      if (value.length > 0) out.push({ path: `${path} (start)`, payload: rebuild(`${poison}${value.slice(1)}`) });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, (v) => rebuild(value.map((x, j) => (j === i ? v : x)))));
    } else if (value && typeof value === "object") {
      for (const [k, item] of Object.entries(value)) {
        walk(item, `${path}.${k}`, (v) => rebuild({ ...value, [k]: v }));
        // A key is a string too (vector clock replica ids reach jsonb).
        if (path.endsWith("context")) {
          const renamed = Object.fromEntries(Object.entries(value).map(([kk, vv]) => [kk === k ? `${k}${poison}` : kk, vv]));
          out.push({ path: `${path}{key ${k}}`, payload: rebuild(renamed) });
        }
      }
    }
  };
  walk(payload, "", (v) => v);
  return out;
}

async function state(s: TestSocket, boards: Board[]) {
  const list = await ok<{ boards: Board[] }>(s, "board:list", {});
  const snaps = [];
  for (const b of boards) snaps.push(await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: b.id }));
  return { boards: list.boards.map((b) => ({ ...b })), snaps };
}

describe("INPUT-3 NUL and lone surrogates", () => {
  it("answer BAD_REQUEST in every string position of every request, change nothing, and the node keeps serving", async () => {
    const owner = await cluster.signIn("poison-owner");
    const s = await cluster.connect(owner.token, { replicaId: "tab-0badf00d" });
    const boards: Board[] = [];
    const cards: Card[] = [];
    for (const policy of ["occ", "lww", "mvr"] as const) {
      const { board } = await ok<{ board: Board }>(s, "board:create", { name: `poison ${policy}`, policy, shard: policy === "lww" ? "b" : "a" });
      const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t", tags: ["x"] } });
      boards.push(board);
      cards.push(card);
    }
    const { board: priv } = await ok<{ board: Board }>(s, "board:create", { name: "poison private", policy: "occ", visibility: "private" });
    boards.push(priv);
    const { code } = await ok<{ code: string }>(s, "board:invite", { boardId: priv.id });
    const { lock } = await ok<{ lock: Lock }>(s, "lock:acquire", { cardId: cards[0]!.id });
    const before = await state(s, boards);

    // Otherwise valid requests: each would reach the database if its poisoned string got past the schema.
    const requests = (i: number): [string, Json][] => {
      const board = boards[i]!;
      const card = cards[i]!;
      return [
        ["board:create", { name: "n", policy: "occ", shard: "a" }],
        ["board:join", { boardId: board.id }],
        ["board:leave", { boardId: board.id }],
        ["board:invite", { boardId: priv.id }],
        ["board:accept", { code }],
        ["card:create", { mutationId: mid(), boardId: board.id, cardId: `c_${mid().slice(2)}-0000`, fields: { title: "a", body: "b", position: "a1", tags: ["t"] } }],
        [
          "card:update",
          {
            mutationId: mid(),
            cardId: card.id,
            baseVersion: card.version,
            patch: { title: "a", body: "b", position: "a1", tags: ["t"] },
            ...(board.policy === "mvr" ? { context: { ...card.clock } } : {}),
          },
        ],
        ["card:delete", { mutationId: mid(), cardId: card.id, baseVersion: card.version }],
        ["card:move", { mutationId: mid(), cardId: card.id, toBoardId: boards[(i + 1) % 3]!.id, baseVersion: card.version }],
        ["card:history", { cardId: card.id }],
        ["lock:acquire", { cardId: card.id }],
        ["lock:renew", { cardId: cards[0]!.id, token: lock.token }],
        ["lock:release", { cardId: cards[0]!.id, token: lock.token }],
        ["presence:set", { boardId: board.id, cardId: card.id }],
      ];
    };

    const wrong: string[] = [];
    for (const [poisonName, poison] of Object.entries(POISONS)) {
      for (let i = 0; i < 3; i++) {
        for (const [event, payload] of requests(i)) {
          for (const v of poisonedVariants(payload, poison)) {
            const r = await request(s, event, v.payload);
            const got = r.ok ? "ok" : r.error.code;
            if (got !== "BAD_REQUEST") wrong.push(`${event} ${boards[i]!.policy} ${v.path} ${poisonName}: ${got}`);
          }
        }
      }
    }
    // A forged paging cursor (FEED-5) carrying poisoned text inside its opaque encoding.
    for (const [poisonName, poison] of Object.entries(POISONS)) {
      for (const forged of [
        { k: "cards", b: boards[0]!.id, s: 0, p: `a${poison}`, i: "x" },
        { k: "cards", b: boards[0]!.id, s: 0, p: "a", i: `x${poison}` },
        { k: "cards", b: `${boards[0]!.id}${poison}`, s: 0, p: "a", i: "x" },
      ]) {
        const cursor = Buffer.from(JSON.stringify(forged)).toString("base64url");
        const r = await request(s, "board:join", { boardId: boards[0]!.id, cursor });
        const got = r.ok ? "ok" : r.error.code;
        if (got !== "BAD_REQUEST") wrong.push(`board:join forged cursor ${JSON.stringify(forged)} ${poisonName}: ${got}`);
      }
    }
    expect(wrong).toEqual([]);

    // Signing in with such a name is refused too.
    for (const poison of Object.values(POISONS)) {
      const res = await fetch(`${cluster.url}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: `eve${poison}` }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    }

    // Nothing changed, and the node keeps serving (this socket and others).
    expect(await state(s, boards)).toEqual(before);
    const other = await cluster.connect((await cluster.signIn("after-poison")).token);
    await ok(other, "board:list", {});
    await ok(s, "card:update", { mutationId: mid(), cardId: cards[1]!.id, baseVersion: cards[1]!.version, patch: { title: "fine" } });
  });

  it("a fuzzed string with arbitrary code units either is accepted or answers BAD_REQUEST, never INTERNAL", async () => {
    const { token } = await cluster.signIn("unit-fuzzer");
    const s = await cluster.connect(token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "fuzz mvr", policy: "mvr" });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: {} });
    const units = fc.string({ unit: "binary", maxLength: 12 });
    const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }).map((a) => String.fromCharCode(...a));
    const text = fc.oneof(units, codeUnits);
    await fc.assert(
      fc.asyncProperty(text, text, fc.constantFrom("title", "body", "position", "mutationId", "cardId", "tag", "contextKey"), async (a, b, where) => {
        const value = `${a}${b}`;
        const payload = {
          mutationId: where === "mutationId" ? value || "x" : mid(),
          cardId: where === "cardId" ? value || "x" : card.id,
          baseVersion: 0,
          patch: where === "tag" ? { tags: [value || "x"] } : { [["title", "body", "position"].includes(where) ? where : "title"]: where === "title" || where === "body" || where === "position" ? value : "ok" },
          context: where === "contextKey" ? { [value || "x"]: 0 } : {},
        };
        const r = await request(s, "card:update", payload);
        if (!r.ok) expect(["BAD_REQUEST", "NOT_FOUND"], `${where} ${JSON.stringify(value)}`).toContain(r.error.code);
      }),
      { numRuns: 200 },
    );
    await ok(s, "board:list", {});
  });
});
