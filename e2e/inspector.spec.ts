import AxeBuilder from "@axe-core/playwright";
import type { Page, TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures";
import { BoardPage } from "./pages/board-page";

/**
 * Issue 12 items 1-2: the inspector's timeline (SPEC INSP-1) and the tabs' clocks side by side
 * (SPEC INSP-2), each performing its README demo. With CONCORD_DOCS_SCREENSHOTS=1 the pictures
 * are also saved to docs/ (the README shows them).
 */

async function picture(page: Page, testInfo: TestInfo, name: string, docsFile: string): Promise<void> {
  const body = await page.screenshot();
  await testInfo.attach(name, { body, contentType: "image/png" });
  if (process.env.CONCORD_DOCS_SCREENSHOTS === "1") await page.screenshot({ path: docsFile });
}

/** axe-core: no serious or critical WCAG 2.1 A/AA violation (as e2e/accessibility.spec.ts). */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(" | ")})`), `axe on ${what}`).toEqual([]);
}

test.describe("the sync inspector", () => {
  test.use({ viewport: { width: 1400, height: 900 } });

  test("README 'Drop next ack, then edit': the timeline shows the lost ack, the replay and the server's stored first result (IDEM-1)", async ({ actors, uid }, testInfo) => {
    const [alice] = await actors("Alice");
    const boardName = `Inspector ${uid}`;
    await alice.boards.createBoard(boardName, "occ");
    const card = await alice.board.addCard(`Launch note ${uid}`);
    const { inspector } = alice.board;
    await inspector.show("timeline");

    // The README row: "Drop next ack", then edit.
    await inspector.dropAck.click();
    await expect(inspector.dropAck).toHaveAttribute("aria-pressed", "true");
    const title = `Launch note, replayed ${uid}`;
    await alice.board.editCard(card, { title });
    await alice.board.expectSynced();
    await card.expectTitle(title);

    // One row tells the whole story, with the card's name, not its id.
    const row = inspector.writeRows(`update title “${title}”`);
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute("data-status", "stored result");
    await expect(row.getByTestId("timeline-status")).toHaveText("stored result");
    await expect(row).toContainText(`update title “${title}” on ${boardName}`);
    // The change itself comes back once, live or in the catch-up after the reconnect (before the replay, OUTBOX-3).
    const steps = row.locator(".tl-step-label");
    await expect(steps.filter({ hasText: /^(broadcast seen|caught up): seq \d+$/ })).toHaveCount(1);
    await expect(steps.filter({ hasNotText: /^(broadcast seen|caught up)/ })).toHaveText(["queued", "sent", "ack lost", "replayed (send #2)", "stored result"]);
    await expect(row).toContainText(/the server answered the first result \(seq \d+, committed in a batch of 1 write\) and applied nothing again/);
    await expect(row).not.toContainText(card.id);
    // The reconnect the lost ack caused is a row of its own.
    await expect(inspector.root.locator('[data-testid="timeline-row"][data-kind="network"]').first()).toHaveAttribute("data-status", "reconnected");

    // Applied once: the card's history holds the create and this one update.
    const history = inspector.root.getByTestId("inspector-card-history").locator("li");
    await expect(history).toHaveCount(2);
    await expect(history.first()).toContainText("v2 title");
    // For the picture: reads off (a filter), the pinned card folded, so the write's row shows whole.
    await inspector.root.getByTestId("timeline-filter-reads").click();
    await expect(inspector.root.getByTestId("timeline-filter-reads")).toHaveAttribute("aria-pressed", "false");
    await inspector.root.getByRole("button", { name: "Less" }).click();
    await expect(row).toBeInViewport();
    await picture(alice.page, testInfo, "drop-ack-timeline", "docs/inspector-timeline.png");
  });

  test("presence is hidden by default and Kill socket shows a reconnect row", async ({ actors, uid }) => {
    const [alice] = await actors("Alice");
    await alice.boards.createBoard(`Kill ${uid}`, "occ");
    const { inspector } = alice.board;
    await inspector.show("timeline");
    const presence = inspector.root.locator('[data-testid="timeline-row"][data-kind="presence"]');
    await expect(inspector.root.getByTestId("timeline-filter-presence")).toHaveAttribute("aria-pressed", "false");
    await expect(presence).toHaveCount(0);
    await inspector.root.getByTestId("timeline-filter-presence").click();
    await expect(presence.first()).toBeVisible();

    await inspector.root.getByTestId("net-kill").click();
    const reconnect = inspector.root.locator('[data-testid="timeline-row"][data-kind="network"]').filter({ hasText: "Socket killed" });
    await expect(reconnect).toHaveCount(1);
    await expect(reconnect).toHaveAttribute("data-status", "reconnected");
    await expect(reconnect.locator(".tl-step-label")).toContainText(["socket killed by the simulator", "reconnected"]);
  });

  test("another person's write and lease are named, not numbered; the pinned card's lease counts down (README picture)", async ({ actors, uid }, testInfo) => {
    const [alice, bob] = await actors("Ada", "Grace");
    const boardName = `Q3 launch ${uid}`;
    await alice.boards.createBoard(boardName, "occ");
    const locked = await alice.board.addCard("Onboarding checklist");
    const edited = await alice.board.addCard("Load-test the change feed");
    await alice.board.addCard("Decide pricing for the team plan");
    await bob.board.goto(alice.board.boardId, boardName);

    // Grace renames one card and takes the lease on another (her editor stays open, renewing it).
    await bob.board.editCard(bob.board.card(edited.id), { title: "Load-test the change feed at 5k/s" });
    await bob.board.expectSynced();
    await bob.board.openCard(bob.board.card(locked.id));
    await bob.page.getByTestId("editor-lock").click();
    await expect(bob.page.getByTestId("editor-lock")).toHaveAttribute("aria-pressed", "true");

    // Ada pins the locked card: holder, token and a countdown that moves.
    await alice.board.openCard(alice.board.card(locked.id));
    await alice.board.editor.closeWithoutSaving();
    const { inspector } = alice.board;
    await inspector.show("timeline");
    const lease = inspector.root.getByTestId("inspector-lease");
    await expect(lease).toContainText(/Grace holds the lease · token \d+/);
    const countdown = inspector.root.getByTestId("inspector-lease-countdown");
    await expect(countdown).toHaveText(/^\d+ s left$/);
    const first = await countdown.textContent();
    await expect(countdown).not.toHaveText(first!, { timeout: 5_000 });

    // The timeline names Grace, the cards and the board.
    const theirs = inspector.root.locator('[data-testid="timeline-row"][data-kind="change"]').filter({ hasText: "Load-test the change feed at 5k/s" });
    await expect(theirs.first()).toContainText(`Grace changed “Load-test the change feed at 5k/s” on ${boardName}`);
    const leaseRow = inspector.root.locator('[data-testid="timeline-row"][data-kind="lock"]').first();
    await expect(leaseRow).toContainText("lease granted “Onboarding checklist” · Grace");
    await expect(inspector.root.getByTestId("timeline")).not.toContainText(locked.id);
    await picture(alice.page, testInfo, "board-with-inspector", "docs/screenshot.png");
    await expectAccessible(alice.page, "the inspector's timeline with a pinned, leased card");
  });

  test("two tabs of one browser: each inspector shows both replicas' cursors and clocks and which write each has seen (INSP-2)", async ({ actors, uid }, testInfo) => {
    const [alice] = await actors("Alice");
    const boardName = `Clocks ${uid}`;
    const board = await alice.boards.createBoard(boardName, "lww");
    const card = await alice.board.addCard(`Offsite ${uid}`);
    const tab1 = alice.board;
    const tab2 = new BoardPage(await alice.context.newPage());
    await tab2.goto(board.boardId, boardName);
    await tab2.card(card.id).expectTitle(`Offsite ${uid}`);

    await tab2.inspector.show("replica");
    const replica2 = (await tab2.inspector.root.getByTestId("inspector-replica").textContent())!;
    await tab1.inspector.show("replica");
    const replica1 = (await tab1.inspector.root.getByTestId("inspector-replica").textContent())!;
    expect(replica1).not.toBe(replica2);

    await tab1.inspector.show("clocks");
    const clocks = tab1.inspector.clocks;
    await expect(clocks.getByTestId("clocks-replica")).toHaveCount(2);
    await expect(clocks.getByTestId("clocks-replica").nth(0)).toContainText(`this tab${replica1}`);
    await expect(clocks.getByTestId("clocks-replica").nth(1)).toContainText(`other tab${replica2}`);

    // Tab 2 goes offline; tab 1 edits: tab 1 has seen its write, tab 2 not yet.
    await tab2.inspector.goOffline();
    await tab1.openCard(tab1.card(card.id));
    await tab1.editor.title.fill(`Offsite in Lisbon ${uid}`);
    await tab1.editor.saveAndClose();
    await tab1.expectSynced();
    const cursor = clocks.getByTestId("clocks-cursor").locator("td");
    await expect(cursor.nth(0)).toHaveText("seq 2");
    await expect(cursor.nth(1)).toHaveText("seq 1");
    const newest = clocks.getByTestId("clocks-write").first();
    await expect(newest).toContainText(`seq 2 “Offsite in Lisbon ${uid}”`);
    await expect(newest.locator("td")).toHaveText(["✓ seen", "not yet at seq 1"]);
    await expect(clocks.getByTestId("clocks-card-version").locator("td")).toHaveText(["v2", "v1"]);
    await tab1.inspector.root.getByRole("button", { name: "Less" }).click();
    await picture(tab1.page, testInfo, "clocks-side-by-side-one-behind", "docs/inspector-clocks.png");

    // Back online, tab 2 catches up: both have seen it, at the same cursor.
    await tab2.inspector.goOnline();
    await expect(cursor).toHaveText(["seq 2", "seq 2"]);
    await expect(newest.locator("td")).toHaveText(["✓ seen", "✓ seen"]);
    await expect(clocks.getByTestId("clocks-card-version").locator("td")).toHaveText(["v2", "v2"]);

    // Tab 2's inspector shows the same, from its side.
    await tab2.inspector.show("clocks");
    await expect(tab2.inspector.clocks.getByTestId("clocks-replica").nth(1)).toContainText(replica1);
    await expect(tab2.inspector.clocks.getByTestId("clocks-write").first().locator("td")).toHaveText(["✓ seen", "✓ seen"]);
    await testInfo.attach("clocks-side-by-side-caught-up", { body: await tab1.page.screenshot(), contentType: "image/png" });
    await expectAccessible(tab2.page, "the inspector's Tabs & clocks with two tabs");
  });
});
