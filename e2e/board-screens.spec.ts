import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

/**
 * Issue 13: the board, the card editor and its history at 1400×900 and 390×844, with the layout
 * promises checked (header in one piece with the shard badge, avatars not overlapping, focus ring
 * on card tiles, focus kept in the editor). `CONCORD_DOCS_SCREENSHOTS=1` also saves the pictures
 * into docs/screens/.
 */
const docsDir = process.env.CONCORD_DOCS_SCREENSHOTS === "1" ? path.join(process.cwd(), "docs", "screens") : null;

async function picture(page: Page, name: string): Promise<void> {
  const shot = await page.screenshot();
  await test.info().attach(name, { body: shot, contentType: "image/png" });
  writeFileSync(test.info().outputPath(`${name}.png`), shot);
  if (docsDir) {
    mkdirSync(docsDir, { recursive: true });
    writeFileSync(path.join(docsDir, `${name}.png`), shot);
  }
}

const SIZES = [
  { name: "desktop", width: 1400, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;

for (const size of SIZES) {
  test(`board, editor and history at ${size.width}×${size.height}`, async ({ actors, uid }) => {
    const [alice, bob, carol] = await actors("Alice", "Bob", "Carol");
    const boardName = `Launch plan ${uid.slice(-4)}`;
    const board = await alice.boards.createBoard(boardName, "occ");
    const spec = await alice.board.addCard("Write the launch post");
    await alice.board.addCard("Pick a date with the team");
    await alice.board.addCard("Draft the pricing page", "doing");
    await alice.board.addCard("Set up the status page", "done");
    const editor = await alice.board.openCard(spec);
    await editor.body.fill("Outline:\n- what it is\n- who it is for\n- how to try it");
    await editor.root.getByTestId("editor-tags").fill("writing, launch");
    await editor.root.getByTestId("editor-estimate").fill("3");
    await editor.saveAndClose();
    await alice.board.expectSynced();
    await alice.board.editCard(spec, { title: "Write the launch blog post", body: "Outline:\n- what it is\n- who it is for, with two examples\n- how to try it" });
    await alice.board.expectSynced();
    for (const a of [bob, carol]) await a.board.goto(board.boardId, boardName);
    await expect(alice.page.getByTestId("presence").locator(".avatar")).toHaveCount(3);

    const page = alice.page;
    await page.setViewportSize({ width: size.width, height: size.height });

    // The header holds together: nothing wider than the screen, the shard badge in view, avatars side by side.
    const badge = page.locator(".topbar .shard-badge").first();
    await expect(badge).toBeInViewport({ ratio: 1 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
    const boxes = await page.getByTestId("presence").locator(".avatar").evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom })));
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.left).toBeGreaterThanOrEqual(boxes[i - 1]!.right - 0.5);
    const header = await page.locator(".topbar").boundingBox();
    for (const b of boxes) expect(b.bottom).toBeLessThanOrEqual(header!.y + header!.height + 0.5);
    if (size.name === "phone") expect(header!.height).toBeLessThanOrEqual(110);
    await picture(page, `board-${size.name}`);

    // A card tile shows a focus ring (not clipped by the tile).
    await spec.openButton.focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    await expect(spec.root).toHaveCSS("box-shadow", /rgba\(70, 86, 224/);

    const ed = await alice.board.openCard(spec);
    await picture(page, `editor-${size.name}`);
    // Lock and Unlock keep focus in the editor; Escape still closes it.
    const lock = ed.root.getByTestId("editor-lock");
    await lock.click();
    await expect(lock).toHaveText("Unlock");
    await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('[data-testid="card-editor"]'))).toBe(true);
    await lock.click();
    await expect(lock).toHaveText("Lock");
    await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('[data-testid="card-editor"]'))).toBe(true);

    await ed.showHistory();
    await ed.root.getByTestId("editor-history-list").evaluate((el) => el.scrollIntoView({ block: "start" }));
    await picture(page, `history-${size.name}`);
    await page.keyboard.press("Escape");
    await expect(ed.root).toBeHidden();
  });
}

test("INPUT-4 composer and editor refuse what the server would, and say why; nothing is cut", async ({ actors, uid }) => {
  const [alice] = await actors("Alice");
  await alice.boards.createBoard(`Limits ${uid}`, "lww");
  const card = await alice.board.addCard(`Limits ${uid}`);
  const page = alice.page;

  // Composer: 201 characters are not cut to 200: the count turns red and Add is disabled.
  await page.getByTestId("add-card-todo").click();
  const input = page.getByTestId("new-card-title-todo");
  await input.fill("x".repeat(201));
  await expect(input).toHaveValue("x".repeat(201));
  await expect(page.getByTestId("new-card-problem-todo")).toHaveText("The title has 201 characters; the most is 200.");
  await expect(page.getByTestId("new-card-submit-todo")).toBeDisabled();
  await input.press("Escape");

  // Editor: the same rules.
  const editor = await alice.board.openCard(card);
  await editor.title.fill("   ");
  await expect(editor.root.getByTestId("editor-title-problem")).toHaveText("A card needs a title.");
  await expect(editor.save).toBeDisabled();
  await editor.title.fill(`Limits ${uid}`);
  await editor.root.getByTestId("editor-estimate").fill("-5");
  await expect(editor.root.getByTestId("editor-estimate-problem")).toHaveText("The estimate must be a whole number, 0 or more.");
  await expect(editor.save).toBeDisabled();
  await editor.root.getByTestId("editor-estimate").fill("5");
  await editor.root.getByTestId("editor-tags").fill(`ok, ${"t".repeat(33)}`);
  await expect(editor.root.getByTestId("editor-tags-problem")).toContainText("has 33 characters; a tag may have 32");
  await expect(editor.save).toBeDisabled();
  await editor.root.getByTestId("editor-tags").fill("ok");
  await expect(editor.root.getByTestId("editor-title-count")).toContainText(`${`Limits ${uid}`.length} / 200`);
  await editor.saveAndClose();
  await alice.board.expectSynced();
});
