import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startCluster, type TestCluster, type TestSocket } from "../../server/test/harness";
import type { Board, Card, Policy } from "../protocol";
import { SyncClient } from "./sync-client";
import { waitFor } from "./test-clients";

/**
 * SPEC FEED-4, IDEM-1, LWW-1, MVR-1: after any interleaving of edits, offline periods, lost
 * acks and killed sockets, every tab converges to the database's state once it is back online.
 * Real server, real sockets; fast-check chooses the interleaving.
 */

let cluster: TestCluster;
let observer: TestSocket;
const open: SyncClient[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  observer = await cluster.connect((await cluster.signIn("observer")).token);
});
afterAll(async () => {
  for (const c of open) c.close();
  await cluster?.close();
});


type Op =
  | { kind: "edit"; who: number; field: "title" | "body" | "estimate"; value: number }
  | { kind: "offline"; who: number }
  | { kind: "online"; who: number }
  | { kind: "dropAck"; who: number }
  | { kind: "kill"; who: number };

const TABS = 3;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("edit" as const), who: fc.nat(TABS - 1), field: fc.constantFrom("title" as const, "body" as const, "estimate" as const), value: fc.nat(999) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("offline" as const), who: fc.nat(TABS - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("online" as const), who: fc.nat(TABS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dropAck" as const), who: fc.nat(TABS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("kill" as const), who: fc.nat(TABS - 1) }) },
);

async function run(policy: Policy, ops: Op[]): Promise<void> {
  const tabs: SyncClient[] = [];
  for (let i = 0; i < TABS; i++) {
    const { token, user } = await cluster.signIn(`tab${i}`);
    const c = new SyncClient({ url: cluster.url, token, user, replicaId: `tab-${i}-${randomBytes(3).toString("hex")}`, io });
    open.push(c);
    tabs.push(c);
    c.connect();
  }
  const board = await tabs[0]!.createBoard({ name: `conv-${policy}`, policy });
  for (const t of tabs) await t.joinBoard(board.id);
  const cardId = tabs[0]!.createCard(board.id, { title: "start" });
  await waitFor(() => tabs.every((t) => !!t.getSnapshot().boards[board.id]?.confirmed[cardId]), "every tab has the card");

  for (const op of ops) {
    const t = tabs[op.who]!;
    if (op.kind === "edit") {
      t.updateCard(cardId, op.field === "estimate" ? { estimate: op.value } : { [op.field]: `${op.field} ${op.value} by tab${op.who}` });
    } else if (op.kind === "offline") t.setOffline(true);
    else if (op.kind === "online") t.setOffline(false);
    else if (op.kind === "dropAck") t.dropNextAck();
    else t.killSocket();
    // Let some operations overlap with in-flight traffic, others not.
    if (op.kind !== "edit" || op.value % 3 === 0) await new Promise((r) => setImmediate(r));
  }
  for (const t of tabs) t.setOffline(false);
  await waitFor(
    () => tabs.every((t) => t.getSnapshot().connection === "online" && t.getSnapshot().pending.length === 0),
    "every tab online with an empty outbox",
  );
  const truth = await ok<{ board: Board; seq: number; cards: Card[] }>(observer, "board:join", { boardId: board.id });
  await waitFor(() => tabs.every((t) => t.getSnapshot().boards[board.id]?.seq === truth.seq), `every tab at seq ${truth.seq}`);
  for (const t of tabs) {
    const b = t.getSnapshot().boards[board.id]!;
    expect(Object.values(b.confirmed)).toEqual(truth.cards);
    expect(Object.values(b.cards)).toEqual(truth.cards);
  }
  for (const t of tabs) t.close();
}

describe("convergence under random interleavings", () => {
  for (const policy of ["occ", "lww", "mvr"] as const) {
    it(`${policy}: every tab converges to the database`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), (ops) => run(policy, ops)),
        { numRuns: 20, endOnFailure: true },
      );
    }, 180_000);
  }
});
