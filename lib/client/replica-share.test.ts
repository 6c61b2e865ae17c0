import { describe, expect, it } from "vitest";
import type { Board, Card } from "../protocol";
import { livePeers, PEER_TTL_MS, seenBy, summarize, writesToCompare, type ReplicaSummary } from "./replica-share";
import { initialState } from "./store";
import type { ClientState, InspectorEvent } from "./types";

const board: Board = { id: "b1", name: "Roadmap", policy: "mvr", shard: "a", visibility: "open", ownerId: "u1", seq: 0 };
const card = (id: string, version: number): Card => ({
  id, boardId: "b1", version, title: `T ${id}`, body: "", status: "todo", position: "a", tags: [], estimate: null,
  fieldVersions: { title: version, body: 1, status: 1, position: 1, tags: 1, estimate: 1 }, updatedAt: "", updatedBy: "u1",
  clock: { "tab-aaaaaaaa": version }, siblings: { title: [{ value: "x", by: "u1", clock: {} }, { value: "y", by: "u2", clock: {} }] },
});
const changeEvent = (seq: number, mutationId: string): InspectorEvent => ({
  at: "", direction: "in", event: "change", summary: "",
  trace: { type: "change", boardId: "b1", seq, cardId: "c1", mutationId, by: "u1", deleted: false },
});

function state(seq: number, more: Partial<ClientState> = {}): ClientState {
  return {
    ...initialState({ id: "u1", name: "Ada" }, "tab-aaaaaaaa"),
    user: { id: "u1", name: "Ada" },
    boards: { b1: { board, seq, confirmed: { c1: card("c1", 3) }, cards: {}, highlights: {}, locks: {}, presence: [], presenceTotal: 0 } },
    ...more,
  };
}

describe("INSP-2 replica summaries shared between tabs", () => {
  it("a summary holds the cursor, HLC, outbox, each card's version and clocks, and the changes seen (each once)", () => {
    const s = summarize(state(5, { events: [changeEvent(4, "m4"), changeEvent(5, "m5"), changeEvent(5, "m5")] }), "hlc-1", 42);
    expect(s).toMatchObject({ replicaId: "tab-aaaaaaaa", user: { name: "Ada" }, hlc: "hlc-1", at: 42, boards: { b1: { name: "Roadmap", seq: 5 } } });
    expect(s.cards.c1).toEqual({ boardId: "b1", title: "T c1", version: 3, clock: { "tab-aaaaaaaa": 3 }, siblings: 1 });
    expect(s.writes.map((w) => [w.mutationId, w.seq])).toEqual([["m4", 4], ["m5", 5]]);
  });

  it("a tab has seen a write exactly when its cursor is at the write's seq or past it; its own unacknowledged write is pending", () => {
    const ahead = summarize(state(5), "", 0);
    const behind = summarize(state(3), "", 0);
    const author = summarize(state(3, { pending: [{ kind: "update", mutationId: "m5", boardId: "b1", cardId: "c1", createdAt: "", attempts: 1, order: 0, patch: { title: "z" }, baseVersion: 3 }] }), "", 0);
    const write = { mutationId: "m5", boardId: "b1", cardId: "c1", seq: 5, by: "u1" };
    expect(seenBy(ahead, write)).toEqual({ state: "seen", seq: 5 });
    expect(seenBy(behind, write)).toEqual({ state: "not-yet", cursor: 3 });
    expect(seenBy(author, write)).toEqual({ state: "pending", attempts: 1 });
    expect(seenBy(author, { mutationId: "m5", boardId: "b1" })).toEqual({ state: "pending", attempts: 1 });
    expect(seenBy(ahead, { ...write, boardId: "b2" })).toEqual({ state: "not-joined" });
    // Once the author's cursor passes the write, it has seen it, outbox or not.
    expect(seenBy({ ...author, boards: { b1: { name: "Roadmap", seq: 5 } } }, write)).toEqual({ state: "seen", seq: 5 });
  });

  it("the writes compared are every tab's recent changes by seq, then pending ones; peers expire", () => {
    const a = summarize(state(5, { events: [changeEvent(5, "m5")] }), "", 0);
    const b: ReplicaSummary = {
      ...summarize(state(4, { events: [changeEvent(4, "m4")] }), "", 0),
      replicaId: "tab-bbbbbbbb",
      pending: [{ mutationId: "m9", boardId: "b1", cardId: "c1", kind: "update", attempts: 0 }],
    };
    expect(writesToCompare([a, b], "b1").map((w) => w.mutationId)).toEqual(["m4", "m5", "m9"]);
    expect(writesToCompare([a, b], "b1", 2).map((w) => w.mutationId)).toEqual(["m5", "m9"]);
    expect(livePeers([a, { ...b, at: 1_000 }], a.replicaId, 1_000 + PEER_TTL_MS - 1).map((p) => p.replicaId)).toEqual(["tab-bbbbbbbb"]);
    expect(livePeers([a, { ...b, at: 1_000 }], a.replicaId, 1_000 + PEER_TTL_MS)).toEqual([]);
  });
});
