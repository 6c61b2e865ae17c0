import type { Locator, Page } from "@playwright/test";

type ConflictFieldName = "title" | "body" | "status" | "position" | "tags" | "estimate";

/** One conflicting field in the dialog: base / mine / theirs side by side, and the choice buttons. */
export class ConflictFieldSection {
  readonly root: Locator;
  readonly base: Locator;
  readonly mine: Locator;
  readonly theirs: Locator;
  readonly keepMine: Locator;
  readonly keepTheirs: Locator;
  /** body only: the editable diff3 merge and its "Use merge" button. */
  readonly merge: Locator;
  readonly useMerge: Locator;
  /** body only: which merge lines still hold diff3 markers. */
  readonly markers: Locator;

  constructor(dialog: Locator, field: ConflictFieldName) {
    this.root = dialog.getByTestId(`conflict-field-${field}`);
    this.base = this.root.getByTestId(`conflict-base-${field}`);
    this.mine = this.root.getByTestId(`conflict-mine-${field}`);
    this.theirs = this.root.getByTestId(`conflict-theirs-${field}`);
    this.keepMine = this.root.getByTestId(`conflict-keep-mine-${field}`);
    this.keepTheirs = this.root.getByTestId(`conflict-keep-theirs-${field}`);
    this.merge = this.root.getByTestId(`conflict-merge-${field}`);
    this.useMerge = this.root.getByTestId(`conflict-use-merge-${field}`);
    this.markers = this.root.getByTestId(`conflict-markers-${field}`);
  }
}

/** The occ conflict dialog (data-testid="conflict-dialog"). */
export class ConflictDialog {
  readonly root: Locator;
  readonly heading: Locator;
  readonly resolve: Locator;
  readonly discard: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId("conflict-dialog");
    this.heading = this.root.getByRole("heading", { level: 2 });
    this.resolve = this.root.getByTestId("conflict-resolve");
    this.discard = this.root.getByTestId("conflict-discard");
  }

  field(name: ConflictFieldName): ConflictFieldSection {
    return new ConflictFieldSection(this.root, name);
  }

  /** Presses Tab until `target` has focus (at most `max` presses); false when it never got there. */
  async tabTo(target: Locator, max = 25): Promise<boolean> {
    for (let i = 0; i < max; i++) {
      if (await target.evaluate((el) => el === document.activeElement)) return true;
      await this.page.keyboard.press("Tab");
    }
    return target.evaluate((el) => el === document.activeElement);
  }

  /** True when keyboard focus is somewhere inside the dialog. */
  async hasFocusInside(): Promise<boolean> {
    return this.root.evaluate((el) => el.contains(document.activeElement));
  }
}
