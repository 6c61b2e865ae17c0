import { describe, expect, it } from "vitest";
import type { Board } from "../protocol";
import { fieldsSchema } from "../protocol";
import { DEMO_BOARDS, DEMO_PREFIX, demoOf, findDemoBoard, TECHNIQUE_DEMO, TECHNIQUES } from "./plan";
import { seedDemos, type DemoWriter } from "./seed";

describe("demo plan (issue 16: Try the demos)", () => {
  it("names every demo board uniquely with the prefix, and every card title uniquely on its board", () => {
    const names = DEMO_BOARDS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of DEMO_BOARDS) {
      expect(d.name.startsWith(DEMO_PREFIX)).toBe(true);
      const titles = d.cards.map((c) => c.title);
      expect(new Set(titles).size).toBe(titles.length);
      for (const c of d.cards) expect(fieldsSchema.partial().strict().safeParse(c).success).toBe(true);
    }
  });

  it("has an occ, an lww and an mvr board, a move pair on shards a and b, and a card to lock", () => {
    const byKey = new Map(DEMO_BOARDS.map((d) => [d.key, d]));
    expect(byKey.get("occ")?.policy).toBe("occ");
    expect(byKey.get("lww")?.policy).toBe("lww");
    expect(byKey.get("mvr")?.policy).toBe("mvr");
    expect([byKey.get("moves-a")?.shard, byKey.get("moves-b")?.shard]).toEqual(["a", "b"]);
    expect(byKey.get("lock")?.cards.some((c) => c.title === "Lock me")).toBe(true);
    for (const t of TECHNIQUES) expect(byKey.has(TECHNIQUE_DEMO[t])).toBe(true);
  });

  it("finds a demo board by name, the person's own before anyone else's", () => {
    const theirs = { name: "Demo · LWW race", ownerId: "u_demo" };
    const mine = { name: "Demo · LWW race", ownerId: "u_me" };
    expect(findDemoBoard([theirs, mine], "lww", "u_me")).toBe(mine);
    expect(findDemoBoard([theirs], "lww", "u_me")).toBe(theirs);
    expect(findDemoBoard([theirs], "occ", "u_me")).toBeUndefined();
    expect(demoOf({ name: "Demo · MVR siblings" })?.key).toBe("mvr");
    expect(demoOf({ name: "Demo · MVR siblings (copy)" })).toBeUndefined();
  });

  it("seeds every board then its cards, in plan order; a shard the server lacks falls back to its choice", async () => {
    const calls: string[] = [];
    const writer: DemoWriter = {
      createBoard: async (input) => {
        if (input.shard === "b") throw Object.assign(new Error("unknown shard"), { code: "BAD_REQUEST" });
        calls.push(`board ${input.name} ${input.shard ?? "-"} ${input.visibility}`);
        return { id: `b_${calls.length}`, name: input.name, policy: input.policy, shard: input.shard ?? "a", visibility: input.visibility, ownerId: "u", seq: 0 } satisfies Board;
      },
      createCard: async (board, fields) => void calls.push(`card ${board.id} ${fields.title}`),
    };
    const boards = await seedDemos(writer, "private");
    expect(boards.map((b) => b.name)).toEqual(DEMO_BOARDS.map((d) => d.name));
    expect(calls.filter((c) => c.startsWith("board")).length).toBe(DEMO_BOARDS.length);
    expect(calls).toContain("board Demo · MVR siblings - private");
    expect(calls.filter((c) => c.startsWith("card")).length).toBe(DEMO_BOARDS.reduce((n, d) => n + d.cards.length, 0));
  });
});
