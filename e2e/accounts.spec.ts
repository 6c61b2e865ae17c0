import { BoardListPage } from "./pages/board-list-page";
import { BoardPage } from "./pages/board-page";
import { expect, test } from "./fixtures";

/**
 * Accounts a person can return to (SPEC ACCOUNT-1 … ACCOUNT-4, issue 13): sign up, sign out,
 * sign back in from another browser (a new context: no cookie, no localStorage) and open one's
 * private board; a guest keeps its boards by creating an account.
 */
test.describe("accounts (ACCOUNT-1 … ACCOUNT-4)", () => {
  test("sign up, sign out, sign back in from a new browser and open one's private board", async ({ browser, baseURL, uid }) => {
    const name = `Ada ${uid}`;
    const password = "notes on the engine";
    const first = await browser.newContext({ baseURL });
    const page = await first.newPage();
    await page.goto("/");
    await page.getByTestId("signin-mode-signup").click();
    await page.getByTestId("signin-name").fill(name);
    await page.getByTestId("signin-password").fill(password);
    await page.getByTestId("signin-submit").click();
    await expect(page.getByTestId("current-user")).toHaveText(name);
    await expect(page.getByTestId("current-user-handle")).toHaveText(/^#[0-9a-f]{4}$/);
    const list = new BoardListPage(page);
    const board = await list.createBoard(`Private ${uid}`, "occ", "private");
    const boardId = board.boardId;
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByTestId("signin-name")).toBeVisible();
    await first.close();

    const second = await browser.newContext({ baseURL });
    const again = await second.newPage();
    await again.goto(`/b/${encodeURIComponent(boardId)}`);
    await again.getByTestId("signin-mode-signin").click();
    await again.getByTestId("signin-name").fill(name.toUpperCase());
    await again.getByTestId("signin-password").fill("not the password");
    await again.getByTestId("signin-submit").click();
    await expect(again.getByTestId("signin-error")).toHaveText("Wrong name or password.");
    await again.getByTestId("signin-password").fill(password);
    await again.getByTestId("signin-submit").click();
    await new BoardPage(again).expectReady(`Private ${uid}`);
    await second.close();
  });

  test("a guest creates an account and keeps its private board", async ({ actors, browser, baseURL, uid }) => {
    const [guest] = await actors(`Grace ${uid}`);
    await guest.boards.createBoard(`Kept ${uid}`, "lww", "private");
    const boardId = guest.board.boardId;
    await guest.page.goto("/");
    await guest.page.getByTestId("create-account").click();
    await expect(guest.page.getByRole("heading", { name: "Keep your boards: create an account" })).toBeVisible();
    await guest.page.getByTestId("signin-name").fill(`Grace Hopper ${uid}`);
    await guest.page.getByTestId("signin-password").fill("compilers are fun");
    await guest.page.getByTestId("signin-submit").click();
    await expect(guest.page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await guest.page.getByRole("link", { name: "Back to boards" }).click();
    await expect(guest.page.getByTestId("current-user")).toHaveText(`Grace Hopper ${uid}`);
    await expect(guest.page.getByTestId("create-account")).toHaveCount(0);

    const elsewhere = await browser.newContext({ baseURL });
    const page = await elsewhere.newPage();
    await page.goto("/");
    await page.getByTestId("signin-mode-signin").click();
    await page.getByTestId("signin-name").fill(`Grace Hopper ${uid}`);
    await page.getByTestId("signin-password").fill("compilers are fun");
    await page.getByTestId("signin-submit").click();
    await expect(page.getByTestId("current-user")).toHaveText(`Grace Hopper ${uid}`);
    await new BoardPage(page).goto(boardId, `Kept ${uid}`);
    await elsewhere.close();
  });
});
