import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS, type Board, type Card, type PresenceUser } from "../../lib/protocol";
import { mid, ok, startCluster, type TestCluster, type TestSocket } from "../test/harness";

/**
 * SPEC PRES-1: presence is sent as deltas. A join, leave or focus is one small `presence:delta`
 * to the board (coalesced per tick), the full list (capped at LIMITS.presenceListed, with the
 * total) goes only to the joiner; sockets that did not opt in keep getting `presence`, capped.
 */

type Delta = { boardId: string; users: PresenceUser[]; left: string[]; total: number };
type Full = { boardId: string; users: PresenceUser[]; total?: number };

/** What one socket heard of presence, in order, with the JSON bytes. */
class Ear {
  deltas: Delta[] = [];
  fulls: Full[] = [];
  bytes = 0;
  constructor(s: TestSocket) {
    const raw = s as unknown as { on(e: string, fn: (p: unknown) => void): void };
    raw.on("presence:delta", (p) => {
      this.deltas.push(p as Delta);
      this.bytes += Buffer.byteLength(JSON.stringify(p));
    });
    raw.on("presence", (p) => {
      this.fulls.push(p as Full);
      this.bytes += Buffer.byteLength(JSON.stringify(p));
    });
  }
  /** The presence this socket can tell: the last full list, then every delta after it. */
  total(): number | undefined {
    return this.deltas.length > 0 ? this.deltas[this.deltas.length - 1]!.total : this.fulls[this.fulls.length - 1]?.total;
  }
}

async function until(what: string, pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

async function person(name: string, presenceDelta = true): Promise<{ s: TestSocket; ear: Ear; id: string }> {
  const { token, user } = await cluster.signIn(name);
  const s = await cluster.connect(token, { presenceDelta });
  return { s, ear: new Ear(s), id: user.id };
}

describe("PRES-1 presence as deltas", () => {
  it("PRES-1 with 200 sockets joining one board, each existing socket gets O(1) presence bytes per join; the joiner gets a capped list with the total", async () => {
    const owner = await person("owner");
    const { board } = await ok<{ board: Board }>(owner.s, "board:create", { name: "crowded", policy: "occ", visibility: "open" });
    await ok(owner.s, "board:join", { boardId: board.id });
    const people: Awaited<ReturnType<typeof person>>[] = [owner];
    for (let i = 1; i < 200; i++) {
      const p = await person(`p${i}`);
      people.push(p);
      await ok(p.s, "board:join", { boardId: board.id });
    }
    // The joiner's own list leaves in the same tick as the delta that announces it, but as a
    // message of its own: wait for both, then a moment more, so a second list would be seen.
    await until("everyone to see 200 and their own list", () => people.every((p) => p.ear.total() === 200 && p.ear.fulls.length >= 1));
    await new Promise((r) => setTimeout(r, 300));

    // The first socket heard 199 joins: a few dozen bytes each, not a list that grows with the board.
    const perJoin = owner.ear.bytes / 199;
    expect(perJoin).toBeLessThan(250);
    // The early joiners heard the same per join as the late ones (O(1), not O(n)).
    expect(people[10]!.ear.bytes / 189).toBeLessThan(250);
    expect(people[150]!.ear.bytes / 49).toBeLessThan(500); // its own capped list is amortized over fewer joins
    // Nobody got a full list but once, at its own join.
    expect(people.flatMap((p, i) => (p.ear.fulls.length === 1 ? [] : [`socket ${i}: ${p.ear.fulls.length} lists`]))).toEqual([]);

    // The last joiner's list is capped, with the count beyond it.
    const last = people[199]!;
    const full = last.ear.fulls[0]!;
    expect(full.users.length).toBe(LIMITS.presenceListed);
    expect(full.total).toBe(200);
    expect(new Set(full.users.map((u) => u.id)).size).toBe(LIMITS.presenceListed);

    // A leave is one small delta naming who left.
    const before = owner.ear.bytes;
    people[5]!.s.disconnect();
    await until("the leave", () => owner.ear.total() === 199);
    expect(owner.ear.deltas[owner.ear.deltas.length - 1]!.left).toEqual([people[5]!.id]);
    expect(owner.ear.bytes - before).toBeLessThan(150);

    // A focus is one small delta with the card.
    const { card } = await ok<{ card: Card }>(owner.s, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "look" } });
    people[7]!.s.emit("presence:set", { boardId: board.id, cardId: card.id }, () => {});
    await until("the focus", () => owner.ear.deltas.some((d) => d.users.some((u) => u.id === people[7]!.id && u.cardId === card.id)));
    expect(owner.ear.deltas[owner.ear.deltas.length - 1]!.total).toBe(199);
    for (const p of people) p.s.disconnect();
  }, 120_000);

  it("PRES-1 a user with two tabs joins once and leaves only with the last tab", async () => {
    const { token, user } = await cluster.signIn("two-tabs");
    const watcher = await person("watcher");
    const { board } = await ok<{ board: Board }>(watcher.s, "board:create", { name: "tabs", policy: "occ", visibility: "open" });
    await ok(watcher.s, "board:join", { boardId: board.id });
    const tab1 = await cluster.connect(token, { presenceDelta: true });
    const tab2 = await cluster.connect(token, { presenceDelta: true });
    await ok(tab1, "board:join", { boardId: board.id });
    await until("tab 1", () => watcher.ear.total() === 2);
    await ok(tab2, "board:join", { boardId: board.id });
    const heard = watcher.ear.deltas.length;
    tab1.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    // Still two people: nothing said the user left.
    expect(watcher.ear.deltas.slice(heard).every((d) => !d.left.includes(user.id))).toBe(true);
    expect(watcher.ear.total()).toBe(2);
    tab2.disconnect();
    await until("the user's last tab to go", () => watcher.ear.total() === 1);
    expect(watcher.ear.deltas[watcher.ear.deltas.length - 1]!.left).toEqual([user.id]);
  });

  it("PRES-1 a socket that did not opt in still gets the `presence` list on every join (capped, with the total)", async () => {
    const a = await person("plain-a", false);
    const { board } = await ok<{ board: Board }>(a.s, "board:create", { name: "plain", policy: "occ", visibility: "open" });
    await ok(a.s, "board:join", { boardId: board.id });
    const b = await person("plain-b", false);
    await ok(b.s, "board:join", { boardId: board.id });
    await until("a to see b", () => a.ear.fulls.some((f) => f.users.length === 2));
    const f = a.ear.fulls[a.ear.fulls.length - 1]!;
    expect(f.users.map((u) => u.name).sort()).toEqual(["plain-a", "plain-b"]);
    expect(f.total).toBe(2);
    expect(a.ear.deltas).toEqual([]);
  });
});
