import { expect, test } from "./fixtures";

test.describe("live edits (FEED-1, REPL-1)", () => {
  test("Bob sees Alice's title edit live, highlighted, without reloading", async ({ actors, uid }) => {
    const [alice, bob] = await actors("Alice", "Bob");
    const boardName = `Live ${uid}`;
    const first = `First title ${uid}`;
    const second = `Edited by Alice ${uid}`;

    const board = await alice.boards.createBoard(boardName, "occ");
    const card = await alice.board.addCard(first);

    await bob.board.goto(board.boardId, boardName);
    const bobCard = bob.board.card(card.id);
    await bobCard.expectTitle(first);
    // Nothing happened since Bob loaded the board: no highlight yet.
    await expect(bobCard.highlight).toHaveCount(0);

    await alice.board.editCard(card, { title: second });
    await alice.board.expectSynced();
    await card.expectTitle(second);

    // Bob's tab was never reloaded: the change arrived over the socket.
    await bobCard.expectTitle(second);
    await expect(bobCard.highlight).toBeVisible();
    // The highlight is for other people's changes only.
    await expect(card.highlight).toHaveCount(0);
    await bob.board.expectSynced();
  });
});
