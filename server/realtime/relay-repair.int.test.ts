import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Change } from "../../lib/protocol";
import { mid, ok, startCluster, type TestCluster } from "../test/harness";

/**
 * SPEC REPL-2, with an injected fault: node 0 commits changes and dies (here: its relays are
 * dropped) before they reach node 1. Nobody writes again, so no gap ever shows node 1's sockets
 * they are behind: node 1 must notice by itself and send them the changes from the log.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, node: { relayRepairMs: 200 } });
});
afterAll(async () => {
  await cluster?.close();
});

/** concord_relay_repaired_total on one node. */
async function repaired(node: number): Promise<number> {
  const metrics = await (await fetch(`${cluster.urls[node]}/metrics`)).text();
  return Number(/^concord_relay_repaired_total (\d+)/m.exec(metrics)?.[1] ?? 0);
}

describe("REPL-2 a lost relay is repaired from the log", () => {
  it("sockets on the other node get every change, in order, though its relay never came and nobody wrote again", async () => {
    const alice = await cluster.signIn("alice");
    const bob = await cluster.signIn("bob");
    const a = await cluster.connect(alice.token, { node: 0 });
    const b = await cluster.connect(bob.token, { node: 1 });
    const batched = await cluster.connect(bob.token, { node: 1, batch: true });
    const { board } = await ok<{ board: Board }>(a, "board:create", { name: "lost relays", policy: "lww" });
    await ok(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "before" } });
    await ok(b, "board:join", { boardId: board.id });
    await ok(batched, "board:join", { boardId: board.id });
    const seen: number[] = [];
    const seenBatched: number[] = [];
    b.on("change", (c: Change) => seen.push(c.seq));
    batched.on("changes", (cs: Change[]) => seenBatched.push(...cs.map((c) => c.seq)));

    const io = cluster.nodes[0]!.io as unknown as { serverSideEmit: (...args: unknown[]) => boolean };
    const relay = io.serverSideEmit;
    io.serverSideEmit = () => true; // node 0 "dies" after each commit, before its relay leaves
    try {
      for (let i = 0; i < 3; i++) await ok(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `lost ${i}` } });
      // A tab joining node 1 now is answered at the head; the sockets already there are not.
      const late = await cluster.connect(bob.token, { node: 1 });
      expect((await ok<{ seq: number }>(late, "board:join", { boardId: board.id })).seq).toBe(4);
    } finally {
      io.serverSideEmit = relay;
    }
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual([2, 3, 4]);
    await expect.poll(() => seenBatched, { timeout: 5_000 }).toEqual([2, 3, 4]);
    // Once caught up nothing is sent twice, and a relay that does come is not repeated either.
    await ok(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "relayed" } });
    await new Promise((r) => setTimeout(r, 800));
    expect(seen).toEqual([2, 3, 4, 5]);
    expect(seenBatched).toEqual([2, 3, 4, 5]);
    expect(await repaired(1)).toBeGreaterThan(0);
  });

  it("a paged catch-up from seq 0, the first join of the board on its node, makes the node resend nothing to anyone", async () => {
    const { token } = await cluster.signIn("pager");
    const writer = await cluster.connect(token, { node: 0 });
    const { board } = await ok<{ board: Board }>(writer, "board:create", { name: "long log", policy: "occ" });
    // More than one 256 KiB page of changes.
    const body = "x".repeat(2_000);
    for (let i = 0; i < 160; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => ok(writer, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `c${i + j}`, body } })));
    }
    const before = await repaired(1);
    await new Promise((r) => setTimeout(r, 500)); // node 1 has no socket on the board: it forgets it
    // The first socket on node 1 asks for the whole log and stops after its first page.
    const pager = await cluster.connect(token, { node: 1 });
    const page = await ok<{ seq: number; more?: true }>(pager, "board:join", { boardId: board.id, since: 0 });
    expect(page.more).toBe(true);
    expect(page.seq).toBeLessThan(160);
    // Everyone else on node 1 is up to date; nobody writes.
    const watcher = await cluster.connect(token, { node: 1 });
    expect((await ok<{ seq: number }>(watcher, "board:join", { boardId: board.id })).seq).toBe(160);
    const resent: number[] = [];
    watcher.on("change", (c: Change) => resent.push(c.seq));
    await new Promise((r) => setTimeout(r, 1_000)); // five looks of the repair
    expect(resent).toEqual([]);
    expect(await repaired(1)).toBe(before);
  });
});

