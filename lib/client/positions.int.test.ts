import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../../server/test/harness";
import type { Board, Card, Policy, Status } from "../protocol";
import { comparePlaced, placeAt } from "./positions";
import type { SyncClient } from "./sync-client";
import { idle, TestClients, waitFor } from "./test-clients";

/**
 * SPEC POS-1..POS-3: card order is a `position` field holding a fractional index. Concurrent
 * drops resolve under the board's policy like any other field, and every tab shows the order the
 * database holds. Real server, real sockets, real SyncClients.
 */

let cluster: TestCluster;
let observer: TestSocket;
const tabs = new TestClients(() => cluster);

beforeAll(async () => {
  cluster = await startCluster();
  observer = await cluster.connect((await cluster.signIn("observer")).token);
});
afterEach(() => tabs.closeAll());
afterAll(async () => {
  await cluster?.close();
});

/** A column's card ids in display order, as `c` shows them (confirmed state). */
function column(c: SyncClient, boardId: string, status: Status): Card[] {
  return Object.values(c.getSnapshot().boards[boardId]?.confirmed ?? {})
    .filter((x) => x.status === status)
    .sort(comparePlaced);
}

/** Sends the writes that drop `cardId` at `index` of `status`, as the board UI does. */
function drop(c: SyncClient, boardId: string, cardId: string, status: Status, index: number): void {
  const others = column(c, boardId, status).filter((x) => x.id !== cardId);
  for (const w of placeAt(others, index, cardId)) {
    c.updateCard(w.id, w.id === cardId ? { status, position: w.position } : { position: w.position });
  }
}

/** Waits until every tab is idle at the database's seq; answers the database's cards. */
async function settle(boardId: string, ...cs: SyncClient[]): Promise<Card[]> {
  await waitFor(() => cs.every((c) => idle(c.getSnapshot())), "every tab idle");
  const truth = await ok<{ seq: number; cards: Card[] }>(observer, "board:join", { boardId });
  await waitFor(() => cs.every((c) => c.getSnapshot().boards[boardId]?.seq === truth.seq), `every tab at seq ${truth.seq}`);
  return truth.cards;
}

const order = (cards: Card[], status: Status) => cards.filter((c) => c.status === status).sort(comparePlaced).map((c) => c.title);
const titles = (c: SyncClient, boardId: string, status: Status) => column(c, boardId, status).map((x) => x.title);

async function boardWith(policy: Policy, ...names: string[]): Promise<{ alice: SyncClient; bob: SyncClient; board: Board; ids: Record<string, string> }> {
  const alice = await tabs.signIn("alice");
  const bob = await tabs.signIn("bob");
  const board = await alice.createBoard({ name: `pos-${policy}`, policy });
  await alice.joinBoard(board.id);
  await bob.joinBoard(board.id);
  const ids: Record<string, string> = {};
  names.forEach((n, i) => (ids[n] = alice.createCard(board.id, { title: n, status: "todo", position: `a${i}` })));
  await settle(board.id, alice, bob);
  return { alice, bob, board, ids };
}

describe.each(["occ", "lww", "mvr"] as const)("POS-2 on a %s board", (policy) => {
  it("two tabs dropping two cards on the same spot at once converge to one order, and a later drop between them lands there", async () => {
    const { alice, bob, board, ids } = await boardWith(policy, "A", "B", "C", "D");
    // Both tabs see A B C D and, at once, alice drops C and bob drops D between A and B.
    drop(alice, board.id, ids.C!, "todo", 1);
    drop(bob, board.id, ids.D!, "todo", 1);
    let truth = await settle(board.id, alice, bob);
    const stored = order(truth, "todo");
    expect(stored[0]).toBe("A");
    expect(stored.slice(1, 3).sort()).toEqual(["C", "D"]);
    expect(stored[3]).toBe("B");
    expect(titles(alice, board.id, "todo")).toEqual(stored);
    expect(titles(bob, board.id, "todo")).toEqual(stored);

    // C and D now share a key; dropping B between them re-keys what it must (POS-2).
    drop(bob, board.id, ids.B!, "todo", 2);
    truth = await settle(board.id, alice, bob);
    const after = order(truth, "todo");
    expect(after).toEqual(["A", stored[1], "B", stored[2]]);
    expect(titles(alice, board.id, "todo")).toEqual(after);
    expect(titles(bob, board.id, "todo")).toEqual(after);
  });

  it("two tabs moving one card to different columns at once resolve it by the board's policy, and both show the same", async () => {
    const { alice, bob, board, ids } = await boardWith(policy, "A", "B");
    drop(alice, board.id, ids.A!, "doing", 0);
    drop(bob, board.id, ids.A!, "done", 0);
    if (policy === "occ") {
      // OCC-2: whichever write arrived second was based on a stale status/position: a conflict, not a silent overwrite.
      await waitFor(() => alice.getSnapshot().conflicts.length + bob.getSnapshot().conflicts.length === 1, "one conflict");
      const loser = alice.getSnapshot().conflicts.length ? alice : bob;
      expect(loser.getSnapshot().conflicts[0]!.fields.sort()).toEqual(["position", "status"]);
      loser.discardConflict(loser.getSnapshot().conflicts[0]!.id);
    }
    const truth = await settle(board.id, alice, bob);
    const a = truth.find((c) => c.id === ids.A)!;
    for (const tab of [alice, bob]) {
      const mine = tab.getSnapshot().boards[board.id]!.confirmed[ids.A!]!;
      expect({ status: mine.status, position: mine.position, siblings: mine.siblings }).toEqual({ status: a.status, position: a.position, siblings: a.siblings });
    }
    if (policy === "mvr") {
      // MVR-1: neither move is dropped; both wait as siblings until a person picks one.
      expect(a.siblings?.status?.map((s) => s.value).sort()).toEqual(["doing", "done"]);
      expect(a.siblings?.position).toHaveLength(2);
    } else {
      expect(["doing", "done"]).toContain(a.status);
    }
  });
});

describe("POS-1 a position is a fractional index: 1..64 characters of 0-9, A-Z, a-z", () => {
  it("refuses a position outside the alphabet with BAD_REQUEST naming the field, and changes nothing", async () => {
    const s = await cluster.connect((await cluster.signIn("eve")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "alphabet", policy: "occ" });
    const { card, seq } = await ok<{ card: Card; seq: number }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t", position: "a0" } });
    for (const position of ["", "a 0", "a-1", "a0.5", "é", "a0\u0001", "Z".repeat(65)]) {
      const created = await request(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "x", position } });
      expect(!created.ok && created.error.code).toBe("BAD_REQUEST");
      expect(!created.ok && JSON.stringify(created.error.details)).toContain("fields.position");
      const updated = await request(s, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: card.version, patch: { position } });
      expect(!updated.ok && updated.error.code).toBe("BAD_REQUEST");
      expect(!updated.ok && JSON.stringify(updated.error.details)).toContain("patch.position");
    }
    const after = await ok<{ seq: number; cards: Card[] }>(s, "board:join", { boardId: board.id });
    expect(after.seq).toBe(seq);
    expect(after.cards).toEqual([card]);
  });
});
