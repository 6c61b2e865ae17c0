import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { io } from "socket.io-client";
import { ok, startCluster, type TestCluster, type TestSocket } from "../../server/test/harness";
import type { Board, Card, Change, Policy } from "../protocol";
import { MemoryStorage } from "./storage";
import { SyncClient, type SyncClientOptions } from "./sync-client";
import { waitFor } from "./test-clients";
import type { ClientState } from "./types";


/** A real SyncClient (real socket.io-client) for a newly signed-in user of `cluster`; not yet connected. */
async function clientFor(
  cluster: TestCluster,
  name: string,
  extra: Partial<SyncClientOptions> = {},
): Promise<SyncClient> {
  const { token, user } = await cluster.signIn(name);
  return new SyncClient({
    url: cluster.url,
    token,
    user,
    replicaId: `r_${name}_${randomBytes(3).toString("hex")}`,
    io,
    ...extra,
  });
}

/** True when the client is online and has nothing left to send. */
function idle(s: ClientState): boolean {
  return s.connection === "online" && s.pending.length === 0;
}

let cluster: TestCluster;
let observer: TestSocket;
const clients: SyncClient[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  const { token } = await cluster.signIn("Observer");
  observer = await cluster.connect(token);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.close();
});

/** Two connected clients (Alice, Bob) on a fresh open board with one card both can see. */
async function pair(policy: Policy, extra: { bob?: { now?: () => number } } = {}) {
  const a = await clientFor(cluster, "Alice");
  const b = await clientFor(cluster, "Bob", extra.bob ?? {});
  clients.push(a, b);
  a.connect();
  b.connect();
  const board = await a.createBoard({ name: `board-${policy}`, policy });
  await a.joinBoard(board.id);
  await b.joinBoard(board.id);
  const cardId = a.createCard(board.id, { title: "start", body: "b0" });
  await waitFor(() => !!b.getSnapshot().boards[board.id]?.confirmed[cardId] && idle(a.getSnapshot()), "both see the card");
  await waitFor(() => [a, b].every((x) => x.getSnapshot().boards[board.id]!.presence.length === 2), "both see each other");
  return { a, b, board, cardId };
}

/** The server's truth, read over a plain socket: a fresh board:join snapshot. */
async function serverSnapshot(boardId: string): Promise<{ seq: number; cards: Card[] }> {
  return ok<{ board: Board; seq: number; cards: Card[] }>(observer, "board:join", { boardId });
}

async function serverHistory(cardId: string): Promise<Change[]> {
  return (await ok<{ entries: Change[] }>(observer, "card:history", { cardId })).entries;
}

const view = (c: SyncClient, boardId: string, cardId: string) => c.getSnapshot().boards[boardId]?.cards[cardId];
const confirmed = (c: SyncClient, boardId: string, cardId: string) => c.getSnapshot().boards[boardId]?.confirmed[cardId];

describe("SyncClient against real server nodes", () => {
  it("an update by A appears in B's view, in seq order", async () => {
    const { a, b, board, cardId } = await pair("occ");
    a.updateCard(cardId, { title: "hello from A" });
    expect(view(a, board.id, cardId)?.title).toBe("hello from A"); // optimistic, at once
    await waitFor(() => view(b, board.id, cardId)?.title === "hello from A", "B sees A's edit");
    const server = await serverSnapshot(board.id);
    await waitFor(() => b.getSnapshot().boards[board.id]!.seq === server.seq && a.getSnapshot().boards[board.id]!.seq === server.seq, "seqs match the server");
    const seqs = b.getSnapshot().events.filter((e) => e.direction === "in" && e.event === "change").map((e) => Number(/seq (\d+)/.exec(e.summary)![1]));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)); // consecutive
    expect(b.getSnapshot().boards[board.id]!.highlights[cardId]).toBeTypeOf("number");
  });

  it("occ: concurrent edits of one field: one applies, the other becomes a conflict; resolving converges", async () => {
    const { a, b, board, cardId } = await pair("occ");
    a.updateCard(cardId, { title: "from A" });
    b.updateCard(cardId, { title: "from B" });
    await waitFor(() => a.getSnapshot().pending.length === 0 && b.getSnapshot().pending.length === 0, "both answered");
    const conflicts = [...a.getSnapshot().conflicts, ...b.getSnapshot().conflicts];
    expect(conflicts).toHaveLength(1);
    const loser = a.getSnapshot().conflicts.length === 1 ? a : b;
    const winner = loser === a ? b : a;
    const c = conflicts[0]!;
    expect(c.fields).toEqual(["title"]);
    expect(c.base.title).toBe("start");
    expect(c.base.version).toBe(1);
    expect(c.mine).toEqual({ title: loser === a ? "from A" : "from B" });
    expect(c.theirs.title).toBe(winner === a ? "from A" : "from B");
    loser.resolveConflict(c.id, { title: "merged" });
    expect(loser.getSnapshot().conflicts).toHaveLength(0);
    await waitFor(
      () => [a, b].every((x) => confirmed(x, board.id, cardId)?.title === "merged" && idle(x.getSnapshot())),
      "both converge on the resolution",
    );
    expect((await serverSnapshot(board.id)).cards.find((x) => x.id === cardId)?.title).toBe("merged");
    expect(a.getSnapshot().conflicts.length + b.getSnapshot().conflicts.length).toBe(0);
  });

  it("occ: an edit based on an older version (an editor left open) conflicts instead of overwriting", async () => {
    const { a, b, board, cardId } = await pair("occ");
    const seenByB = confirmed(b, board.id, cardId)!; // B opens its editor at v1
    a.updateCard(cardId, { title: "A saved first" });
    await waitFor(() => confirmed(b, board.id, cardId)?.version === 2, "B receives A's save");
    b.updateCard(cardId, { title: "B typed at v1" }, seenByB);
    await waitFor(() => b.getSnapshot().conflicts.length === 1, "B gets a conflict");
    const c = b.getSnapshot().conflicts[0]!;
    expect(c.base.version).toBe(1);
    expect(c.theirs.title).toBe("A saved first");
    expect((await serverSnapshot(board.id)).cards.find((x) => x.id === cardId)?.title).toBe("A saved first");
    // An untouched field from the same old base does not conflict (field-level OCC).
    b.updateCard(cardId, { body: "B's body" }, seenByB);
    await waitFor(() => confirmed(a, board.id, cardId)?.body === "B's body", "A sees B's body");
    expect(confirmed(a, board.id, cardId)?.title).toBe("A saved first");
  });

  it("occ: chained local edits of one card before any ack produce no conflict", async () => {
    const { a, board, cardId } = await pair("occ");
    a.setLatency(30); // every edit below is made before the first ack can arrive
    a.updateCard(cardId, { title: "one" });
    a.updateCard(cardId, { title: "two" });
    a.updateCard(cardId, { body: "three" });
    a.deleteCard(a.createCard(board.id, { title: "temp" }));
    a.updateCard(cardId, { title: "four", status: "doing" });
    expect(view(a, board.id, cardId)).toMatchObject({ title: "four", body: "three", status: "doing" });
    await waitFor(() => idle(a.getSnapshot()), "outbox drained");
    a.setLatency(0);
    expect(a.getSnapshot().conflicts).toEqual([]);
    expect(a.getSnapshot().notices.filter((n) => n.kind === "error")).toEqual([]);
    const server = (await serverSnapshot(board.id)).cards;
    expect(server).toHaveLength(1);
    expect(server[0]).toMatchObject({ title: "four", body: "three", status: "doing", version: 5 });
  });

  it("a dropped ack: the client reconnects, replays the same mutationId, and it applies once", async () => {
    const { a, board, cardId } = await pair("occ");
    const okAcks = () => a.getSnapshot().events.filter((e) => e.event === "card:update" && e.direction === "in" && e.summary.includes("→ ok")).length;
    const before = okAcks();
    a.dropNextAck();
    a.updateCard(cardId, { title: "exactly once" });
    await waitFor(() => a.getSnapshot().events.some((e) => e.summary.includes("DROPPED")), "the ack was dropped");
    await waitFor(() => idle(a.getSnapshot()), "replayed and acknowledged");
    expect(okAcks() - before).toBe(1);
    expect(a.getSnapshot().events.some((e) => e.direction === "out" && e.summary.includes("replay"))).toBe(true);
    const updates = (await serverHistory(cardId)).filter((c) => c.card?.title === "exactly once");
    expect(updates).toHaveLength(1);
    const card = (await serverSnapshot(board.id)).cards.find((x) => x.id === cardId)!;
    expect(card.version).toBe(2);
    expect(confirmed(a, board.id, cardId)).toEqual(card);
  });

  it("offline: B misses 500 changes and catches up exactly", async () => {
    const { a, b, board, cardId } = await pair("occ");
    b.setOffline(true);
    await waitFor(() => b.getSnapshot().connection === "offline", "B offline");
    const ids = [cardId];
    for (let i = 0; i < 9; i++) ids.push(a.createCard(board.id, { title: `card ${i}` }));
    for (let i = 0; i < 500 - 9; i++) a.updateCard(ids[i % ids.length]!, { title: `edit ${i}`, estimate: i });
    await waitFor(() => idle(a.getSnapshot()), "A's 500 writes acknowledged", 60_000);
    b.setOffline(false);
    const server = await serverSnapshot(board.id);
    expect(server.seq).toBe(501); // the first create, then 500
    await waitFor(() => b.getSnapshot().connection === "online" && b.getSnapshot().boards[board.id]!.seq === server.seq, "B caught up", 30_000);
    const bs = b.getSnapshot().boards[board.id]!;
    expect(bs.confirmed).toEqual(Object.fromEntries(server.cards.map((c) => [c.id, c])));
    expect(bs.cards).toEqual(bs.confirmed);
  }, 90_000);

  it("lww: B's offline edit is replayed once on reconnect and the newer hlc wins on both", async () => {
    // B's wall clock runs 5 s ahead (within the server's 60 s drift limit): its later edit is the newer one.
    const { a, b, board, cardId } = await pair("lww", { bob: { now: () => Date.now() + 5_000 } });
    b.setOffline(true);
    await waitFor(() => b.getSnapshot().connection === "offline", "B offline");
    a.updateCard(cardId, { title: "A online" });
    b.updateCard(cardId, { title: "B offline", body: "B body" });
    await waitFor(() => idle(a.getSnapshot()), "A acknowledged");
    expect(view(b, board.id, cardId)?.title).toBe("B offline");
    b.setOffline(false);
    await waitFor(
      () => idle(b.getSnapshot()) && [a, b].every((x) => confirmed(x, board.id, cardId)?.title === "B offline"),
      "both show the newer write",
    );
    expect(confirmed(a, board.id, cardId)).toEqual(confirmed(b, board.id, cardId));
    expect((await serverHistory(cardId)).filter((c) => c.card?.title === "B offline")).toHaveLength(1);
    await waitFor(() => a.getSnapshot().notices.some((n) => n.kind === "lww-replaced" && n.code === "lww-replaced" && n.fields.includes("title") && n.by === "Bob"), "A is told");
  });

  it("lww: an older offline edit loses on both and its author is told", async () => {
    const { a, b, board, cardId } = await pair("lww", { bob: { now: () => Date.now() - 5_000 } });
    b.setOffline(true);
    await waitFor(() => b.getSnapshot().connection === "offline", "B offline");
    b.updateCard(cardId, { title: "B older" });
    a.updateCard(cardId, { title: "A newer" });
    await waitFor(() => idle(a.getSnapshot()), "A acknowledged");
    b.setOffline(false);
    await waitFor(() => idle(b.getSnapshot()) && [a, b].every((x) => view(x, board.id, cardId)?.title === "A newer"), "both keep A's newer write");
    expect(b.getSnapshot().notices.some((n) => n.kind === "lww-replaced" && n.code === "lww-replaced" && n.fields.join(", ") === "title")).toBe(true);
  });

  it("mvr: concurrent edits (one made offline) end as siblings on both clients", async () => {
    const { a, b, board, cardId } = await pair("mvr");
    b.setOffline(true);
    await waitFor(() => b.getSnapshot().connection === "offline", "B offline");
    b.updateCard(cardId, { title: "B" });
    b.updateCard(cardId, { title: "B again" }); // chained on B's own edit: replaces it, no sibling
    a.updateCard(cardId, { title: "A" });
    await waitFor(() => idle(a.getSnapshot()), "A acknowledged");
    b.setOffline(false);
    const siblingValues = (x: SyncClient) => (confirmed(x, board.id, cardId)?.siblings?.title ?? []).map((s) => s.value).sort();
    await waitFor(() => idle(b.getSnapshot()) && [a, b].every((x) => siblingValues(x).length === 2), "siblings on both");
    expect(siblingValues(a)).toEqual(["A", "B again"]);
    expect(confirmed(a, board.id, cardId)).toEqual(confirmed(b, board.id, cardId));
    // A person resolves them: a write whose context has seen both replaces them.
    a.updateCard(cardId, { title: "resolved" });
    await waitFor(() => [a, b].every((x) => confirmed(x, board.id, cardId)?.title === "resolved" && !confirmed(x, board.id, cardId)?.siblings), "resolved on both");
  });

  it("a gap in seq (a change lost on the way) triggers a catch-up with since", async () => {
    const { a, b, board, cardId } = await pair("occ");
    b.dropNextChange();
    a.updateCard(cardId, { title: "lost on the way" });
    await waitFor(() => idle(a.getSnapshot()), "A acknowledged");
    a.updateCard(cardId, { body: "arrives" });
    await waitFor(() => view(b, board.id, cardId)?.title === "lost on the way" && view(b, board.id, cardId)?.body === "arrives", "B filled the gap");
    expect(b.getSnapshot().events.some((e) => e.event === "board:join" && /since \d+/.test(e.summary))).toBe(true);
    expect(b.getSnapshot().boards[board.id]!.seq).toBe((await serverSnapshot(board.id)).seq);
  });

  it("killSocket: socket.io reconnects by itself, the board catches up and pending writes replay", async () => {
    const { a, b, board, cardId } = await pair("occ");
    b.killSocket();
    await waitFor(() => b.getSnapshot().connection !== "online", "B noticed");
    a.updateCard(cardId, { title: "while B was away" });
    b.updateCard(cardId, { body: "B during reconnect" });
    await waitFor(() => idle(b.getSnapshot()) && view(b, board.id, cardId)?.title === "while B was away", "B back and caught up");
    await waitFor(() => view(a, board.id, cardId)?.body === "B during reconnect", "A sees B's write");
  });

  it("a reload from storage while offline shows the board and pending edits, then replays them", async () => {
    const { a, b, board, cardId } = await pair("occ");
    const storage = new MemoryStorage();
    const { token, user } = await cluster.signIn("Carol");
    const replicaId = "r_carol_reload";
    const make = () => new SyncClient({ url: cluster.url, token, user, replicaId, io, storage });
    const first = make();
    clients.push(first);
    first.connect();
    await first.joinBoard(board.id);
    first.setOffline(true);
    first.updateCard(cardId, { title: "written offline" });
    await first.flush();
    first.close();

    const second = make();
    clients.push(second);
    await second.load();
    second.setOffline(true);
    second.connect();
    await second.joinBoard(board.id);
    expect(view(second, board.id, cardId)?.title).toBe("written offline");
    expect(second.getSnapshot().pending).toHaveLength(1);
    second.setOffline(false);
    await waitFor(() => idle(second.getSnapshot()) && view(b, board.id, cardId)?.title === "written offline", "replayed after reload");
    expect((await serverHistory(cardId)).filter((c) => c.card?.title === "written offline")).toHaveLength(1);
    expect(a.getSnapshot().conflicts).toEqual([]);
  });

  it("FEED-7 the socket connects during a slow restore, but nothing is sent until the restore is done: the join carries the stored cursor, the stored write replays once", async () => {
    const { a, b, board, cardId } = await pair("occ");
    const storage = new MemoryStorage();
    const { token, user } = await cluster.signIn("Dora");
    const replicaId = "r_dora_restore";
    const first = new SyncClient({ url: cluster.url, token, user, replicaId, io, storage });
    clients.push(first);
    first.connect();
    await first.joinBoard(board.id);
    const storedSeq = first.getSnapshot().boards[board.id]!.seq;
    first.setOffline(true);
    first.updateCard(cardId, { body: "written before the reload" });
    await first.flush();
    first.close();
    a.createCard(board.id, { title: "meanwhile" }); // the board moves on while the tab is away
    await waitFor(() => idle(a.getSnapshot()), "a's card acknowledged");

    // The reload: IndexedDB is slow (a fault: 400 ms), the socket opens at once.
    const slow = Object.assign(Object.create(storage) as MemoryStorage, {
      loadAll: async () => (await new Promise((r) => setTimeout(r, 400)), storage.loadAll()),
    });
    const sent: { event: string; at: number; payload: unknown }[] = [];
    let connectedAt = Infinity;
    const spy = ((url: string, opts: object) => {
      const socket = io(url, opts);
      socket.on("connect", () => (connectedAt = Math.min(connectedAt, Date.now())));
      const emit = socket.emit.bind(socket) as (ev: string, ...args: unknown[]) => typeof socket;
      (socket as unknown as { emit: typeof emit }).emit = (ev, ...args) => (sent.push({ event: ev, at: Date.now(), payload: args[0] }), emit(ev, ...args));
      return socket;
    }) as unknown as typeof io;
    const second = new SyncClient({ url: cluster.url, token, user, replicaId, io: spy, storage: slow });
    clients.push(second);
    const restoring = second.load();
    second.connect();
    void second.joinBoard(board.id); // the page asks for its board at once, as the UI does
    await restoring;
    const restoredAt = Date.now();
    expect(connectedAt).toBeLessThan(restoredAt); // the connection was made during the restore
    expect(sent.filter((x) => x.at < restoredAt)).toEqual([]);
    await waitFor(() => idle(second.getSnapshot()) && view(b, board.id, cardId)?.body === "written before the reload", "replayed after the restore");
    const joins = sent.filter((x) => x.event === "board:join").map((x) => x.payload as { boardId: string; since?: number });
    expect(joins[0]).toMatchObject({ boardId: board.id, since: storedSeq });
    expect((await serverHistory(cardId)).filter((c) => c.card?.body === "written before the reload")).toHaveLength(1);
    expect(second.getSnapshot().boards[board.id]!.seq).toBe((await serverSnapshot(board.id)).seq);
  });

  it("a reconnect whose handshake is refused UNAVAILABLE (the session store's database away) is tried again until it goes through; nothing is lost", async () => {
    const { a, b, board, cardId } = await pair("lww");
    const sessions = cluster.nodes[0]!.sessions;
    const check = sessions.authenticate.bind(sessions);
    let refused = 0;
    // A fault: the database behind sessions is away for 1.5 s; every handshake meanwhile is refused.
    const back = Date.now() + 1_500;
    sessions.authenticate = (token) => (Date.now() < back ? (refused++, Promise.reject(new Error("database away"))) : check(token));
    try {
      b.killSocket();
      b.updateCard(cardId, { title: "written while the handshake was refused" });
      await waitFor(() => refused > 0, "a refused handshake");
      await waitFor(() => idle(b.getSnapshot()), "b online again with nothing pending", 15_000);
    } finally {
      sessions.authenticate = check;
    }
    await waitFor(() => view(a, board.id, cardId)?.title === "written while the handshake was refused", "a sees b's write");
    expect(b.getSnapshot().boards[board.id]!.seq).toBe((await serverSnapshot(board.id)).seq);
  });

  it("LOCK-8 a fresh tab and a reloaded one show a lease taken before they joined", async () => {
    const { a, board, cardId } = await pair("occ");
    const storage = new MemoryStorage();
    const { token, user } = await cluster.signIn("Erin");
    const make = () => new SyncClient({ url: cluster.url, token, user, replicaId: "r_erin_reload", io, storage });
    const first = make();
    clients.push(first);
    first.connect();
    await first.joinBoard(board.id);
    await first.flush();
    first.close(); // the tab is reloading: it hears no lock broadcast meanwhile

    const lock = await a.lock(cardId);
    const lockOf = (c: SyncClient) => c.getSnapshot().boards[board.id]?.locks[cardId];
    const fresh = await clientFor(cluster, "Fred");
    clients.push(fresh);
    fresh.connect();
    await fresh.joinBoard(board.id); // a snapshot join
    await waitFor(() => lockOf(fresh)?.token === lock.token, "the fresh tab shows the lease", 3_000);
    const reloaded = make();
    clients.push(reloaded);
    await reloaded.load();
    reloaded.connect();
    await reloaded.joinBoard(board.id); // a catch-up join (since its stored cursor)
    await waitFor(() => lockOf(reloaded)?.token === lock.token, "the reloaded tab shows the lease", 3_000);
    expect(lockOf(reloaded)?.holder.name).toBe("Alice");

    await a.unlock(cardId);
    await waitFor(() => !lockOf(fresh) && !lockOf(reloaded), "both see the release");
  });

  it("LOCK-4, LOCK-3 Bob's save while Alice's lease lives answers LOCKED; Alice paused as a holder keeps her token, and her save after Bob's newer grant answers STALE_LOCK", async () => {
    const { a, b, board, cardId } = await pair("occ");
    const refused = (c: SyncClient, code: string) => c.getSnapshot().notices.some((n) => n.code === "write-refused" && n.error.code === code);
    const alices = await a.lock(cardId, 1_500);
    await waitFor(() => b.getSnapshot().boards[board.id]?.locks[cardId]?.token === alices.token, "Bob sees Alice's lease");
    b.updateCard(cardId, { title: "Bob anyway" });
    await waitFor(() => refused(b, "LOCKED"), "Bob's write answered LOCKED");
    a.setHolderPaused(true);
    expect(a.getSnapshot().leases[cardId]).toMatchObject({ health: "paused", lock: { token: alices.token } });
    await waitFor(() => !b.getSnapshot().boards[board.id]?.locks[cardId], "the unrenewed lease ran out", 5_000);
    const bobs = await b.lock(cardId);
    expect(bobs.token).toBeGreaterThan(alices.token);
    await waitFor(() => a.getSnapshot().boards[board.id]?.locks[cardId]?.token === bobs.token, "Alice hears Bob's grant");
    expect(a.getSnapshot().leases[cardId]?.lock.token).toBe(alices.token); // the stalled holder still believes
    a.updateCard(cardId, { title: "Alice, stale" });
    await waitFor(() => refused(a, "STALE_LOCK"), "Alice's write answered STALE_LOCK");
    expect((await serverSnapshot(board.id)).cards.find((c) => c.id === cardId)?.title).toBe("start");
    a.setHolderPaused(false); // renewing now is refused: the lease is announced lost
    await waitFor(() => a.getSnapshot().notices.some((n) => n.code === "lease-lost" && n.by?.token === bobs.token), "Alice is told Bob holds it");
    expect(a.getSnapshot().leases[cardId]).toBeUndefined();
    await b.unlock(cardId);
  });

  it("LOCK-9 a lease whose renewal fails is announced before it runs out (with the seconds left) and when it does", async () => {
    const { a, board, cardId } = await pair("occ");
    const lock = await a.lock(cardId, 3_000);
    a.setOffline(true); // the renewal at half-time cannot be sent
    await waitFor(() => a.getSnapshot().leases[cardId]?.health === "retrying", "the lease shows a failing renewal", 4_000);
    const risk = a.getSnapshot().notices.find((n) => n.code === "lease-at-risk");
    expect(risk).toMatchObject({ token: lock.token, expiresAt: lock.expiresAt, problem: "OFFLINE", boardId: board.id });
    await waitFor(() => a.getSnapshot().notices.some((n) => n.code === "lease-lost" && n.reason === "expired"), "its end is announced", 5_000);
    expect(a.getSnapshot().leases[cardId]).toBeUndefined();
    a.setOffline(false);
  });

  it("LOCK-1 a lease adopted by a reloaded tab is renewed: it outlives its first TTL", async () => {
    const { board, cardId } = await pair("occ");
    const storage = new MemoryStorage();
    const { token, user } = await cluster.signIn("Gina");
    const make = () => new SyncClient({ url: cluster.url, token, user, replicaId: "r_gina_reload", io, storage });
    const first = make();
    clients.push(first);
    first.connect();
    await first.joinBoard(board.id);
    const lock = await first.lock(cardId, 2_000);
    await first.flush();
    first.close(); // reloading: its keeper is gone
    const reloaded = make();
    clients.push(reloaded);
    await reloaded.load();
    reloaded.connect();
    await reloaded.joinBoard(board.id);
    await waitFor(() => reloaded.getSnapshot().leases[cardId]?.lock.token === lock.token, "the reloaded tab adopts its lease", 3_000);
    await waitFor(() => (reloaded.getSnapshot().leases[cardId]?.renewals ?? 0) >= 1, "it renews it", 5_000);
    await waitFor(() => Date.now() > Date.parse(lock.expiresAt) + 500, "past the first grant's expiry", 5_000);
    const shown = reloaded.getSnapshot().boards[board.id]?.locks[cardId];
    expect(shown?.token).toBe(lock.token);
    expect(Date.parse(shown!.expiresAt)).toBeGreaterThan(Date.now());
    await reloaded.unlock(cardId);
  });

  it("batch: a client that opted in to coalesced `changes` follows the board too", async () => {
    const { a, board, cardId } = await pair("occ");
    const c = await clientFor(cluster, "Dana", { batch: true });
    clients.push(c);
    c.connect();
    await c.joinBoard(board.id);
    for (let i = 0; i < 20; i++) a.updateCard(cardId, { estimate: i });
    await waitFor(() => idle(a.getSnapshot()), "A acknowledged");
    const server = await serverSnapshot(board.id);
    await waitFor(() => c.getSnapshot().boards[board.id]!.seq === server.seq, "batch client caught up");
    expect(c.getSnapshot().boards[board.id]!.confirmed[cardId]).toEqual(server.cards.find((x) => x.id === cardId));
  });

  it("a forged token surfaces UNAUTHORIZED", async () => {
    const c = new SyncClient({ url: cluster.url, token: "forged", user: { id: "u", name: "x" }, replicaId: "r_forged", io });
    clients.push(c);
    c.connect();
    await waitFor(() => c.getSnapshot().authError === true, "auth error");
    expect(c.getSnapshot().connection).toBe("offline");
    expect(c.getSnapshot().notices.some((n) => n.kind === "error")).toBe(true);
  });
});
