import { expectNoSeriousViolations } from "./axe";
import { expect, test } from "./fixtures";
import { SignInPage } from "./pages/sign-in-page";

/**
 * axe-core on each main page (sign-in, the landing page, board list, board, board with the inspector open and a
 * card selected, the card editor): no serious or critical violation of WCAG 2.1 A/AA rules.
 */
test.describe("accessibility (axe-core)", () => {
  test("the sign-in page", async ({ page }) => {
    const signIn = new SignInPage(page);
    await signIn.goto();
    await expect(signIn.name).toBeVisible();
    await expectNoSeriousViolations(page, "the sign-in page");
  });

  test("the landing page (/about) with its architecture picture", async ({ page }) => {
    await page.goto("/about");
    await expect(page.getByTestId("architecture-diagram")).toBeVisible();
    await expectNoSeriousViolations(page, "the landing page");
  });

  test("the board list, a board, the inspector and the card editor", async ({ actors, uid }) => {
    const [ada] = await actors("Ada");
    await expect(ada.page.getByRole("heading", { name: "Your boards" })).toBeVisible();
    await expectNoSeriousViolations(ada.page, "the board list");

    const board = await ada.boards.createBoard(`A11y ${uid}`, "mvr");
    const card = await board.addCard(`Card ${uid}`);
    await board.addCard(`Doing ${uid}`, "doing");
    await expectNoSeriousViolations(ada.page, "a board");

    await board.inspector.open();
    const editor = await board.openCard(card);
    await expectNoSeriousViolations(ada.page, "the card editor");
    await editor.closeWithoutSaving();
    await expectNoSeriousViolations(ada.page, "a board with the inspector open");

    await ada.boards.goto();
    await expectNoSeriousViolations(ada.page, "the board list with boards");
  });

  test("a guided tour: its panel and ring, by keyboard alone", async ({ actors, uid }) => {
    const [ada] = await actors("Ada");
    const board = await ada.boards.createBoard(`A11y tour ${uid}`, "lww");
    await board.addCard(`Card ${uid}`);
    await ada.page.getByTestId("tour-start-lww").focus();
    await ada.page.keyboard.press("Enter");
    const tour = ada.page.getByTestId("tour");
    await expect(tour.getByTestId("tour-progress")).toHaveText("Step 1 of 7");
    await expect(tour.getByTestId("tour-next")).toBeFocused();
    await ada.page.keyboard.press("Enter");
    await expect(tour.getByTestId("tour-progress")).toHaveText("Step 2 of 7");
    await expectNoSeriousViolations(ada.page, "a guided tour");
    await ada.page.keyboard.press("Escape");
    await expect(tour).toBeHidden();
  });
});
