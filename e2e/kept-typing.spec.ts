import type { Actor } from "./fixtures";
import { expect, test } from "./fixtures";
import { BoardPage, type CardTile } from "./pages/board-page";

/** Issue 12 item 5: nothing a person typed is lost. */

const BASE_BODY = "line one\nline two";

/** An occ board with one card whose body is BASE_BODY; Bob has the board open too. */
async function boardWithCard(alice: Actor, bob: Actor, uid: string): Promise<CardTile> {
  const boardName = `Kept ${uid}`;
  const board = await alice.boards.createBoard(boardName, "occ");
  const card = await alice.board.addCard(`Card ${uid}`);
  await alice.board.editCard(card, { body: BASE_BODY });
  await alice.board.expectSynced();
  await bob.board.goto(board.boardId, boardName);
  await expect(bob.board.card(card.id).excerpt).toHaveText("line one");
  return card;
}

test.describe("nothing a person typed is lost", () => {
  test("OCC-3: a merge that still holds diff3 markers cannot be saved until the marked lines are resolved", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const card = await boardWithCard(alice, bob, uid);
    const bobCard = bob.board.card(card.id);

    await bob.board.inspector.goOffline();
    await alice.board.editCard(card, { body: "line one (Alice)\nline two" });
    await alice.board.expectSynced();
    await bob.board.editCard(bobCard, { body: "line one (Bob)\nline two" });
    // Offline, Bob's edit waits; the card says so instead of "Syncing", and the outbox says it was not sent.
    await expect(bobCard.pending).toHaveText("waiting to sync — offline");
    await expect(bob.board.inspector.pendingList).toContainText("not sent yet");
    await bob.board.inspector.goOnline();

    const dialog = bob.board.conflict;
    await expect(dialog.root).toBeVisible();
    const body = dialog.field("body");
    // Both changed line one: the merge holds markers on lines 1, 3 and 5.
    await expect(body.merge).toHaveValue(/^<<<<<<< mine\nline one \(Bob\)\n=======\nline one \(Alice\)\n>>>>>>> theirs\nline two$/);
    await body.useMerge.click();
    await expect(body.useMerge).toHaveAttribute("aria-pressed", "true");
    await expect(body.markers).toHaveText(/Conflict markers remain on lines 1, 3, 5/);
    await expect(dialog.resolve, "Use merge must not save text still holding <<<<<<< markers").toBeDisabled();
    await expect(dialog.root.getByTestId("conflict-resolve-blocked")).toBeVisible();
    await bob.page.screenshot({ path: "/tmp/kept-typing-markers.png" });

    // Removing only some markers is not enough.
    await body.merge.fill("line one (Bob)\n=======\nline one (Alice)\nline two");
    await expect(body.markers).toHaveText(/line 2:/);
    await expect(dialog.resolve).toBeDisabled();

    await body.merge.fill("line one (Bob and Alice)\nline two");
    await expect(body.markers).toHaveCount(0);
    await expect(dialog.resolve).toBeEnabled();
    await dialog.resolve.click();
    await expect(dialog.root).toBeHidden();
    await bob.board.expectSynced();
    await alice.board.readBody(card, "line one (Bob and Alice)\nline two");
  });

  test("OUTBOX-5: an edit refused with LOCKED keeps the typing: restore it into the editor and save it once the lock is gone", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const card = await boardWithCard(alice, bob, uid);
    const bobCard = bob.board.card(card.id);
    const typed = `A long paragraph Alice typed offline ${uid}\nwith a second line`;

    await alice.board.inspector.goOffline();
    await alice.board.editCard(card, { body: typed });
    await expect(card.pending).toHaveText("waiting to sync — offline");

    // Meanwhile Bob takes the card's lock.
    await bob.board.openCard(bobCard);
    await bob.page.getByTestId("editor-lock").click();
    await expect(bob.page.getByTestId("editor-lock")).toHaveAttribute("aria-pressed", "true");
    await expect(card.root.getByTestId("card-lock")).toHaveCount(0);

    await alice.board.inspector.goOnline();
    const notice = alice.board.keptNotice();
    await expect(notice).toContainText(/Your edit to body was refused: .*\(LOCKED\)/);
    await expect(notice.getByTestId("notice-typed")).toHaveText(typed);
    await expect(notice.getByTestId("notice-restore")).toBeVisible();
    await expect(notice.getByTestId("notice-copy")).toBeVisible();
    await alice.board.expectSynced();
    await alice.page.screenshot({ path: "/tmp/kept-typing-restore.png" });

    // Bob lets go; Alice restores her typing into the editor and saves it.
    await bob.page.getByTestId("editor-lock").click();
    await expect(bob.page.getByTestId("editor-lock")).toHaveAttribute("aria-pressed", "false");
    await bob.board.editor.closeWithoutSaving();
    await expect(card.root.getByTestId("card-lock")).toHaveCount(0);

    // Restored, then closed unsaved: the notice comes back with the typing.
    const editor = alice.board.editor;
    await notice.getByTestId("notice-restore").click();
    await editor.expectOpen();
    await expect(editor.body).toHaveValue(typed);
    await expect(notice).toHaveCount(0);
    await editor.closeWithoutSaving();
    await expect(notice.getByTestId("notice-typed")).toHaveText(typed);

    // Restored and saved: the typing is a write again, its old notice is done.
    await notice.getByTestId("notice-restore").click();
    await expect(editor.body).toHaveValue(typed);
    await editor.saveAndClose();
    await alice.board.expectSynced();
    await expect(notice).toHaveCount(0);
    await bob.board.readBody(bobCard, typed);
  });

  test("OUTBOX-5: an edit of a card deleted meanwhile offers its text to copy (no editor to restore into)", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    await alice.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const card = await boardWithCard(alice, bob, uid);
    const typed = `Text of a card about to vanish ${uid}`;

    await alice.board.inspector.goOffline();
    await alice.board.editCard(card, { body: typed });

    const bobEditor = await bob.board.openCard(bob.board.card(card.id));
    await bobEditor.root.getByTestId("editor-delete").click();
    await bobEditor.root.getByTestId("editor-delete-confirm").click();
    await expect(bob.board.card(card.id).root).toHaveCount(0);

    await alice.board.inspector.goOnline();
    const notice = alice.board.keptNotice();
    await expect(notice).toContainText(/Your edit to body was refused/);
    await expect(notice.getByTestId("notice-typed")).toHaveText(typed);
    await expect(notice.getByTestId("notice-restore")).toHaveCount(0);
    await notice.getByTestId("notice-copy").click();
    await expect(notice.getByTestId("notice-copy")).toHaveText("Copied");
    expect(await alice.page.evaluate(() => navigator.clipboard.readText())).toBe(typed);
    // It stays until dismissed.
    await notice.getByTestId("notice-dismiss").click();
    await expect(notice).toHaveCount(0);
  });

  test("a card deleted while its editor holds unsaved typing keeps that typing on screen to copy", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    await alice.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const card = await boardWithCard(alice, bob, uid);
    const typed = `Half a paragraph, not saved yet ${uid}`;

    const editor = await alice.board.openCard(card);
    await editor.body.fill(typed);
    const bobEditor = await bob.board.openCard(bob.board.card(card.id));
    await bobEditor.root.getByTestId("editor-delete").click();
    await bobEditor.root.getByTestId("editor-delete-confirm").click();

    await expect(editor.root.getByTestId("editor-card-deleted")).toContainText("copy it before you close");
    await expect(editor.root.getByTestId("editor-typed")).toHaveText(typed);
    await editor.root.getByTestId("editor-copy-typed").click();
    await expect(editor.root.getByTestId("editor-copy-typed")).toHaveText("Copied");
    expect(await alice.page.evaluate(() => navigator.clipboard.readText())).toBe(typed);
  });

  test("Escape or a click outside does not throw away an editor's unsaved typing; Cancel does, on purpose", async ({ actors, uid }) => {
    const [alice] = await actors("Alice");
    await alice.boards.createBoard(`Unsaved ${uid}`, "occ");
    const card = await alice.board.addCard(`Card ${uid}`);
    const editor = await alice.board.openCard(card);
    await editor.page.keyboard.press("Escape");
    await expect(editor.root).toBeHidden(); // nothing typed: Escape closes

    await alice.board.openCard(card);
    await editor.body.fill(`Typed ${uid}`);
    await editor.page.keyboard.press("Escape");
    await expect(editor.root.getByTestId("editor-unsaved")).toContainText("unsaved changes");
    await editor.page.mouse.click(5, 5); // the backdrop
    await expect(editor.root).toBeVisible();
    await expect(editor.body).toHaveValue(`Typed ${uid}`);
    await editor.root.getByRole("button", { name: "Cancel" }).click();
    await expect(editor.root).toBeHidden();
  });

  test("labels say what is true: a conflict with the same person's other tab says 'your other tab', not their name", async ({ actors, uid }) => {
    const [alice] = await actors("Alice");
    const boardName = `Two tabs ${uid}`;
    const board = await alice.boards.createBoard(boardName, "occ");
    const card = await alice.board.addCard(`Card ${uid}`);
    const tab2 = new BoardPage(await alice.context.newPage());
    await tab2.goto(board.boardId, boardName);
    const card2 = tab2.card(card.id);
    await card2.expectTitle(`Card ${uid}`);

    await tab2.inspector.goOffline();
    await alice.board.editCard(card, { title: `First tab ${uid}` });
    await alice.board.expectSynced();
    await tab2.editCard(card2, { title: `Second tab ${uid}` });
    await tab2.inspector.goOnline();

    const dialog = tab2.conflict;
    await expect(dialog.root).toBeVisible();
    await expect(dialog.root).toContainText("Your other tab saved this field");
    await expect(dialog.field("title").root).toContainText("Theirs · your other tab");
    await expect(dialog.root).not.toContainText("(you)");
  });
});
