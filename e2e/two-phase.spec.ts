import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

/**
 * Issue 12 item 4, the README's 2PC row done as written (SPEC TX-2, TX-4, TX-10, HIST-2): a card
 * moves from a board on shard a to one on shard b while the demo fault switch crashes the
 * coordinator after prepare. The inspector's phase timeline shows each shard's prepare, the log,
 * the crash and the in-doubt window, recovery aborting and rolling back, the tab's replay
 * committing in a new transaction; the card arrives once, and its history follows it.
 */

async function picture(page: Page, name: string): Promise<void> {
  await test.info().attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

test("2PC move with the coordinator crash after prepare: in doubt, recovered, moved once, history across the move", async ({ actors, uid }) => {
  test.setTimeout(120_000);
  const [ada] = await actors("Ada");
  const toName = `Shard B ${uid}`;
  const fromName = `Shard A ${uid}`;
  await ada.page.getByTestId("board-shard-select").selectOption("b");
  await ada.boards.createBoard(toName, "occ");
  await ada.boards.goto();
  await ada.page.getByTestId("board-shard-select").selectOption("a");
  const from = await ada.boards.createBoard(fromName, "occ");
  const card = await from.addCard(`Move me ${uid}`);
  await from.editCard(card, { body: "written on shard a" });
  await from.expectSynced();

  // Arm the demo fault switch: the next cross-shard move's coordinator crashes after prepare.
  await from.inspector.open();
  await ada.page.getByTestId("inspector-tab-moves").click();
  const panel = ada.page.getByTestId("inspector-moves");
  await panel.getByTestId("sim-crash").selectOption("prepare");

  const editor = await from.openCard(card);
  await ada.page.getByTestId("editor-move-select").selectOption({ label: `${toName} (shard b, 2PC)` });
  await ada.page.getByTestId("editor-move").click();
  await expect(editor.root).toBeHidden();

  const timeline = panel.getByTestId("tx-timeline").first();
  // In doubt: both parts prepared, the log says prepared, the coordinator died before deciding.
  await expect(timeline.getByTestId("tx-status")).toHaveText("in doubt");
  await expect(timeline.getByTestId("tx-in-doubt")).toContainText("Recovery runs in");
  for (const step of ["this tab card:move sent", "coordinator shard a: PREPARE TRANSACTION", "coordinator shard b: PREPARE TRANSACTION", "coordinator coordinator log: prepared", "coordinator crashed after prepare"]) {
    await expect(timeline).toContainText(step);
  }
  await timeline.scrollIntoViewIfNeeded();
  await picture(ada.page, "2pc-in-doubt");

  // Recovery decides after the grace: aborted, both parts rolled back; the tab's replay then moves the card in a new transaction.
  await expect(timeline).toContainText("recovery coordinator log: aborted (no decision within the 10 s grace)", { timeout: 30_000 });
  await expect(timeline).toContainText("recovery shard a: ROLLBACK PREPARED");
  await expect(timeline).toContainText("recovery shard b: ROLLBACK PREPARED");
  await expect(timeline.getByTestId("tx-status")).toHaveText("moved", { timeout: 30_000 });
  await expect(timeline).toContainText("sent again (replay #1, same mutationId)");
  await expect(timeline).toContainText("coordinator coordinator log: committed — the decision");
  await expect(ada.page.getByTestId("notice-open-moved")).toContainText(`Open it on ${toName}`);
  await expect(ada.page.getByTestId("toasts")).toContainText(`arrived on ${toName} (two-phase commit across shards)`);
  await expect(card.root).toHaveCount(0);
  await timeline.getByTestId("tx-open-moved").scrollIntoViewIfNeeded();
  await picture(ada.page, "2pc-recovered");

  // The card is on shard b once, and its history did not start again there.
  await timeline.getByTestId("tx-open-moved").click();
  await from.expectReady(toName);
  await from.editor.expectOpen();
  await expect(from.editor.title).toHaveValue(`Move me ${uid}`);
  await ada.page.getByTestId("editor-history").click();
  const history = ada.page.getByTestId("editor-history-list");
  await expect(history).toContainText(`moved it here from ${fromName}`);
  await expect(history).toContainText(`moved it to ${toName}`);
  await expect(history).toContainText("changed description");
  await expect(history.locator("li")).toHaveCount(4);
  await picture(ada.page, "2pc-history");
});
