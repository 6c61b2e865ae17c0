import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { freshDatabases, mid, request, startCluster, type TestCluster } from "../test/harness";
import { testPair } from "../test/standby-pair";

/**
 * SPEC STANDBY-5 with every node down: shard `a`'s primary dies while no node is running (a
 * restart of the whole app tier during the outage). Nodes must still start, the elected one must
 * fail over to the standby, and writes must resume: a node that refused to start without the
 * primary would leave nobody to promote the standby (verify found all three nodes stuck so).
 */
let pair: Awaited<ReturnType<typeof testPair>>;
let cluster: TestCluster | null = null;
let databases: Awaited<ReturnType<typeof freshDatabases>>;

beforeAll(async () => {
  pair = await testPair("concord_shard_a");
  databases = await freshDatabases("t", ["b"]); // the catalog outlives the nodes
});

afterAll(async () => {
  await cluster?.close();
  await pair?.stop();
  await databases?.drop();
});

describe("STANDBY-5 a node starts while a shard's primary is down", () => {
  it("starts on the standby's word, fails over, and takes writes", async () => {
    const urls = pair.urls;
    const replication = { mode: "sync" as const, pairs: { a: urls }, failoverAfterMs: 1_000 };
    // A first deployment sets the shard up (its migrations reach the standby through replication).
    const first = await startCluster({ databases, shardUrls: { a: urls[0] }, replication, node: { replicationWatchMs: 200 } });
    // Only a standby known to hold every acknowledged write is promoted (STANDBY-7).
    const ready = async () => ((await (await fetch(`${first.url}/api/health`)).json()) as { replication: { standbyReady: boolean }[] }).replication[0]!.standbyReady;
    const deadline = Date.now() + 15_000;
    while (!(await ready()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await ready()).toBe(true);
    await first.close();
    await pair.servers[0].kill();
    // Every node is down and the primary is gone: a node starts anyway.
    cluster = await startCluster({ databases, shardUrls: { a: urls[0] }, replication, node: { replicationWatchMs: 200 } });
    const s = await cluster.connect((await cluster.signIn("after")).token);
    let board: Board | null = null;
    const until = Date.now() + 20_000;
    while (!board && Date.now() < until) {
      const r = await request<{ board: Board }>(s, "board:create", { name: "after the failover", policy: "occ", shard: "a" });
      if (r.ok) board = r.board;
      else await new Promise((res) => setTimeout(res, 200));
    }
    expect(board).not.toBeNull();
    let card: Card | null = null;
    while (!card && Date.now() < until) {
      const r = await request<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board!.id, fields: { title: "written on the promoted standby" } });
      if (r.ok) card = r.card;
      else {
        expect(r.error.code).toBe("UNAVAILABLE");
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    expect(card?.title).toBe("written on the promoted standby");
    expect(cluster.dbs.shards.get("a")!.primaryIndex).toBe(1);
  });
});
