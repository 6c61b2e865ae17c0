import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board, Card, Change } from "../../lib/protocol";
import { mid, ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

async function userSocket(name: string) {
  const { token, user } = await cluster.signIn(name);
  return { socket: await cluster.connect(token), user, token };
}

async function newBoard(socket: TestSocket, policy: "occ" | "lww" | "mvr" = "occ", shard = "a") {
  const { board } = await ok<{ board: Board }>(socket, "board:create", { name: `b-${mid()}`, policy, shard });
  await ok(socket, "board:join", { boardId: board.id });
  return board;
}

describe("OCC-1 versioned writes", () => {
  it("20 clients doing read-modify-write increments end with estimate = acknowledged increments", async () => {
    const owner = await userSocket("owner");
    const board = await newBoard(owner.socket);
    const { card } = await ok<{ card: Card }>(owner.socket, "card:create", {
      mutationId: mid(), boardId: board.id, fields: { title: "counter", estimate: 0 },
    });
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => userSocket(`c${i}`)));
    for (const c of clients) await ok(c.socket, "board:join", { boardId: board.id });

    let acknowledged = 0;
    let conflicts = 0;
    const perClient = 5;
    await Promise.all(
      clients.map(async ({ socket }) => {
        for (let done = 0; done < perClient; ) {
          const join = await ok<{ cards: Card[] }>(socket, "board:join", { boardId: board.id });
          const current = join.cards.find((c) => c.id === card.id)!;
          const r = await request<{ card: Card }>(socket, "card:update", {
            mutationId: mid(), cardId: card.id, baseVersion: current.version, patch: { estimate: (current.estimate ?? 0) + 1 },
          });
          if (r.ok) {
            acknowledged++;
            done++;
          } else {
            expect(r.error.code).toBe("CONFLICT");
            conflicts++;
          }
        }
      }),
    );
    const final = await ok<{ cards: Card[] }>(owner.socket, "board:join", { boardId: board.id });
    const stored = final.cards.find((c) => c.id === card.id)!;
    expect(acknowledged).toBe(20 * perClient);
    expect(stored.estimate).toBe(acknowledged);
    expect(stored.version).toBe(1 + acknowledged);
    expect(conflicts).toBeGreaterThan(0); // the race really happened
  });

  it("OCC-2 a stale write to a field changed since its base is refused with the current card", async () => {
    const { socket } = await userSocket("alice");
    const board = await newBoard(socket);
    const { card } = await ok<{ card: Card }>(socket, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "t0" } });
    await ok(socket, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "t1" } });
    const stale = await request(socket, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { title: "t2" } });
    expect(stale.ok).toBe(false);
    if (stale.ok) return;
    expect(stale.error.code).toBe("CONFLICT");
    const details = stale.error.details as { current: Card; fields: string[] };
    expect(details.fields).toEqual(["title"]);
    expect(details.current.title).toBe("t1");
    // A different field from the same stale base does not conflict (field-level check).
    const other = await ok<{ card: Card }>(socket, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 1, patch: { body: "b" } });
    expect(other.card).toMatchObject({ title: "t1", body: "b", version: 3 });
  });
});

describe("IDEM-1 / FEED-1 idempotency and the change log", () => {
  it("a replayed mutationId returns the first result and applies nothing; an observer sees consecutive seq", async () => {
    const writer = await userSocket("writer");
    const observer = await userSocket("observer");
    const board = await newBoard(writer.socket);
    await ok(observer.socket, "board:join", { boardId: board.id });
    const seen: Change[] = [];
    observer.socket.on("change", (c) => seen.push(c));

    const { card } = await ok<{ card: Card; seq: number }>(writer.socket, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "x" } });
    const m = mid();
    const first = await ok<{ card: Card; seq: number }>(writer.socket, "card:update", { mutationId: m, cardId: card.id, baseVersion: 1, patch: { title: "y" } });
    const again = await ok<{ card: Card; seq: number }>(writer.socket, "card:update", { mutationId: m, cardId: card.id, baseVersion: 1, patch: { title: "y" } });
    expect(again).toEqual(first);
    // Replay through a fresh connection (as after a reconnect) too.
    const second = await cluster.connect(writer.token);
    expect(await ok(second, "card:update", { mutationId: m, cardId: card.id, baseVersion: 1, patch: { title: "y" } })).toEqual(first);
    for (let i = 0; i < 5; i++) {
      await ok(writer.socket, "card:update", { mutationId: mid(), cardId: card.id, baseVersion: 2 + i, patch: { estimate: i } });
    }
    const { entries } = await ok<{ entries: Change[] }>(writer.socket, "card:history", { cardId: card.id });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(entries.map((e) => e.byName))).toEqual(new Set(["writer"]));
    const del = mid();
    const deleted = await ok<{ seq: number }>(writer.socket, "card:delete", { mutationId: del, cardId: card.id, baseVersion: 7 });
    // Replaying a delete after the card is gone still returns the first result.
    expect(await ok(writer.socket, "card:delete", { mutationId: del, cardId: card.id, baseVersion: 7 })).toEqual(deleted);

    await expect.poll(() => seen.length).toBe(8);
    expect(seen.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const history = await ok<{ entries: Change[] }>(writer.socket, "board:join", { boardId: board.id, since: 0 });
    expect((history as unknown as { changes: Change[] }).changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("IDEM-3 each write's answer names its commit batch; a replay answers the same stored result, batch included", async () => {
    const writer = await userSocket("batcher");
    const board = await newBoard(writer.socket);
    const { batch } = await ok<{ card: Card; batch: number }>(writer.socket, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: "x" } });
    expect(batch).toBe(1);
    // 20 creates sent at once: the first commits alone, the others queue on the board's lane meanwhile (PERF-1).
    const ids = Array.from({ length: 20 }, () => mid());
    const send = (m: string, i: number) => ok<{ card: Card; seq: number; batch: number }>(writer.socket, "card:create", { mutationId: m, boardId: board.id, cardId: `c_${m.slice(2)}`, fields: { title: `t${i}` } });
    const acks = await Promise.all(ids.map(send));
    for (const a of acks) expect(a.batch).toBeGreaterThanOrEqual(1);
    expect(Math.max(...acks.map((a) => a.batch))).toBeGreaterThan(1);
    // Writes of one batch share one transaction: as many writes answered with batch n as n times the batches of n.
    const bySize = new Map<number, number>();
    for (const a of acks) bySize.set(a.batch, (bySize.get(a.batch) ?? 0) + 1);
    for (const [size, count] of bySize) expect(count % size).toBe(0);
    expect(await send(ids[7]!, 7)).toEqual(acks[7]);
  });

  it("IDEM-1 a mutationId used by another user is BAD_REQUEST on every write, the card's present or gone, and changes nothing", async () => {
    const alice = await userSocket("alice");
    const mallory = await userSocket("mallory");
    const board = await newBoard(alice.socket);
    const other = await newBoard(alice.socket, "occ", "b");
    const created = mid();
    const { card } = await ok<{ card: Card }>(alice.socket, "card:create", { mutationId: created, boardId: board.id, fields: { title: "x" } });
    const updated = mid();
    await ok(alice.socket, "card:update", { mutationId: updated, cardId: card.id, baseVersion: 1, patch: { title: "y" } });
    const moved = mid();
    await ok(alice.socket, "card:move", { mutationId: moved, cardId: card.id, toBoardId: other.id, baseVersion: 2 });
    const attempts = [
      ["card:create", { mutationId: created, boardId: board.id, fields: { title: "z" } }],
      ["card:update", { mutationId: updated, cardId: card.id, baseVersion: 3, patch: { title: "z" } }],
      ["card:move", { mutationId: moved, cardId: card.id, toBoardId: board.id, baseVersion: 3 }],
      ["card:delete", { mutationId: updated, cardId: card.id, baseVersion: 3 }],
    ] as const;
    for (const [event, payload] of attempts) {
      const r = await request(mallory.socket, event, payload);
      expect(r.ok ? "applied" : r.error.code, event).toBe("BAD_REQUEST");
    }
    const { entries } = await ok<{ entries: Change[] }>(alice.socket, "card:history", { cardId: card.id });
    // HIST-2: the history follows the card across the move; the move's arrival on `other` is the last entry: nothing after it.
    expect(entries.map((e) => [e.boardId === other.id ? "other" : "board", e.type])).toEqual([
      ["board", "card.upsert"], ["board", "card.upsert"], ["board", "card.delete"], ["other", "card.upsert"],
    ]);
    expect(entries[3]!.card!.title).toBe("y");
  });

  it("FEED-2 board:join with since returns exactly the missed changes", async () => {
    const { socket } = await userSocket("w");
    const board = await newBoard(socket);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { card } = await ok<{ card: Card }>(socket, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `c${i}` } });
      ids.push(card.id);
    }
    const r = await ok<{ seq: number; changes: Change[] }>(socket, "board:join", { boardId: board.id, since: 4 });
    expect(r.seq).toBe(6);
    expect(r.changes.map((c) => c.seq)).toEqual([5, 6]);
    expect(r.changes.map((c) => c.card?.id)).toEqual(ids.slice(4));
    const none = await ok<{ changes: Change[] }>(socket, "board:join", { boardId: board.id, since: 6 });
    expect(none.changes).toEqual([]);
    const ahead = await ok<{ reset?: boolean; cards: Card[] }>(socket, "board:join", { boardId: board.id, since: 99 });
    expect(ahead.reset).toBe(true);
    expect(ahead.cards).toHaveLength(6);
  });
});
