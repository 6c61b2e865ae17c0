import { expect, type Locator, type Page } from "@playwright/test";
import { BoardPage, type CardTile } from "./board-page";

/** "Try the demos" on the board list, and the guide a demo board opens with (its "Open the second tab"). */
export class Demos {
  readonly section: Locator;
  readonly tryButton: Locator;
  readonly guide: Locator;
  readonly openSecondTabButton: Locator;

  constructor(readonly page: Page) {
    this.section = page.getByTestId("try-demos");
    this.tryButton = page.getByTestId("try-demos-button");
    this.guide = page.getByTestId("demo-guide");
    this.openSecondTabButton = page.getByTestId("open-second-tab");
  }

  /** Clicks "Try the demos" on the board list and waits for the first demo board (OCC) to open with its guide. */
  async tryDemos(firstBoard: string): Promise<BoardPage> {
    await expect(this.page.getByTestId("connection")).toHaveText("online");
    await this.tryButton.click();
    await this.page.waitForURL(/\/b\/[^/]+$/, { timeout: 30_000 });
    const board = new BoardPage(this.page);
    await board.expectReady(firstBoard);
    await expect(this.guide).toBeVisible();
    return board;
  }

  /** "Open the second tab": the same board in a new tab of this browser context (its own replica). */
  async openSecondTab(name: string): Promise<BoardPage> {
    const opened = this.page.context().waitForEvent("page");
    await this.openSecondTabButton.click();
    const page = await opened;
    const board = new BoardPage(page);
    await board.expectReady(name);
    await expect(new Demos(page).guide).toBeVisible();
    return board;
  }
}

/** Opens a board from the board list by its name (the link's accessible name). */
export async function openFromList(board: BoardPage, name: string): Promise<void> {
  await board.page.goto("/");
  await expect(board.connection).toHaveText("online");
  await board.page.getByRole("link", { name, exact: true }).click();
  await board.page.waitForURL(/\/b\/[^/]+$/);
  await board.expectReady(name);
}

/** The tile of the card titled `title` (unique on a demo board). */
export async function cardTitled(board: BoardPage, title: string): Promise<CardTile> {
  const tile = board.page.locator(`[data-testid^="card-"][data-card-title="${title.replace(/"/g, '\\"')}"]`);
  await expect(tile).toHaveCount(1);
  const testId = await tile.getAttribute("data-testid");
  return board.card(testId!.slice("card-".length));
}
