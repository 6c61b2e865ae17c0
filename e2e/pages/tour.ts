import { expect, type Locator, type Page } from "@playwright/test";
import { BoardPage } from "./board-page";

/** The guided tour panel (`tour`): step n of m, which tab acts, Back / Next, the ring on what to look at. */
export class TourPanel {
  readonly root: Locator;
  readonly progress: Locator;
  readonly where: Locator;
  readonly text: Locator;
  readonly next: Locator;
  readonly back: Locator;
  readonly openSecondTabButton: Locator;
  /** Whatever the tour rings in this tab right now. */
  readonly ringed: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId("tour");
    this.progress = this.root.getByTestId("tour-progress");
    this.where = this.root.getByTestId("tour-where");
    this.text = this.root.getByTestId("tour-text");
    this.next = this.root.getByTestId("tour-next");
    this.back = this.root.getByTestId("tour-back");
    this.openSecondTabButton = this.root.getByTestId("tour-open-second-tab");
    this.ringed = page.locator('[data-tour-highlight="true"]');
  }

  /** Starts a tour from the board's explainer (or a demo board's guide). */
  async start(id: "occ" | "lww" | "mvr" | "offline" | "drop-ack" | "move" | "lock"): Promise<void> {
    await this.page.getByTestId(`tour-start-${id}`).click();
    await expect(this.root).toBeVisible();
  }

  async expectStep(n: number, of: number): Promise<void> {
    await expect(this.progress).toHaveText(`Step ${n} of ${of}`);
  }

  /** The step's ring is around `target` in this tab (and nothing else is ringed). */
  async expectRinged(target: Locator): Promise<void> {
    await expect(target).toHaveAttribute("data-tour-highlight", "true");
    await expect(this.ringed).toHaveCount(1);
  }

  /**
   * "Open the second tab" in the tour: tab B, the same board in a new tab of this browser context (its own replica), its tour on the next step.
   * The lock tour's tab B is a guest of that tab only (SPEC LOCK-10), in the same browser context all the same.
   */
  async openSecondTab(boardName: string): Promise<{ board: BoardPage; tour: TourPanel }> {
    const opened = this.page.context().waitForEvent("page");
    await this.openSecondTabButton.click();
    const page = await opened;
    const board = new BoardPage(page);
    await board.expectReady(boardName);
    const tour = new TourPanel(page);
    await expect(tour.root).toBeVisible();
    await expect(tour.root.getByTestId("tour-this-tab")).toHaveText("you are in tab B");
    return { board, tour };
  }
}
