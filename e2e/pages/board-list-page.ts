import { expect, type Locator, type Page } from "@playwright/test";
import { BoardPage } from "./board-page";

export type Policy = "occ" | "lww" | "mvr";

/** The signed-in home: the board list and the "New board" form. */
export class BoardListPage {
  readonly nameInput: Locator;
  readonly policySelect: Locator;
  readonly visibilitySelect: Locator;
  readonly createButton: Locator;

  constructor(readonly page: Page) {
    this.nameInput = page.getByTestId("board-name-input");
    this.policySelect = page.getByTestId("board-policy-select");
    this.visibilitySelect = page.getByTestId("board-visibility-select");
    this.createButton = page.getByTestId("board-create");
  }

  async goto(): Promise<void> {
    await this.page.goto("/");
    await expect(this.page.getByTestId("connection")).toHaveText("online");
  }

  /** Creates a board through the form; the app then opens it. Returns the open, online board page. */
  async createBoard(name: string, policy: Policy, visibility: "open" | "private" = "open"): Promise<BoardPage> {
    await expect(this.page.getByTestId("connection")).toHaveText("online");
    await this.nameInput.fill(name);
    await this.policySelect.selectOption(policy);
    await this.visibilitySelect.selectOption(visibility);
    await this.createButton.click();
    await this.page.waitForURL(/\/b\/[^/]+$/);
    const board = new BoardPage(this.page);
    await board.expectReady(name);
    return board;
  }
}
