import { expect, type Locator, type Page } from "@playwright/test";
import { CardEditor } from "./card-editor";
import { ConflictDialog } from "./conflict-dialog";
import { Inspector } from "./inspector";

type Status = "todo" | "doing" | "done";

/** One card tile on the board, found by the card's id (`data-testid="card-<id>"`). */
export class CardTile {
  readonly root: Locator;
  /** The button that shows the title and opens the editor. */
  readonly openButton: Locator;
  readonly excerpt: Locator;
  readonly pending: Locator;
  readonly highlight: Locator;
  readonly siblings: Locator;
  /** The drag handle (SPEC POS-2): Space picks the card up, arrows move it, Space drops it. */
  readonly grip: Locator;

  constructor(page: Page, readonly id: string) {
    this.root = page.getByTestId(`card-${id}`);
    this.openButton = this.root.getByRole("button").first();
    this.excerpt = this.root.locator(".card-excerpt");
    this.pending = this.root.getByTestId("card-pending");
    this.highlight = this.root.getByTestId("card-highlight");
    this.siblings = this.root.getByTestId("card-siblings");
    this.grip = this.root.getByTestId("card-grip");
  }

  async expectTitle(title: string): Promise<void> {
    await expect(this.root).toHaveAttribute("data-card-title", title);
    await expect(this.openButton).toHaveText(title);
  }
}

/** The board screen at /b/<boardId>. */
export class BoardPage {
  readonly title: Locator;
  readonly connection: Locator;
  readonly pendingCount: Locator;
  readonly inspector: Inspector;
  readonly editor: CardEditor;
  readonly conflict: ConflictDialog;

  constructor(readonly page: Page) {
    this.title = page.getByTestId("board-title");
    this.connection = page.getByTestId("connection");
    this.pendingCount = page.getByTestId("pending-count");
    this.inspector = new Inspector(page);
    this.editor = new CardEditor(page);
    this.conflict = new ConflictDialog(page);
  }

  /** The board's id, from the URL. */
  get boardId(): string {
    const m = /\/b\/([^/?#]+)/.exec(new URL(this.page.url()).pathname);
    if (!m) throw new Error(`not on a board page: ${this.page.url()}`);
    return decodeURIComponent(m[1]);
  }

  async goto(boardId: string, name: string): Promise<void> {
    await this.page.goto(`/b/${encodeURIComponent(boardId)}`);
    await this.expectReady(name);
  }

  /** Ready = the board is loaded (its name shows) and the client is online with nothing pending. */
  async expectReady(name: string): Promise<void> {
    await expect(this.title).toHaveText(name);
    await expect(this.connection).toHaveText("online");
  }

  async expectSynced(): Promise<void> {
    await expect(this.connection).toHaveText("online");
    await expect(this.pendingCount).toHaveText("0");
  }

  /** A column of the board. */
  column(status: Status): Locator {
    return this.page.getByTestId(`column-${status}`);
  }

  /** The titles of a column's cards, top to bottom, once they equal `titles`. */
  async expectColumn(status: Status, titles: string[]): Promise<void> {
    await expect.poll(async () => this.column(status).locator("[data-card-title]").evaluateAll((els) => els.map((e) => e.getAttribute("data-card-title")))).toEqual(titles);
  }

  /** Drags `card` with the mouse and drops it over `target` (a card tile or a column), in small steps as a hand would. */
  async dragWithMouse(card: CardTile, target: Locator, where: "top" | "bottom" = "top"): Promise<void> {
    const from = await card.root.boundingBox();
    const to = await target.boundingBox();
    if (!from || !to) throw new Error("card or target not visible");
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    const x = to.x + to.width / 2;
    const y = where === "top" ? to.y + Math.min(12, to.height / 4) : to.y + to.height - Math.min(12, to.height / 4);
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 + 10, { steps: 3 });
    await this.page.mouse.move(x, y, { steps: 15 });
    await this.page.mouse.move(x, y + 1, { steps: 2 });
    await this.page.mouse.up();
  }

  /**
   * Keyboard drag: focus the card's grip and press Space, then wait until the announcement says it
   * was picked up and the tasks queued before now have run (the sensor starts listening for arrows
   * in a task of its own; this is a flush of the page's task queue, not a sleep).
   */
  async pickUpWithKeyboard(card: CardTile): Promise<void> {
    await card.grip.focus();
    await this.page.keyboard.press("Space");
    await expect(this.dragAnnouncement()).toContainText("Picked up card");
    await this.page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  /** The screen-reader live region of drag and drop (what was announced last). */
  dragAnnouncement(): Locator {
    return this.page.locator('[id^="DndLiveRegion"]');
  }

  card(id: string): CardTile {
    return new CardTile(this.page, id);
  }

  /** Adds a card through the column's composer and waits until the server confirmed it. */
  async addCard(title: string, status: Status = "todo"): Promise<CardTile> {
    await this.page.getByTestId(`add-card-${status}`).click();
    const input = this.page.getByTestId(`new-card-title-${status}`);
    await input.fill(title);
    await input.press("Enter");
    await expect(input).toHaveValue("");
    await input.press("Escape");
    const tile = this.page.locator(`[data-testid^="card-"][data-card-title="${title.replace(/"/g, '\\"')}"]`);
    await expect(tile).toHaveCount(1);
    const testId = await tile.getAttribute("data-testid");
    const card = this.card(testId!.slice("card-".length));
    await expect(card.pending).toHaveCount(0);
    await this.expectSynced();
    return card;
  }

  /** Opens a card's editor (which also selects it in the inspector). */
  async openCard(card: CardTile): Promise<CardEditor> {
    await card.openButton.click();
    await this.editor.expectOpen();
    return this.editor;
  }

  /** Opens the card, changes the given fields, saves. Does not wait for the server. */
  async editCard(card: CardTile, fields: { title?: string; body?: string }): Promise<void> {
    const editor = await this.openCard(card);
    if (fields.title !== undefined) await editor.title.fill(fields.title);
    if (fields.body !== undefined) await editor.body.fill(fields.body);
    await editor.saveAndClose();
  }

  /** The card's body as the editor shows it (opens and closes the editor). */
  async readBody(card: CardTile, expected: string): Promise<void> {
    const editor = await this.openCard(card);
    await expect(editor.body).toHaveValue(expected);
    await editor.closeWithoutSaving();
  }

  /** A notice that keeps a refused edit's typing until dismissed ("Restore into the editor", "Copy text"). */
  keptNotice(): Locator {
    return this.page.getByTestId("toasts").locator('[data-keeps-typing="true"]');
  }

  /** The lww "replaced by …" notice, when this tab's edit lost. */
  lwwNotice(): Locator {
    return this.page.getByTestId("notice-lww-replaced");
  }
}
