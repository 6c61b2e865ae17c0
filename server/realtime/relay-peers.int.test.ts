import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import type { Board, Change } from "../../lib/protocol";
import { mid, ok, startCluster, type TestCluster } from "../test/harness";

/**
 * SPEC PERF-3: relays go through the adapter only to other nodes. A node alone (the Postgres
 * adapter has heard no other node's heartbeat) sends none, so a write costs no `pg_notify` and no
 * NOTIFY traffic on the catalog; with a second node every change reaches it at once, not only
 * through the REPL-2 repair. Until no other node was heard for `relayAloneAfterMs` (6 s: more than
 * a heartbeat's interval), a node relays anyway.
 */
const SERVER_SIDE_EMIT = 9; // socket.io-adapter's cluster message type for serverSideEmit

let cluster: TestCluster | null = null;
let second: TestCluster | null = null;
let listener: postgres.Sql | null = null;
afterEach(async () => {
  await listener?.end();
  await second?.close();
  await cluster?.close();
  listener = null;
  second = null;
  cluster = null;
});

/** The adapter's messages on the catalog, by type, from now on. */
async function adapterTraffic(catalogUrl: string): Promise<number[]> {
  const types: number[] = [];
  listener = postgres(catalogUrl, { max: 1, onnotice: () => {} });
  await listener.listen("socket.io#/", (payload) => types.push((JSON.parse(payload) as { type: number }).type));
  return types;
}

async function writeFive(c: TestCluster, node: number): Promise<{ board: Board }> {
  const s = await c.connect((await c.signIn("writer")).token, { node });
  const { board } = await ok<{ board: Board }>(s, "board:create", { name: "relays", policy: "lww" });
  await ok(s, "board:join", { boardId: board.id });
  for (let i = 0; i < 5; i++) await ok(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `card ${i}` } });
  return { board };
}

describe("PERF-3 relays only to other nodes", () => {
  it("a node alone on the Postgres adapter relays nothing", async () => {
    cluster = await startCluster({ nodes: 1, adapter: "postgres", node: { relayAloneAfterMs: 300 } });
    await new Promise((r) => setTimeout(r, 400));
    const types = await adapterTraffic(cluster.catalogUrl);
    await writeFive(cluster, 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(types.filter((t) => t === SERVER_SIDE_EMIT)).toEqual([]);
  });

  it("with a second node, every change is relayed to it at once", async () => {
    cluster = await startCluster({ nodes: 2, node: { relayRepairMs: 60_000, relayAloneAfterMs: 300 } }); // no repair to fall back on
    await new Promise((r) => setTimeout(r, 400)); // past the start's grace: relays go because node 1 is known
    const types = await adapterTraffic(cluster.catalogUrl);
    const s = await cluster.connect((await cluster.signIn("writer")).token, { node: 0 });
    const other = await cluster.connect((await cluster.signIn("reader")).token, { node: 1 });
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "relays", policy: "lww" });
    await ok(other, "board:join", { boardId: board.id });
    const seen: number[] = [];
    other.on("change", (c: Change) => seen.push(c.seq));
    for (let i = 0; i < 5; i++) await ok(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `card ${i}` } });
    await expect.poll(() => seen, { timeout: 2_000 }).toEqual([1, 2, 3, 4, 5]);
    expect(types.filter((t) => t === SERVER_SIDE_EMIT).length).toBeGreaterThan(0);
  });
});

describe("PERF-3 with FEED-2: a node that stopped relaying, and a second node that starts while it writes", () => {
  it("the new node's socket, joined at once, gets every change after its join, in order, none missing", async () => {
    cluster = await startCluster({ nodes: 1, adapter: "postgres", node: { relayAloneAfterMs: 200, relayRepairMs: 500 } });
    const s = await cluster.connect((await cluster.signIn("writer")).token);
    const { board } = await ok<{ board: Board }>(s, "board:create", { name: "a node joins", policy: "lww" });
    await new Promise((r) => setTimeout(r, 300)); // alone past the grace: node 0 relays nothing now
    // Node 0 writes without pause while node 1 starts on the same databases (a deployment scaling out).
    let writing = true;
    let last = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) last = (await ok<{ seq: number }>(s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `w${i}` } })).seq;
    })();
    second = await startCluster({
      databases: { catalogUrl: cluster.catalogUrl, shardUrls: cluster.shardUrls },
      nodes: 1,
      adapter: "postgres",
      node: { relayAloneAfterMs: 200, relayRepairMs: 500 },
    });
    const other = await second.connect((await second.signIn("reader")).token);
    const seen: number[] = [];
    other.on("change", (c: Change) => seen.push(c.seq));
    const joined = await ok<{ seq: number }>(other, "board:join", { boardId: board.id });
    await new Promise((r) => setTimeout(r, 1_000));
    writing = false;
    await writer;
    const expected = Array.from({ length: last - joined.seq }, (_, i) => joined.seq + 1 + i);
    expect(expected.length).toBeGreaterThan(0);
    // Relayed once node 0 hears node 1, repaired from the log (REPL-2) for anything before: never lost.
    await expect.poll(() => [...new Set(seen)].filter((q) => q > joined.seq).sort((x, y) => x - y), { timeout: 5_000 }).toEqual(expected);
  });
});
