import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_BOARDS } from "../lib/demo/plan";
import type { Board, Card } from "../lib/protocol";
import { seedDemoDeployment } from "./demo";
import { ok, startCluster, type TestCluster } from "./test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe("--demo / CONCORD_DEMO=1 (issue 16)", () => {
  it("on a deployment without boards makes every demo board and its cards through the socket, open to everyone; never twice", async () => {
    const node = cluster.nodes[0]!;
    const catalog = cluster.dbs.catalogSql;
    const boardCount = async () => Number((await catalog<{ n: string }[]>`SELECT count(*) AS n FROM boards`)[0]?.n ?? 0);
    expect(await seedDemoDeployment({ url: cluster.url, sessions: node.sessions, boardCount })).toBe(DEMO_BOARDS.length);

    // Someone else signs in and sees them, each with its cards, written to its change log (FEED-1).
    const s = await cluster.connect((await cluster.signIn("newcomer")).token);
    const { boards } = await ok<{ boards: Board[] }>(s, "board:list", {});
    for (const demo of DEMO_BOARDS) {
      const board = boards.find((b) => b.name === demo.name);
      expect(board, demo.name).toMatchObject({ policy: demo.policy, shard: demo.shard, visibility: "open" });
      expect(board!.seq).toBe(demo.cards.length);
      const joined = await ok<{ cards: Card[] }>(s, "board:join", { boardId: board!.id });
      expect(joined.cards.map((c) => c.title).sort()).toEqual(demo.cards.map((c) => c.title).sort());
    }

    // A second start over the same data makes nothing.
    expect(await seedDemoDeployment({ url: cluster.url, sessions: node.sessions, boardCount })).toBe(0);
    expect(await boardCount()).toBe(DEMO_BOARDS.length);
  });
});
