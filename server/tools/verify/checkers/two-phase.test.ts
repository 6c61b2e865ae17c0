import { describe, expect, it } from "vitest";
import type { DbDump } from "../history";
import { checkTwoPhase } from "./two-phase";
import { HistoryBuilder, ok } from "./fixtures";

function dump(): DbDump {
  return {
    shards: {
      a: { cards: [{ id: "c_1", boardId: "ba", version: 1, fence: 0 }], heads: [], changes: [], applied: [], prepared: [] },
      b: { cards: [], heads: [], changes: [], applied: [{ mutationId: "m1", cardId: "c_2", result: { txId: "tx_1" } }], prepared: [] },
    },
    txLog: [{ txId: "tx_1", state: "committed", mutationId: "m1", from: "ba", to: "bb" }],
    cardIds: [{ cardId: "c_1", boardId: "ba" }],
    leases: [],
  };
}

describe("2PC checker (TX-2, TX-4, TX-6)", () => {
  const base = () => {
    const h = new HistoryBuilder();
    h.final.boards = [{ id: "ba", policy: "occ", shard: "a" }, { id: "bb", policy: "occ", shard: "b" }];
    h.final.db = dump();
    return h;
  };
  it("accepts a consistent end state", () => {
    expect(checkTwoPhase(base().parsed()).violations).toEqual([]);
  });
  it("reports a card on two shards", () => {
    const h = base();
    h.final.db!.shards.b!.cards.push({ id: "c_1", boardId: "bb", version: 2, fence: 0 });
    expect(checkTwoPhase(h.parsed()).violations.map((v) => v.message).join()).toMatch(/c_1 is on 2 shards/);
  });
  it("reports a prepared transaction left and an undecided log entry", () => {
    const h = base();
    h.final.db!.shards.a!.prepared.push("concord:tx_2:a");
    h.final.db!.txLog.push({ txId: "tx_2", state: "prepared", mutationId: "m2", from: "ba", to: "bb" });
    const msgs = checkTwoPhase(h.parsed()).violations.map((v) => v.message);
    expect(msgs).toHaveLength(2);
  });
  it("reports a committed transaction whose result no shard holds, and an acked move the log aborted", () => {
    const h = base();
    h.final.db!.shards.b!.applied = [];
    h.final.db!.txLog.push({ txId: "tx_3", state: "aborted", mutationId: "m3", from: "ba", to: "bb" });
    const id = h.op("move", { cardId: "c_3", boardId: "ba", mutationId: "m3", req: { toBoardId: "bb", baseVersion: 1 } }, 0, 10, ok({ txId: "tx_3", seq: 1, fromSeq: 2 }));
    const out = checkTwoPhase(h.parsed());
    expect(out.violations).toHaveLength(2);
    expect(out.violations.find((v) => v.ops.length > 0)!.ops).toEqual([id]);
  });
});
