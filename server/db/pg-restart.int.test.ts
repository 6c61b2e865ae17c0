import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { io as ioClient } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import type { Ack, Board, Card } from "../../lib/protocol";
import { createNode, type ConcordNode } from "../node";
import { SessionStore, Sessions } from "../services/sessions";
import { mid, ok, type TestSocket } from "../test/harness";
import { ensureDatabase, openDatabases, type Databases } from "./databases";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded";

/**
 * A node outlives a restart of its Postgres: while the database is away, writes answer
 * UNAVAILABLE (retryable, OUTBOX-5), never INTERNAL, and every request is answered; nothing
 * crashes the process (an uncaught exception fails this test run); once the database is back,
 * the same node serves again. Without the pool fixes of patches/postgres+3.4.9.patch
 * (server/db/pool-reserve.int.test.ts), a batch waited forever for a connection in about one
 * run in four under CPU load, and the node served again only 12-21 s after the restart.
 */
let pg: EmbeddedServer | null = null;
let dir: string | null = null;
let dbs: Databases | null = null;
let node: ConcordNode | null = null;
let socket: TestSocket | null = null;
afterAll(async () => {
  socket?.disconnect();
  await node?.close().catch(() => {});
  await new Promise<void>((r) => (node ? node.server.close(() => r()) : r()));
  await dbs?.close().catch(() => {});
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * A card:update's answer, or null when none came within 20 s: a request the node never answers
 * (its batch stuck on a connection the driver lost) fails the test by name instead of hanging it.
 */
function answered(s: TestSocket, payload: unknown): Promise<Ack<{ card: Card }> | null> {
  return new Promise((resolve) => {
    (s.timeout(20_000) as unknown as { emit: (e: string, p: unknown, cb: (err: unknown, r: Ack<{ card: Card }>) => void) => void }).emit(
      "card:update",
      payload,
      (err, r) => resolve(err ? null : r),
    );
  });
}

describe("a Postgres restart under load", () => {
  it("answers UNAVAILABLE while the database is away and serves again once it is back", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "concord-restart-"));
    await chmod(dir, 0o755); // as root, Postgres runs as the postgres user and must reach it
    pg = await startEmbeddedPostgres(path.join(dir, "pg"), () => {});
    const port = pg.port;
    for (const db of ["cat", "sa", "sb"]) await ensureDatabase(pg.url("postgres"), db);
    dbs = await openDatabases(pg.url("cat"), { a: pg.url("sa"), b: pg.url("sb") });
    const secret = randomBytes(16).toString("hex");
    node = await createNode({ nodeId: "restart", dbs, sessions: new Sessions(secret), log: pino({ level: "silent" }), adapter: "memory" });
    const url = `http://127.0.0.1:${await node.listen(0, "127.0.0.1")}`;
    const { token } = await new SessionStore(dbs.catalogSql, new Sessions(secret)).create("restarter");
    socket = ioClient(url, { auth: { token }, transports: ["websocket"], forceNew: true }) as TestSocket;
    await new Promise((r) => socket!.once("connect", () => r(null)));
    const { board } = await ok<{ board: Board }>(socket, "board:create", { name: "restart", policy: "lww" });
    const cards = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => (await ok<{ card: Card }>(socket!, "card:create", { mutationId: mid(), boardId: board.id, fields: { title: `c${i}` } })).card),
    );

    // Writes keep coming from every card while the database goes away.
    let writing = true;
    const codes: string[] = [];
    const writers = cards.map(async (c) => {
      while (writing) {
        const r = await answered(socket!, { mutationId: mid(), cardId: c.id, baseVersion: 1, patch: { body: "x".repeat(2000) } });
        codes.push(r === null ? "NO_ANSWER" : r.ok ? "ok" : r.error.code);
        // After UNAVAILABLE a client backs off (as the outbox does, OUTBOX-5), staying under the rate limit.
        await new Promise((res) => setTimeout(res, r?.ok ? 5 : 50));
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await pg.stop();
    await new Promise((r) => setTimeout(r, 1000));
    pg = await startEmbeddedPostgres(path.join(dir, "pg"), () => {}, port);
    await expect
      .poll(async () => (await answered(socket!, { mutationId: mid(), cardId: cards[0]!.id, baseVersion: 1, patch: { title: "back" } }))?.ok, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(true);
    writing = false;
    await Promise.all(writers);
    expect(codes.filter((c) => c !== "ok" && c !== "UNAVAILABLE")).toEqual([]);
    expect(codes.filter((c) => c === "UNAVAILABLE").length).toBeGreaterThan(0);
  }, 90_000);
});
