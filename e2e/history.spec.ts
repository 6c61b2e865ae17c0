import { expect, test } from "./fixtures";

test.describe("history and restore (issue 13)", () => {
  test("each entry shows the values it set (a diff for the description); restoring an old version is a new write Bob sees live", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const boardName = `History ${uid}`;
    const board = await alice.boards.createBoard(boardName, "occ");
    const first = `First ${uid}`;
    const card = await alice.board.addCard(first);
    await alice.board.editCard(card, { body: "one\ntwo\nthree" });
    await alice.board.expectSynced();
    await alice.board.editCard(card, { title: `Second ${uid}`, body: "one\n2\nthree" });
    await alice.board.expectSynced();
    await bob.board.goto(board.boardId, boardName);
    await bob.board.card(card.id).expectTitle(`Second ${uid}`);

    const editor = await alice.board.openCard(card);
    await editor.showHistory();
    const v3 = editor.historyEntry(3);
    await expect(v3.locator('[data-field="title"]')).toContainText(`“${first}”`);
    await expect(v3.locator('[data-field="title"] ins')).toHaveText(`“Second ${uid}”`);
    await expect(v3.locator(".diff-removed")).toHaveText(/two/);
    await expect(v3.locator(".diff-added")).toHaveText(/2/);
    // The newest entry is what the card holds: nothing to restore there.
    await expect(v3.getByTestId("history-restore")).toHaveCount(0);

    // Version 2: the first title with the first description.
    await editor.historyEntry(2).getByRole("button", { name: "Restore version 2" }).click();
    await expect(editor.root.getByTestId("history-restored")).toContainText("Restored version 2 (title, description)");
    // A new, normal write: version 4, in the history and in Bob's tab.
    await expect(editor.historyEntry(4)).toBeVisible();
    await expect(editor.title).toHaveValue(first);
    await editor.closeWithoutSaving();
    await alice.board.expectSynced();
    await bob.board.card(card.id).expectTitle(first);
    await bob.board.readBody(bob.board.card(card.id), "one\ntwo\nthree");
  });
});
