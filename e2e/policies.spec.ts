import type { Actor } from "./fixtures";
import { expect, test } from "./fixtures";
import type { Policy } from "./pages/board-list-page";
import type { CardTile } from "./pages/board-page";

/**
 * Concurrency made deterministic: Bob's tab goes offline through the inspector's network
 * simulator, both edit the same field, Bob comes back online, then the policy decides.
 */
async function setUp(alice: Actor, bob: Actor, policy: Policy, uid: string): Promise<{ aliceCard: CardTile; bobCard: CardTile; original: string }> {
  const boardName = `${policy.toUpperCase()} ${uid}`;
  const original = `Original ${uid}`;
  const board = await alice.boards.createBoard(boardName, policy);
  const aliceCard = await alice.board.addCard(original);
  await bob.board.goto(board.boardId, boardName);
  const bobCard = bob.board.card(aliceCard.id);
  await bobCard.expectTitle(original);
  await bob.board.inspector.goOffline();
  return { aliceCard, bobCard, original };
}

test.describe("conflict policies with two concurrent editors", () => {
  test("OCC-2: occ refuses Bob's stale write and asks him; discarding keeps Alice's value in both tabs", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const { aliceCard, bobCard, original } = await setUp(alice, bob, "occ", uid);
    const aliceTitle = `Alice ${uid}`;
    const bobTitle = `Bob ${uid}`;

    await bob.board.editCard(bobCard, { title: bobTitle });
    await alice.board.editCard(aliceCard, { title: aliceTitle });
    await alice.board.expectSynced();
    await bob.board.inspector.goOnline();

    const dialog = bob.board.conflict;
    await expect(dialog.root).toBeVisible();
    const title = dialog.field("title");
    await expect(title.base).toHaveText(original);
    await expect(title.mine).toHaveText(bobTitle);
    await expect(title.theirs).toHaveText(aliceTitle);
    // Only the field both changed is in conflict.
    await expect(dialog.field("body").root).toHaveCount(0);

    // Discard by keyboard.
    expect(await dialog.tabTo(dialog.discard)).toBe(true);
    await bob.page.keyboard.press("Enter");
    await expect(dialog.root).toBeHidden();

    await bob.board.expectSynced();
    await bobCard.expectTitle(aliceTitle);
    await aliceCard.expectTitle(aliceTitle);
  });

  test("LWW-1: lww picks the same winner in both tabs and tells the loser", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const { aliceCard, bobCard } = await setUp(alice, bob, "lww", uid);
    const aliceTitle = `Alice ${uid}`;
    const bobTitle = `Bob ${uid}`;

    // Bob edits first (older HLC) but his write reaches the server last.
    await bob.board.editCard(bobCard, { title: bobTitle });
    await bobCard.expectTitle(bobTitle);
    await expect(bob.board.pendingCount).toHaveText("1");
    await alice.board.editCard(aliceCard, { title: aliceTitle });
    await alice.board.expectSynced();

    await bob.board.inspector.goOnline();
    await bob.board.expectSynced();

    // The newer timestamp wins everywhere, whatever the arrival order.
    await bobCard.expectTitle(aliceTitle);
    await aliceCard.expectTitle(aliceTitle);
    await expect(bob.board.lwwNotice()).toBeVisible();
    await expect(bob.board.lwwNotice()).toContainText(/replaced by Alice/);
    await expect(alice.board.lwwNotice()).toHaveCount(0);
  });

  test("MVR-1/MVR-2: mvr keeps both concurrent values as siblings until one is picked", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const { aliceCard, bobCard } = await setUp(alice, bob, "mvr", uid);
    const aliceTitle = `Alice ${uid}`;
    const bobTitle = `Bob ${uid}`;

    await bob.board.editCard(bobCard, { title: bobTitle });
    await alice.board.editCard(aliceCard, { title: aliceTitle });
    await alice.board.expectSynced();
    await expect(aliceCard.siblings).toHaveCount(0);

    await bob.board.inspector.goOnline();
    await bob.board.expectSynced();

    // Neither write was dropped: both tabs mark the card, and show the same value meanwhile.
    await expect(bobCard.siblings).toBeVisible();
    await expect(aliceCard.siblings).toBeVisible();
    await expect(bobCard.siblings).toContainText("title has 2 values");
    await expect(aliceCard.siblings).toContainText("title has 2 values");
    const shown = await aliceCard.root.getAttribute("data-card-title");
    expect([aliceTitle, bobTitle]).toContain(shown);
    await bobCard.expectTitle(shown!);

    // Alice's editor lists both values too.
    const aliceEditor = await alice.board.openCard(aliceCard);
    await expect(aliceEditor.siblings("title")).toContainText(aliceTitle);
    await expect(aliceEditor.siblings("title")).toContainText(bobTitle);
    await aliceEditor.closeWithoutSaving();

    // Bob picks Alice's value, which resolves the siblings in both tabs.
    const bobEditor = await bob.board.openCard(bobCard);
    const picker = bobEditor.siblings("title");
    await expect(picker).toBeVisible();
    await expect(picker.locator(".sibling")).toHaveCount(2);
    await expect(bobEditor.siblingPick("title", aliceTitle)).toHaveCount(1);
    await expect(bobEditor.siblingPick("title", bobTitle)).toHaveCount(1);
    await bobEditor.siblingPick("title", aliceTitle).click();
    await expect(bobEditor.siblingPick("title", aliceTitle)).toHaveAttribute("aria-pressed", "true");
    await expect(bobEditor.title).toHaveValue(aliceTitle);
    await bobEditor.saveAndClose();

    await bob.board.expectSynced();
    await expect(bobCard.siblings).toHaveCount(0);
    await expect(aliceCard.siblings).toHaveCount(0);
    await bobCard.expectTitle(aliceTitle);
    await aliceCard.expectTitle(aliceTitle);
  });
});
