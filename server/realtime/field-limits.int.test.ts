import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe("INPUT-4 field limits are refused, never cut", () => {
  it("a negative estimate, a 201-character title, a 33-character tag and a 21st tag are BAD_REQUEST naming the field; nothing changes", async () => {
    const s = await cluster.connect((await cluster.signIn("limits")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "limits", policy: "lww" });
    const { card, seq } = await ok<{ card: Card; seq: number }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t", estimate: 3 } });
    const bad: [string, Record<string, unknown>][] = [
      ["estimate", { estimate: -5 }],
      ["estimate", { estimate: 1.5 }],
      ["title", { title: "x".repeat(201) }],
      ["tags.0", { tags: ["y".repeat(33)] }],
      ["tags", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }],
    ];
    for (const [field, values] of bad) {
      const created = await request(s, "card:create", { mutationId: mid(), boardId: board.id, fields: values });
      expect(!created.ok && created.error.code, field).toBe("BAD_REQUEST");
      expect(!created.ok && JSON.stringify(created.error.details), field).toContain(`fields.${field}`);
      const updated = await request(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: values });
      expect(!updated.ok && updated.error.code, field).toBe("BAD_REQUEST");
      expect(!updated.ok && JSON.stringify(updated.error.details), field).toContain(`patch.${field}`);
    }
    const after = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: board.id });
    expect(after.seq).toBe(seq);
    expect(after.cards).toEqual([card]);
    // 0 and exactly the limits are fine.
    await ok(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { estimate: 0, title: "x".repeat(200), tags: ["y".repeat(32)] } });
  });
});
