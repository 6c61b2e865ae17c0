import type { WebSocketRoute } from "@playwright/test";
import { expect, test } from "./fixtures";

/**
 * OUTBOX (durable outbox, exactly-once replay). The tab keeps its outbox and board cursors in
 * IndexedDB and the simulator's "offline" flag in sessionStorage, so a reloaded tab starts
 * offline and shows its pending edits before it reconnects.
 *
 * The first test reloads with the network back (only the app's persisted offline toggle keeps
 * the socket down), and counts sockets to prove nothing was sent. The second reloads with the
 * browser really offline: the offline shell (service worker, SPEC REPLICA-3) serves the page.
 */
test.describe("offline edits survive a reload and apply exactly once", () => {
  test("OUTBOX-1/IDEM-1: pending edit made offline is kept across a reload and applied once after reconnect", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const boardName = `Offline ${uid}`;
    const original = `Before ${uid}`;
    const edited = `Edited offline by Bob ${uid}`;

    const board = await alice.boards.createBoard(boardName, "occ");
    const aliceCard = await alice.board.addCard(original);
    await alice.board.inspector.open();
    await (await alice.board.openCard(aliceCard)).closeWithoutSaving();
    const versionBefore = await alice.board.inspector.currentCardVersion();

    await bob.board.goto(board.boardId, boardName);
    const bobCard = bob.board.card(aliceCard.id);
    await bobCard.expectTitle(original);

    // Every sync socket Bob's page opens from now on (passed through to the server, and counted).
    const socketsOpened: string[] = [];
    await bob.page.routeWebSocket(/\/socket\.io\//, (ws: WebSocketRoute) => {
      socketsOpened.push(ws.url());
      ws.connectToServer();
    });

    // Bob goes offline: the app's simulator and the browser's network both.
    await bob.board.inspector.goOffline();
    await bob.context.setOffline(true);
    await bob.board.editCard(bobCard, { title: edited });
    await bobCard.expectTitle(edited);
    await expect(bobCard.pending).toBeVisible();
    await expect(bob.board.pendingCount).toHaveText("1");
    await expect(bob.board.connection).toHaveText("offline");
    await expect(bob.board.inspector.pendingList).toContainText(`title=${edited.slice(0, 24)}`);

    // Reload (HTTP back, so the page can load) while the app is still offline.
    await bob.context.setOffline(false);
    await bob.page.reload();
    await expect(bob.board.title).toHaveText(boardName);
    await expect(bob.board.connection).toHaveText("offline");
    // The reloaded tab restored its replica from IndexedDB: the edit is still there and still pending.
    await bobCard.expectTitle(edited);
    await expect(bobCard.pending).toBeVisible();
    await expect(bob.board.pendingCount).toHaveText("1");
    await bob.board.inspector.open();
    await expect(bob.board.inspector.offlineToggle).toHaveAttribute("aria-pressed", "true");
    await expect(bob.board.inspector.pendingList).toContainText(`title=${edited.slice(0, 24)}`);
    // Offline means offline: the reloaded tab opened no socket, and nothing reached the server.
    expect(socketsOpened).toEqual([]);
    await aliceCard.expectTitle(original);
    await expect(alice.board.inspector.cardVersion).toHaveText(String(versionBefore));

    await bob.board.inspector.goOnline();
    await bob.board.expectSynced();
    await expect(bobCard.pending).toHaveCount(0);
    await bobCard.expectTitle(edited);
    expect(socketsOpened.length).toBeGreaterThan(0);

    // Alice sees it, and the card's version rose by exactly one: applied once, not replayed twice.
    await aliceCard.expectTitle(edited);
    await expect(alice.board.inspector.cardVersion).toHaveText(String(versionBefore + 1));
    await (await bob.board.openCard(bobCard)).closeWithoutSaving();
    await expect(bob.board.inspector.cardVersion).toHaveText(String(versionBefore + 1));
    await expect(alice.board.inspector.cardVersion).toHaveText(String(versionBefore + 1));
  });

  test("REPLICA-3: with the browser really offline, a reload opens the board from the offline shell with its pending edit", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const boardName = `Shell ${uid}`;
    const original = `Before ${uid}`;
    const edited = `Edited with no network ${uid}`;
    const board = await alice.boards.createBoard(boardName, "lww");
    const aliceCard = await alice.board.addCard(original);

    await bob.board.goto(board.boardId, boardName);
    const bobCard = bob.board.card(aliceCard.id);
    await bobCard.expectTitle(original);
    await expect(bob.page.locator("html[data-offline-ready=true]")).toHaveCount(1);

    await bob.board.inspector.goOffline();
    await bob.context.setOffline(true);
    await bob.board.editCard(bobCard, { title: edited });
    await expect(bob.board.pendingCount).toHaveText("1");

    await bob.page.reload(); // no network at all: only the service worker can answer
    await expect(bob.board.title).toHaveText(boardName);
    await bobCard.expectTitle(edited);
    await expect(bobCard.pending).toBeVisible();
    await expect(bob.board.pendingCount).toHaveText("1");
    await aliceCard.expectTitle(original);

    await bob.context.setOffline(false);
    await bob.board.inspector.open();
    await bob.board.inspector.goOnline();
    await bob.board.expectSynced();
    await aliceCard.expectTitle(edited);
  });
});
