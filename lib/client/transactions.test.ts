import { describe, expect, it } from "vitest";
import type { TxStepBroadcast } from "../protocol";
import { ClientStore, initialState } from "./store";
import { Transactions } from "./transactions";
import type { PendingMove } from "./types";

const move = (attempts: number): PendingMove => ({
  kind: "move", mutationId: "m1", boardId: "b_a", cardId: "c1", toBoardId: "b_b", baseVersion: 2, createdAt: "2030-01-01T00:00:00.000Z", attempts, order: 1,
});
const step = (txId: string, s: Partial<TxStepBroadcast> & Pick<TxStepBroadcast, "kind">, by: "coordinator" | "recovery" = "coordinator") =>
  ({ txId, by, at: "2030-01-01T00:00:01.000Z", cardId: "c1", fromBoardId: "b_a", toBoardId: "b_b", shards: ["a", "b"], ...s }) as TxStepBroadcast;

describe("Transactions (SPEC TX-10: one phase timeline per move, from the tab's send to its answer)", () => {
  it("shows a move at once when sent, gathers every step of both transactions of a crash and replay, and ends with the answer", () => {
    const store = new ClientStore(initialState({ id: "u1", name: "Ada" }, "tab-1"));
    const t = new Transactions(store, () => Date.parse("2030-01-01T00:00:00.500Z"));
    t.sent(move(1));
    expect(store.get().moves).toMatchObject([{ cardId: "c1", entries: [{ kind: "sent", attempt: 1 }] }]);
    expect(store.get().moves[0]!.outcome).toBeUndefined();
    t.step(step("tx_1", { kind: "log", state: "preparing" }));
    t.step(step("tx_1", { kind: "part", shard: "a", state: "prepared" }));
    t.step(step("tx_1", { kind: "crash", after: "prepare", recoveryInMs: 10_500 }));
    t.answered(move(1), { kind: "timeout" });
    t.sent(move(2));
    t.step(step("tx_1", { kind: "log", state: "aborted" }, "recovery"));
    t.step(step("tx_2", { kind: "log", state: "committed" }));
    t.answered(move(2), { kind: "ok", txId: "tx_2" });
    const [tl] = store.get().moves;
    expect(store.get().moves).toHaveLength(1);
    expect(tl!.txIds).toEqual(["tx_1", "tx_2"]);
    expect(tl!.outcome).toBe("moved");
    expect(tl!.entries.map((e) => `${e.by}:${e.kind}`)).toEqual([
      "tab:sent", "coordinator:log", "coordinator:part", "coordinator:crash", "tab:no-answer", "tab:sent", "recovery:log", "coordinator:log", "tab:answer",
    ]);
    expect(tl!.entries[3]).toMatchObject({ kind: "crash", recoveryAt: "2030-01-01T00:00:11.500Z" });
    // A late step of a finished move joins its own timeline, not a new one.
    t.step(step("tx_2", { kind: "part", shard: "b", state: "committed" }));
    expect(store.get().moves).toHaveLength(1);
    // A refused move ends its timeline as refused; the next move of the card gets its own.
    t.sent({ ...move(1), mutationId: "m2" });
    t.answered({ ...move(1), mutationId: "m2" }, { kind: "error", error: { code: "LOCKED", message: "locked" } });
    expect(store.get().moves.map((m) => m.outcome)).toEqual(["moved", "refused"]);
  });
});
