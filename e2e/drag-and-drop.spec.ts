import { expect, test } from "./fixtures";

test.describe("drag and drop (SPEC POS-1, POS-2)", () => {
  test("Alice reorders a column and moves a card to another column with the mouse; Bob's tab shows it live", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const boardName = `Drag ${uid}`;
    const board = await alice.boards.createBoard(boardName, "occ");
    const a = await alice.board.addCard(`A ${uid}`);
    await alice.board.addCard(`B ${uid}`);
    const c = await alice.board.addCard(`C ${uid}`);
    await bob.board.goto(board.boardId, boardName);
    await bob.board.expectColumn("todo", [`A ${uid}`, `B ${uid}`, `C ${uid}`]);

    // Within a column: C goes above A.
    await alice.board.dragWithMouse(c, a.root, "top");
    await alice.board.expectColumn("todo", [`C ${uid}`, `A ${uid}`, `B ${uid}`]);
    await alice.board.expectSynced();
    await bob.board.expectColumn("todo", [`C ${uid}`, `A ${uid}`, `B ${uid}`]);

    // To another column (an empty one): A goes to Doing.
    await alice.board.dragWithMouse(a, alice.board.column("doing"));
    await alice.board.expectColumn("doing", [`A ${uid}`]);
    await alice.board.expectSynced();
    await bob.board.expectColumn("doing", [`A ${uid}`]);
    await bob.board.expectColumn("todo", [`C ${uid}`, `B ${uid}`]);

    // A click without movement still opens the card; a status changed in the editor lands at the end of that column.
    const editor = await alice.board.openCard(c);
    await editor.root.getByTestId("editor-status").selectOption("doing");
    await editor.saveAndClose();
    await alice.board.expectColumn("doing", [`A ${uid}`, `C ${uid}`]);
    await alice.board.expectSynced();
    await bob.board.expectColumn("doing", [`A ${uid}`, `C ${uid}`]);
    await bob.board.expectColumn("todo", [`B ${uid}`]);
  });

  test("Alice moves a card with the keyboard only (grip, Space, arrows, Space), hears where it went, and Bob sees it move", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const boardName = `Keys ${uid}`;
    const board = await alice.boards.createBoard(boardName, "lww");
    const a = await alice.board.addCard(`A ${uid}`);
    const b = await alice.board.addCard(`B ${uid}`);
    await alice.board.addCard(`D ${uid}`, "doing");
    await bob.board.goto(board.boardId, boardName);

    await alice.board.pickUpWithKeyboard(a);
    await expect(alice.board.dragAnnouncement()).toContainText(`Picked up card “A ${uid}” in To do, position 1 of 2`);
    await alice.page.keyboard.press("ArrowRight");
    await expect(alice.board.dragAnnouncement()).toContainText("Doing");
    await alice.page.keyboard.press("Space");
    await expect(alice.board.dragAnnouncement()).toContainText(`Card “A ${uid}” was dropped in Doing`);
    await expect.poll(async () => (await alice.board.column("doing").locator("[data-card-title]").count())).toBe(2);
    await alice.board.expectColumn("todo", [`B ${uid}`]);
    await alice.board.expectSynced();
    const doing = await alice.board.column("doing").locator("[data-card-title]").evaluateAll((els) => els.map((e) => e.getAttribute("data-card-title")));
    expect([...doing].sort()).toEqual([`A ${uid}`, `D ${uid}`]);
    await bob.board.expectColumn("doing", doing as string[]);
    await bob.board.expectColumn("todo", [`B ${uid}`]);

    // Within a column: B's grip, Space, ArrowDown would have nowhere to go; Escape cancels and nothing changes.
    await alice.board.pickUpWithKeyboard(b);
    await alice.page.keyboard.press("Escape");
    await expect(alice.board.dragAnnouncement()).toContainText("Moving was cancelled");
    await alice.board.expectColumn("todo", [`B ${uid}`]);
    // Focus stays on the grip after a keyboard drag, so the next move can follow.
    await expect(b.grip).toBeFocused();
  });
});
