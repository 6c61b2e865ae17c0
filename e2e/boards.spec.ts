import type { Page, TestInfo } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { expectNoSeriousViolations } from "./axe";
import { expect, test } from "./fixtures";

/**
 * Boards people manage and links they share (issue 13 part A): rename and delete seen in
 * another tab (SPEC BOARD-1, BOARD-4, BOARD-6), the list's sections with owners and card counts
 * (BOARD-7), card links (`/b/:board/c/:card`), invite links that admit after sign-in
 * (ACCESS-3), the private-board page's ways forward (ACCESS-2), and the styled 404.
 */

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: false });
  await testInfo.attach(name, { path, contentType: "image/png" });
}


test.describe("boards and links (BOARD-1 … BOARD-7, ACCESS-2, ACCESS-3)", () => {
  test("rename and delete a board, and see both in another tab", async ({ actors, uid }) => {
    const [olive] = await actors(`Olive ${uid}`);
    const board = await olive.boards.createBoard(`Plans ${uid}`, "occ");
    const boardId = board.boardId;
    await board.addCard(`First ${uid}`);
    await olive.boards.goto();
    const other = await olive.context.newPage();
    await other.goto("/");
    const tileHere = olive.page.getByTestId(`board-tile-${boardId}`);
    const tileThere = other.getByTestId(`board-tile-${boardId}`);
    await expect(olive.page.getByTestId("boards-mine").getByTestId(`board-tile-${boardId}`)).toBeVisible();
    await expect(tileThere.getByTestId("board-tile-cards")).toHaveText("1 card · yours");

    await tileHere.getByTestId("board-actions").click();
    await tileHere.getByTestId("board-rename").click();
    await tileHere.getByTestId("board-rename-input").fill(`Renamed ${uid}`);
    await tileHere.getByTestId("board-rename-save").click();
    await expect(tileHere.getByRole("link")).toHaveText(`Renamed ${uid}`);
    await expect(tileThere.getByRole("link")).toHaveText(`Renamed ${uid}`);

    await tileHere.getByTestId("board-actions").click();
    await tileHere.getByTestId("board-delete").click();
    await expect(olive.page.getByTestId("board-confirm")).toContainText(`Delete “Renamed ${uid}”?`);
    await olive.page.getByTestId("board-confirm-ok").click();
    await expect(tileHere).toHaveCount(0);
    await expect(tileThere).toHaveCount(0);
    await other.goto(`/b/${encodeURIComponent(boardId)}`);
    await expect(other.getByTestId("board-unavailable")).toBeVisible();
    await expect(other.getByRole("button", { name: "Retry" })).toHaveCount(0);
  });

  test("a card link opens the card (Back closes it), also in a new browser", async ({ actors, uid }) => {
    const [olive, max] = await actors(`Olive ${uid}`, `Max ${uid}`);
    const board = await olive.boards.createBoard(`Linked ${uid}`, "lww");
    const card = await board.addCard(`Linked card ${uid}`);
    const boardUrl = olive.page.url();
    await board.openCard(card);
    await expect(olive.page).toHaveURL(new RegExp(`/b/${board.boardId}/c/${card.id}$`));
    const link = olive.page.url();
    await olive.page.goBack();
    await expect(board.editor.root).toHaveCount(0);
    await expect(olive.page).toHaveURL(boardUrl);
    await olive.page.goForward();
    await board.editor.expectOpen();
    await expect(board.editor.title).toHaveValue(`Linked card ${uid}`);
    await board.editor.closeWithoutSaving();
    await expect(olive.page).toHaveURL(boardUrl);

    await max.page.goto(link);
    await new BoardPage(max.page).editor.expectOpen();
    await expect(max.page.getByTestId("card-editor").getByTestId("editor-title")).toHaveValue(`Linked card ${uid}`);
  });

  test("an invite link admits after sign-in; the private-board page takes a pasted link", async ({ actors, browser, baseURL, uid }, testInfo) => {
    const [olive, eve] = await actors(`Olive ${uid}`, `Eve ${uid}`);
    const board = await olive.boards.createBoard(`Secret ${uid}`, "mvr", "private");
    await board.addCard(`Hidden ${uid}`);
    await olive.page.getByTestId("invite-button").click();
    const link = (await olive.page.getByTestId("invite-link").textContent())!;
    expect(link).toMatch(/\/join\/[A-Za-z0-9_-]+$/);

    // Eve, signed in but not invited: no dead end, no Retry; she pastes the link there.
    await eve.page.goto(`/b/${encodeURIComponent(board.boardId)}`);
    await expect(eve.page.getByTestId("board-unavailable")).toContainText("This board is private, or it does not exist");
    await expect(eve.page.getByRole("button", { name: "Retry" })).toHaveCount(0);
    await expect(eve.page.getByTestId("switch-account")).toBeVisible();
    await shot(eve.page, testInfo, "private-board-1400");
    await eve.page.getByTestId("invite-code-input").fill(link);
    await eve.page.getByTestId("invite-accept").click();
    await new BoardPage(eve.page).expectReady(`Secret ${uid}`);

    // Someone not signed in at all follows the link: signs in, lands on the board, sees it under "Shared with me".
    const fresh = await browser.newContext({ baseURL });
    const page = await fresh.newPage();
    await page.goto(link);
    await expect(page.getByText("You were invited to a board")).toBeVisible();
    await page.getByTestId("signin-name").fill(`Newcomer ${uid}`);
    await page.getByTestId("signin-submit").click();
    await new BoardPage(page).expectReady(`Secret ${uid}`);
    await page.goto("/");
    const shared = page.getByTestId("boards-shared").getByTestId(`board-tile-${board.boardId}`);
    await expect(shared.getByTestId("board-tile-cards")).toContainText(`1 card · by Olive ${uid} #`);
    await fresh.close();
  });

  test("the new pages pass axe: create account, the board menu and its confirmation, a private board's page", async ({ actors, uid }) => {
    const [olive, eve] = await actors(`Olive ${uid}`, `Eve ${uid}`);
    const boardId = (await olive.boards.createBoard(`Axe ${uid}`, "occ", "private")).boardId;
    await olive.boards.goto();
    const tile = olive.page.getByTestId(`board-tile-${boardId}`);
    await tile.getByTestId("board-actions").click();
    await expectNoSeriousViolations(olive.page, "the board list with a board's menu open");
    await tile.getByTestId("board-delete").click();
    await expectNoSeriousViolations(olive.page, "the delete confirmation");
    await olive.page.keyboard.press("Escape");
    await olive.page.getByTestId("create-account").click();
    await expectNoSeriousViolations(olive.page, "the create-account page");
    await eve.page.goto(`/b/${encodeURIComponent(boardId)}`);
    await expect(eve.page.getByTestId("board-unavailable")).toBeVisible();
    await expectNoSeriousViolations(eve.page, "a private board's page");
  });

  test("unknown URLs get a styled 404 with a way back", async ({ page }) => {
    const res = await page.goto("/no/such/page");
    expect(res?.status()).toBe(404);
    await expect(page.getByTestId("not-found")).toBeVisible();
    await expectNoSeriousViolations(page, "the 404 page");
    await page.getByRole("link", { name: "Go to your boards" }).click();
    await expect(page.getByTestId("signin-name")).toBeVisible();
  });

  test("screenshots: sign-in and board list at 1400x900 and 390x844", async ({ browser, baseURL, uid }, testInfo) => {
    for (const [w, h] of [
      [1400, 900],
      [390, 844],
    ] as const) {
      const ctx = await browser.newContext({ baseURL, viewport: { width: w, height: h } });
      const page = await ctx.newPage();
      await page.goto("/");
      await page.getByTestId("signin-mode-signup").click();
      await shot(page, testInfo, `signup-${w}`);
      await page.getByTestId("signin-mode-signin").click();
      await page.getByTestId("signin-name").fill("nobody here");
      await page.getByTestId("signin-password").fill("wrong password");
      await page.getByTestId("signin-submit").click();
      await expect(page.getByTestId("signin-error")).toHaveText("Wrong name or password.");
      await shot(page, testInfo, `signin-error-${w}`);
      await page.getByTestId("signin-mode-signup").click();
      await page.getByTestId("signin-name").fill(`Shot ${w} ${uid}`);
      await page.getByTestId("signin-password").fill("a long enough password");
      await page.getByTestId("signin-submit").click();
      await expect(page.getByTestId("connection")).toHaveText("online");
      await page.getByTestId("board-name-input").fill(`Roadmap ${w}`);
      await page.getByTestId("board-create").click();
      await page.waitForURL(/\/b\/[^/]+$/);
      await page.goto("/");
      await expect(page.getByTestId("boards-mine").getByRole("link", { name: `Roadmap ${w}` })).toBeVisible();
      await shot(page, testInfo, `board-list-${w}`);
      await page.getByTestId("boards-mine").getByTestId("board-actions").first().click();
      await shot(page, testInfo, `board-actions-${w}`);
      await page.goto("/no/such/page");
      await shot(page, testInfo, `not-found-${w}`);
      await ctx.close();
    }
  });
});
