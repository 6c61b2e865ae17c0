import { afterAll, beforeAll, expect, it } from "vitest";
import type { Board, Card } from "../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster } from "./test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** One scrape of GET /metrics: sample name with labels → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${cluster.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const moved = (before: Map<string, number>, after: Map<string, number>, name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

it("GET /metrics counts real writes, conflicts, acks, batches, fan-out, sockets, catch-up, 2PC outcomes and lease grants", async () => {
  const before = await scrape();
  const { token } = await cluster.signIn("watcher");
  const a = await cluster.connect(token);
  const b = await cluster.connect(token);
  const { board } = await ok<{ board: Board }>(a, "board:create", { name: "watched", policy: "occ", shard: "a" });
  const { board: other } = await ok<{ board: Board }>(a, "board:create", { name: "elsewhere", policy: "occ", shard: "b" });
  await ok(a, "board:join", { boardId: board.id });
  await ok(b, "board:join", { boardId: board.id });
  const { card } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "x" } });
  await ok(a, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { estimate: 1 } });
  const conflict = await request(a, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { estimate: 2 } });
  expect(!conflict.ok && conflict.error.code).toBe("CONFLICT");
  const { card: second } = await ok<{ card: Card }>(a, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "y" } });
  await ok(b, "board:join", { boardId: board.id, since: 0 });
  await ok(a, "lock:acquire", { cardId: card.id });
  await ok(a, "card:move", { mutationId: mid(), cardId: second.id, toBoardId: other.id, baseVersion: 1 });
  const after = await scrape();

  expect(moved(before, after, 'concord_writes_total{outcome="applied"}')).toBe(3);
  expect(moved(before, after, 'concord_writes_total{outcome="conflict"}')).toBe(1);
  expect(moved(before, after, "concord_conflicts_total")).toBe(1);
  expect(moved(before, after, 'concord_ack_seconds_count{event="card:update"}')).toBe(2);
  expect(after.get('concord_ack_seconds_bucket{le="+Inf",event="card:update"}')).toBe(after.get('concord_ack_seconds_count{event="card:update"}'));
  expect(moved(before, after, "concord_batch_writes_count")).toBeGreaterThanOrEqual(4);
  expect(moved(before, after, "concord_batch_writes_sum")).toBeGreaterThanOrEqual(4);
  // SPEC PERF-7: the first create reads first (a board this node never wrote), the update and the
  // second create go in one trip, the conflict is answered on fresh reads (two trips).
  expect(moved(before, after, 'concord_batch_trips_total{trips="1"}')).toBe(2);
  expect(moved(before, after, 'concord_batch_trips_total{trips="2"}')).toBe(2);
  expect(moved(before, after, 'concord_batch_trips_total{trips="again"}')).toBe(0);
  // Each change went to the board's two sockets.
  expect(moved(before, after, 'concord_broadcast_fanout_sockets_sum{event="change"}')).toBeGreaterThanOrEqual(2 * 3);
  expect(after.get("concord_connected_sockets")).toBeGreaterThanOrEqual(2);
  expect(moved(before, after, 'concord_catch_up_items_count{kind="changes"}')).toBe(1);
  expect(moved(before, after, 'concord_catch_up_items_sum{kind="changes"}')).toBe(3);
  expect(moved(before, after, 'concord_catch_up_items_count{kind="cards"}')).toBe(2);
  expect(moved(before, after, 'concord_lease_grants_total{kind="acquire"}')).toBe(1);
  expect(moved(before, after, 'concord_2pc_total{outcome="committed"}')).toBe(1);
  expect(after.get("concord_lane_queue_depth")).toBe(0);
  expect(after.get("concord_process_resident_memory_bytes")).toBeGreaterThan(0);
  a.disconnect();
  b.disconnect();
});
