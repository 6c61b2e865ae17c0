import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

/**
 * Issue 12 item 3, the README's lock row done as written (SPEC LOCK-1, LOCK-3, LOCK-4): Alice locks
 * a card and sees her lease's token and a live countdown; it renews while she keeps it; Bob's
 * write, sent anyway, answers LOCKED; Alice's tab paused as a holder lets the lease run out, Bob
 * takes it with a newer token, and Alice's save with her stale token answers STALE_LOCK.
 */

async function picture(page: Page, name: string): Promise<void> {
  await test.info().attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

test("lock with countdown and renewal; LOCKED for the other person; STALE_LOCK after pause holder", async ({ actors, uid }) => {
  test.setTimeout(150_000);
  const [alice, bob] = await actors("Alice", "Bob");
  const name = `Locks ${uid}`;
  const board = await alice.boards.createBoard(name, "occ");
  const card = await alice.board.addCard(`Lock me ${uid}`);
  await bob.board.goto(board.boardId, name);
  const bobCard = bob.board.card(card.id);

  // Alice locks: her editor shows the lease's fencing token and a live countdown.
  const editor = await alice.board.openCard(card);
  await alice.page.getByTestId("editor-lock").click();
  const mine = alice.page.getByTestId("lease-mine");
  await expect(mine).toBeVisible();
  const token = Number(await mine.getByTestId("lease-token").textContent());
  expect(token).toBeGreaterThan(0);
  const countdown = mine.getByTestId("lease-countdown");
  await expect(countdown).toHaveText(/^(2[7-9]|30)$/);
  await expect(countdown).toHaveText(/^2[0-8]$/); // it counts down
  await expect(bobCard.root.getByTestId("card-lock")).toContainText(new RegExp(`locked by Alice #\\w+ · token ${token}$`));
  await picture(alice.page, "lock-alice-holds");

  // Bob edits it anyway: the server answers LOCKED, and his typing is kept in the notice.
  await bob.board.openCard(bobCard);
  const locked = bob.page.getByTestId("editor-locked");
  await expect(locked).toContainText(new RegExp(`Locked by Alice #\\w+ · token ${token} `));
  await expect(bob.board.editor.save).toBeDisabled();
  await locked.getByTestId("lease-send-anyway").click();
  await bob.board.editor.title.fill(`Bob was here ${uid}`);
  await picture(bob.page, "lock-bob-send-anyway");
  await bob.board.editor.save.click();
  await expect(bob.board.keptNotice()).toContainText("(LOCKED)");
  await picture(bob.page, "lock-bob-locked");

  // Renewal: half-way through, the lease is renewed (same token, a fresh 30 s).
  await expect(mine.getByTestId("lease-renewals")).toHaveText("1", { timeout: 20_000 });
  await expect(countdown).toHaveText(/^(2[5-9]|30)$/);
  await expect(mine.getByTestId("lease-token")).toHaveText(String(token));
  await editor.closeWithoutSaving();

  // Pause holder: no more renewals; the lease runs out (its countdown is in the editor).
  await alice.board.inspector.open();
  await alice.page.getByTestId("sim-pause-holder").click();
  await expect(alice.page.getByTestId("sim-pause-holder")).toHaveAttribute("aria-pressed", "true");
  await alice.board.openCard(card);
  await expect(alice.page.getByTestId("lease-paused")).toContainText(`keeps token ${token}`);
  await expect(bobCard.root.getByTestId("card-lock")).toHaveCount(0, { timeout: 35_000 });

  // Bob takes it: a newer fencing token.
  await bob.board.openCard(bobCard);
  await bob.page.getByTestId("editor-lock").click();
  const bobs = bob.page.getByTestId("lease-mine");
  await expect(bobs).toBeVisible();
  const newer = Number(await bobs.getByTestId("lease-token").textContent());
  expect(newer).toBeGreaterThan(token);

  // Alice's stalled tab still believes; her save carries the old token and is refused by the fence.
  const paused = alice.page.getByTestId("lease-paused");
  await expect(paused).toContainText(new RegExp(`Bob #\\w+ holds it now with token ${newer}`));
  await alice.board.editor.title.fill(`Alice, stale ${uid}`);
  await picture(alice.page, "lock-alice-paused");
  await alice.board.editor.save.click();
  await expect(alice.board.keptNotice()).toContainText("(STALE_LOCK)");
  await expect(card.root).toHaveAttribute("data-card-title", `Lock me ${uid}`);
  await picture(alice.page, "lock-alice-stale");
});
