import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabases, type Databases } from "../../db/databases";
import { freshDatabases, testRedisUrl } from "../../test/harness";
import { PostgresLeaseStore } from "./postgres";
import { RedisLeaseStore } from "./redis";
import type { LeaseStore } from "./types";

/** One contract, two backends (SPEC LOCK-5): every LeaseStore must pass the same suite. */
let dbs: Databases;
let drop: () => Promise<void>;
const stores: Record<string, LeaseStore> = {};

beforeAll(async () => {
  const fresh = await freshDatabases("locks");
  drop = fresh.drop;
  dbs = await openDatabases(fresh.catalogUrl, fresh.shardUrls);
  stores.postgres = new PostgresLeaseStore(dbs.catalogSql);
  stores.redis = new RedisLeaseStore(testRedisUrl(), `concord-test-${randomBytes(4).toString("hex")}:`);
});
afterAll(async () => {
  for (const s of Object.values(stores)) await s.close();
  await dbs?.close();
  await drop?.();
});

const alice = { id: "u_alice", name: "Alice" };
const bob = { id: "u_bob", name: "Bob" };
const card = () => ({ id: `c_${randomBytes(6).toString("hex")}`, boardId: "b_1" });
const until = async (cond: () => Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

for (const backend of ["postgres", "redis"] as const) {
  describe(`LOCK-1 lease store contract: ${backend}`, () => {
    const store = () => stores[backend]!;

    it("grants, refuses another holder while live, and re-grants the holder with a newer token", async () => {
      const c = card();
      const a = await store().grant(c, alice, 10_000);
      expect("granted" in a && a.granted.holder).toEqual({ id: "u_alice", name: "Alice" });
      const b = await store().grant(c, bob, 10_000);
      expect("busy" in b && b.busy.holder.id).toBe("u_alice");
      const again = await store().grant(c, alice, 10_000);
      expect("granted" in a && "granted" in again && again.granted.token > a.granted.token).toBe(true);
      expect((await store().live(c.id))?.holder.id).toBe("u_alice");
    });

    it("every grant carries a token greater than all earlier grants (fencing)", async () => {
      const tokens: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await store().grant(card(), i % 2 ? alice : bob, 10_000);
        if ("granted" in r) tokens.push(r.granted.token);
      }
      expect(tokens).toHaveLength(5);
      expect([...tokens].sort((x, y) => x - y)).toEqual(tokens);
      expect(new Set(tokens).size).toBe(5);
    });

    it("an expired lease cannot be renewed back to life, not even by its holder (LOCK-1)", async () => {
      const c = card();
      const r = await store().grant(c, alice, 200);
      if (!("granted" in r)) throw new Error("not granted");
      await until(async () => (await store().live(c.id)) === null);
      expect(await store().renew(c.id, alice.id, r.granted.token, 10_000)).toBeNull();
      expect(await store().live(c.id)).toBeNull();
    });

    it("renew needs the holder and the current token; release frees the card", async () => {
      const c = card();
      const r = await store().grant(c, alice, 10_000);
      if (!("granted" in r)) throw new Error("not granted");
      expect(await store().renew(c.id, bob.id, r.granted.token, 10_000)).toBeNull();
      expect(await store().renew(c.id, alice.id, r.granted.token + 1, 10_000)).toBeNull();
      const renewed = await store().renew(c.id, alice.id, r.granted.token, 20_000);
      expect(renewed?.token).toBe(r.granted.token);
      await store().release(c.id, bob.id, r.granted.token); // not Bob's: no effect
      expect(await store().live(c.id)).not.toBeNull();
      await store().release(c.id, alice.id, r.granted.token);
      expect(await store().live(c.id)).toBeNull();
      expect("granted" in (await store().grant(c, bob, 10_000))).toBe(true);
    });

    it("LOCK-6 a grant is exclusive: of concurrent acquirers for one card exactly one is granted (50 rounds, also after a release)", async () => {
      const people = ["ann", "ben", "cat"].map((n) => ({ id: `u_${n}`, name: n }));
      const race = (c: { id: string; boardId: string }) => Promise.all(people.map((p) => store().grant(c, p, 10_000)));
      const grantedCounts = { fresh: [] as number[], afterRelease: [] as number[] };
      for (let round = 0; round < 50; round++) {
        const c = card();
        const first = await race(c);
        grantedCounts.fresh.push(first.filter((r) => "granted" in r).length);
        const winners = first.flatMap((r) => ("granted" in r ? [r.granted] : []));
        // Every loser is told who holds it: the one winner.
        if (winners.length === 1) for (const r of first) if ("busy" in r) expect(r.busy.holder.id).toBe(winners[0]!.holder.id);
        // The holder releases with its token; then the card is free for the next race.
        const held = await store().live(c.id);
        if (held) await store().release(c.id, held.holder.id, held.token);
        expect(await store().live(c.id)).toBeNull();
        const second = await race(c);
        grantedCounts.afterRelease.push(second.filter((r) => "granted" in r).length);
      }
      expect(grantedCounts).toEqual({ fresh: Array(50).fill(1), afterRelease: Array(50).fill(1) });
    });

    it("LOCK-6 of concurrent acquirers of an expired lease exactly one is granted, with a newer token", async () => {
      const people = ["ann", "ben", "cat"].map((n) => ({ id: `u_${n}`, name: n }));
      const c = card();
      const old = await store().grant(c, alice, 100);
      if (!("granted" in old)) throw new Error("not granted");
      await until(async () => (await store().live(c.id)) === null);
      const rs = await Promise.all(people.map((p) => store().grant(c, p, 10_000)));
      const won = rs.filter((r) => "granted" in r);
      expect(won).toHaveLength(1);
      expect("granted" in won[0]! && won[0].granted.token > old.granted.token).toBe(true);
    });

    it("LOCK-7 release ends the lease only for its holder with its token, and says whether it did", async () => {
      const c = card();
      const r = await store().grant(c, alice, 10_000);
      if (!("granted" in r)) throw new Error("not granted");
      expect(await store().release(c.id, bob.id, r.granted.token)).toBe(false);
      expect(await store().release(c.id, alice.id, r.granted.token - 1)).toBe(false);
      expect((await store().live(c.id))?.token).toBe(r.granted.token);
      expect(await store().release(c.id, alice.id, r.granted.token)).toBe(true);
      expect(await store().live(c.id)).toBeNull();
      expect(await store().release(c.id, alice.id, r.granted.token)).toBe(false);
    });

    it("LOCK-8 liveMany lists the live leases among the given cards only", async () => {
      const [held, released, never, other] = [card(), card(), card(), card()];
      const h = await store().grant(held, alice, 10_000);
      const r = await store().grant(released, bob, 10_000);
      await store().grant(other, bob, 10_000);
      if (!("granted" in h) || !("granted" in r)) throw new Error("not granted");
      await store().release(released.id, bob.id, r.granted.token);
      const found = await store().liveMany([held.id, released.id, never.id]);
      expect(found.map((l) => [l.cardId, l.holder.id, l.token])).toEqual([[held.id, alice.id, h.granted.token]]);
      expect(await store().liveMany([])).toEqual([]);
    });

    it("a lease that is not renewed expires by itself", async () => {
      const c = card();
      await store().grant(c, alice, 1_000);
      await until(async () => (await store().live(c.id)) === null);
      expect("granted" in (await store().grant(c, bob, 10_000))).toBe(true);
    });

    it("elects one leader at a time; the lead passes on when the leader stops renewing", async () => {
      const name = `jobs-${randomBytes(4).toString("hex")}`;
      expect(await store().lead(name, "n1", 1_000)).toBe(true);
      expect(await store().lead(name, "n2", 1_000)).toBe(false);
      expect(await store().lead(name, "n1", 1_000)).toBe(true);
      await until(() => store().lead(name, "n2", 1_000));
      expect(await store().lead(name, "n1", 1_000)).toBe(false);
    });
  });
}
