import { expect, type Locator, type Page } from "@playwright/test";

/** The sync inspector side panel, with the network simulator that drives the real socket. */
export class Inspector {
  readonly toggle: Locator;
  readonly root: Locator;
  readonly offlineToggle: Locator;
  /** The selected (last opened) card's server version. */
  readonly cardVersion: Locator;
  readonly pendingList: Locator;
  readonly dropAck: Locator;
  /** The timeline's rows (newest first), and the side-by-side clocks of this browser's tabs. */
  readonly timelineRows: Locator;
  readonly clocks: Locator;

  constructor(readonly page: Page) {
    this.toggle = page.getByTestId("inspector-toggle");
    this.root = page.getByTestId("inspector");
    this.offlineToggle = this.root.getByTestId("net-offline");
    this.cardVersion = this.root.getByTestId("inspector-card-version");
    this.pendingList = this.root.getByTestId("inspector-pending");
    this.dropAck = this.root.getByTestId("net-drop-ack");
    this.timelineRows = this.root.getByTestId("timeline-row");
    this.clocks = this.root.getByTestId("clocks");
  }

  async open(): Promise<void> {
    if ((await this.toggle.getAttribute("aria-pressed")) !== "true") await this.toggle.click();
    await expect(this.root).toBeVisible();
  }

  /** Simulated outage: the client disconnects its real socket and stays down. */
  async goOffline(): Promise<void> {
    await this.open();
    await expect(this.offlineToggle).toHaveAttribute("aria-pressed", "false");
    await this.offlineToggle.click();
    await expect(this.offlineToggle).toHaveAttribute("aria-pressed", "true");
    await expect(this.page.getByTestId("connection")).toHaveText("offline");
  }

  /** Ends the simulated outage and waits until the client has caught up and is online again. */
  async goOnline(): Promise<void> {
    await this.open();
    await expect(this.offlineToggle).toHaveAttribute("aria-pressed", "true");
    await this.offlineToggle.click();
    await expect(this.offlineToggle).toHaveAttribute("aria-pressed", "false");
    await expect(this.page.getByTestId("connection")).toHaveText("online");
  }

  /** Shows one of the inspector's tabs: timeline, clocks, outbox, replica. */
  async show(tab: "timeline" | "clocks" | "outbox" | "replica"): Promise<void> {
    await this.open();
    await this.root.getByTestId(`inspector-tab-${tab}`).click();
    await expect(this.root.getByTestId(`inspector-tab-${tab}`)).toHaveAttribute("aria-selected", "true");
  }

  /** The timeline rows of writes (kind "write") whose text matches. */
  writeRows(text: string | RegExp): Locator {
    return this.root.locator('[data-testid="timeline-row"][data-kind="write"]').filter({ hasText: text });
  }

  /** The selected card's version as a number (after it is shown). */
  async currentCardVersion(): Promise<number> {
    await expect(this.cardVersion).toHaveText(/^\d+$/);
    return Number(await this.cardVersion.textContent());
  }
}
