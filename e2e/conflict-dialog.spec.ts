import type { Actor } from "./fixtures";
import { expect, test } from "./fixtures";
import type { CardTile } from "./pages/board-page";

const BASE_BODY = "line one\nline two\nline three";
const ALICE_BODY = "line one (Alice)\nline two\nline three";
const BOB_BODY = "line one\nline two\nline three (Bob)";
const MERGED_BODY = "line one (Alice)\nline two\nline three (Bob)";

/** An occ board with one card whose body is the three-line base; Bob has it open too. */
async function boardWithCard(alice: Actor, bob: Actor, uid: string): Promise<{ card: CardTile; baseTitle: string }> {
  const boardName = `Conflict ${uid}`;
  const baseTitle = `Base title ${uid}`;
  const board = await alice.boards.createBoard(boardName, "occ");
  const card = await alice.board.addCard(baseTitle);
  await alice.board.editCard(card, { body: BASE_BODY });
  await alice.board.expectSynced();
  await bob.board.goto(board.boardId, boardName);
  await expect(bob.board.card(card.id).excerpt).toHaveText("line one");
  return { card, baseTitle };
}

test.describe("occ conflict dialog (OCC-2, OCC-3)", () => {
  test("OCC-3: stale save shows base/mine/theirs, body merges three-way, keyboard resolve converges both tabs", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const { card, baseTitle } = await boardWithCard(alice, bob, uid);
    const aliceTitle = `Alice title ${uid}`;
    const bobTitle = `Bob title ${uid}`;
    const bobCard = bob.board.card(card.id);

    // Bob's tab goes offline (simulator) so his save is deterministically based on the same version as Alice's.
    await bob.board.inspector.goOffline();

    const aliceEditor = await alice.board.openCard(card);
    const bobEditor = await bob.board.openCard(bobCard);
    await expect(aliceEditor.version).toHaveText("v2");
    await expect(bobEditor.version).toHaveText("v2");

    await aliceEditor.title.fill(aliceTitle);
    await aliceEditor.body.fill(ALICE_BODY);
    await aliceEditor.saveAndClose();
    await alice.board.expectSynced();

    await bobEditor.title.fill(bobTitle);
    await bobEditor.body.fill(BOB_BODY);
    await bobEditor.saveAndClose();
    await expect(bob.board.pendingCount).toHaveText("1");
    await expect(bobCard.pending).toBeVisible();

    await bob.board.inspector.goOnline();

    const dialog = bob.board.conflict;
    await expect(dialog.root).toBeVisible();
    await expect(dialog.root).toHaveAttribute("role", "dialog");
    // The rejected write left the outbox: it now waits for Bob's decision, not for the server.
    await expect(bob.board.pendingCount).toHaveText("0");

    const title = dialog.field("title");
    await expect(title.base).toHaveText(baseTitle);
    await expect(title.mine).toHaveText(bobTitle);
    await expect(title.theirs).toHaveText(aliceTitle);

    const body = dialog.field("body");
    await expect(body.base).toHaveText(BASE_BODY);
    await expect(body.mine).toHaveText(BOB_BODY);
    await expect(body.theirs).toHaveText(ALICE_BODY);
    // diff3: Alice changed line one, Bob line three: a clean merge holding both changes.
    await expect(body.merge).toHaveValue(MERGED_BODY);
    await expect(body.root).toContainText("merged cleanly");

    // Nothing chosen yet: Resolve is disabled.
    await expect(dialog.resolve).toBeDisabled();

    // Keyboard only from here. Focus starts inside the dialog and stays there.
    await expect.poll(() => dialog.hasFocusInside()).toBe(true);
    // The dialog has no dismiss action: Escape must not silently drop Bob's edit.
    await bob.page.keyboard.press("Escape");
    await expect(dialog.root).toBeVisible();

    expect(await dialog.tabTo(title.keepMine)).toBe(true);
    await bob.page.keyboard.press("Enter");
    await expect(title.keepMine).toHaveAttribute("aria-pressed", "true");

    expect(await dialog.tabTo(body.useMerge)).toBe(true);
    await bob.page.keyboard.press("Space");
    await expect(body.useMerge).toHaveAttribute("aria-pressed", "true");

    await expect(dialog.resolve).toBeEnabled();
    expect(await dialog.tabTo(dialog.discard)).toBe(true);
    expect(await dialog.tabTo(dialog.resolve)).toBe(true);
    await bob.page.keyboard.press("Enter");
    await expect(dialog.root).toBeHidden();

    // Both tabs converge on Bob's title and the merged body, and nothing stays pending.
    await bob.board.expectSynced();
    await bobCard.expectTitle(bobTitle);
    await card.expectTitle(bobTitle);
    await alice.board.expectSynced();
    await bob.board.readBody(bobCard, MERGED_BODY);
    await alice.board.readBody(card, MERGED_BODY);
    await expect(alice.board.conflict.root).toHaveCount(0);
  });

  test("OCC-2: a save from an editor opened before someone else's save conflicts instead of overwriting", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const { card } = await boardWithCard(alice, bob, uid);
    const aliceTitle = `Alice title ${uid}`;
    const bobTitle = `Bob title ${uid}`;
    const bobCard = bob.board.card(card.id);

    // Both online, both editors open on v2.
    const aliceEditor = await alice.board.openCard(card);
    const bobEditor = await bob.board.openCard(bobCard);
    await expect(aliceEditor.version).toHaveText("v2");
    await expect(bobEditor.version).toHaveText("v2");

    await bobEditor.title.fill(bobTitle);
    await bobEditor.body.fill(BOB_BODY);

    await aliceEditor.title.fill(aliceTitle);
    await aliceEditor.body.fill(ALICE_BODY);
    await aliceEditor.saveAndClose();
    await alice.board.expectSynced();

    // Alice's save has reached Bob's tab (his editor says so) while his own edits are still unsaved.
    await expect(bobEditor.version).toHaveText("v3");
    await expect(bobEditor.title).toHaveValue(bobTitle);
    await bobEditor.saveAndClose();

    // Bob never saw Alice's title or body: his save must not overwrite them silently.
    const dialog = bob.board.conflict;
    await expect(dialog.root, "Bob's edits were made on v2; saving them after Alice's v3 must be refused (OCC-2) and shown as a conflict (OCC-3), not applied over Alice's title and body").toBeVisible();
    await expect(dialog.field("title").theirs).toHaveText(aliceTitle);
    await expect(dialog.field("title").mine).toHaveText(bobTitle);
    await expect(dialog.field("body").merge).toHaveValue(MERGED_BODY);
  });
});
