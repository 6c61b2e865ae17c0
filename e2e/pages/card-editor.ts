import { expect, type Locator, type Page } from "@playwright/test";

type SiblingField = "title" | "body" | "status" | "estimate" | "tags";

/** The card editor dialog (data-testid="card-editor"). Save sends only the fields changed in it. */
export class CardEditor {
  readonly root: Locator;
  readonly title: Locator;
  readonly body: Locator;
  readonly save: Locator;
  readonly close: Locator;
  /** The "vN" badge: the server version of the card the editor shows. */
  readonly version: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId("card-editor");
    this.title = this.root.getByTestId("editor-title");
    this.body = this.root.getByTestId("editor-body");
    this.save = this.root.getByTestId("editor-save");
    this.close = this.root.getByTestId("editor-close");
    this.version = this.root.getByTitle("Server version of this card");
  }

  async expectOpen(): Promise<void> {
    await expect(this.root).toBeVisible();
  }

  /** Clicks Save and waits for the dialog to close (the write is then in the outbox). */
  async saveAndClose(): Promise<void> {
    await expect(this.save).toBeEnabled();
    await this.save.click();
    await expect(this.root).toBeHidden();
  }

  async closeWithoutSaving(): Promise<void> {
    await this.close.click();
    await expect(this.root).toBeHidden();
  }

  /** Shows the card's history (each entry with the values it set). */
  async showHistory(): Promise<Locator> {
    await this.root.getByTestId("editor-history").click();
    const list = this.root.getByTestId("editor-history-list");
    await expect(list).toBeVisible();
    return list;
  }

  /** The history entry that made version `version`. */
  historyEntry(version: number): Locator {
    return this.root.locator(`[data-testid="history-entry"][data-version="${version}"]`);
  }

  /** mvr: the sibling picker of one field (every concurrent value, with its author). */
  siblings(field: SiblingField): Locator {
    return this.root.getByTestId(`siblings-${field}`);
  }

  /** mvr: the "Use this" button of the sibling whose value is exactly `value`. */
  siblingPick(field: SiblingField, value: string): Locator {
    return this.siblings(field)
      .locator(".sibling")
      .filter({ has: this.page.locator(".sibling-value", { hasText: new RegExp(`^${escapeRegExp(value)}$`) }) })
      .getByTestId(new RegExp(`^sibling-pick-${field}-\\d+$`));
  }
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
