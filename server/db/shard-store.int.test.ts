import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card } from "../../lib/protocol";
import { gidOf } from "../services/moves";
import { mid, ok, startCluster, type TestCluster } from "../test/harness";
import { FREE_CONNECTIONS } from "./shard-store";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe("TX-2 one pool per shard", () => {
  it("a decided COMMIT PREPARED goes through while more transactions than the pool holds wait for the locks it holds", async () => {
    const { token } = await cluster.signIn("pool");
    const s = await cluster.connect(token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "pool", policy: "occ", shard: "a" });
    const { card } = await ok<{ card: Card }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "held" } });
    const store = cluster.dbs.shards.get("a")!;
    const gid = gidOf(`tx_${randomUUID()}`, "a");
    // A prepared part holding the card's row lock, as a move's part does until its decision.
    await store.transaction(async (tx) => {
      await tx`SELECT 1 FROM cards WHERE id = ${card.id} FOR UPDATE`;
    }, { prepare: gid });
    // Twice the pool's size of transactions that wait for that lock (writes, move parts, fence raises).
    const poolSize = (store.sql.options as { max: number }).max;
    expect(poolSize).toBeGreaterThan(FREE_CONNECTIONS);
    const waiters = Array.from({ length: poolSize * 2 }, () =>
      store.transaction(async (tx) => {
        await tx`SELECT 1 FROM cards WHERE id = ${card.id} FOR UPDATE`;
      }),
    );
    await new Promise((r) => setTimeout(r, 300)); // let them reach the lock
    const committed = store.finishPrepared(gid, "COMMIT").then(() => "committed");
    const stuck = new Promise((r) => setTimeout(() => r("still queued after 5 s"), 5_000));
    expect(await Promise.race([committed, stuck])).toBe("committed");
    await Promise.all(waiters);
    const [p] = await store.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid = ${gid}`;
    expect(p!.n).toBe(0);
  });
});
