import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { SignInPage } from "./pages/sign-in-page";
import { cardTitled, Demos, openFromList } from "./pages/demos";

/** `CONCORD_DOCS_SCREENSHOTS=1 npx playwright test e2e/landing.spec.ts` also refreshes the README's pictures in docs/demos/. */
const docsDir = process.env.CONCORD_DOCS_SCREENSHOTS === "1" ? path.join(process.cwd(), "docs", "demos") : null;

async function picture(page: Page, name: string): Promise<void> {
  const shot = await page.screenshot();
  await test.info().attach(name, { body: shot, contentType: "image/png" });
  if (docsDir) {
    mkdirSync(docsDir, { recursive: true });
    writeFileSync(path.join(docsDir, `${name}.png`), shot);
  }
}

const TECHNIQUES = ["occ", "resolution", "moves", "locks", "replication"];

test.describe("landing page and demo boards (issue 16)", () => {
  test("signed out: /about shows the architecture and the five techniques, each leading to sign-in", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("link", { name: /What is Concord/ }).click();
    await page.waitForURL(/\/about$/);
    await expect(page.getByTestId("architecture-diagram")).toBeVisible();
    for (const t of TECHNIQUES) await expect(page.getByTestId(`technique-${t}`).getByRole("link")).toHaveText("Sign in to try it →");
    // The sign-in flow is where it was.
    await page.getByTestId(`technique-occ`).getByRole("link").click();
    await expect(new SignInPage(page).name).toBeVisible();
  });

  test("after Try the demos every technique links to its demo board, which opens with its guide; a 2PC move and a lock on the demos", async ({ actors }) => {
    const [ada] = await actors("Ada");
    const demos = new Demos(ada.page);
    await expect(demos.section).toBeVisible();
    await ada.page.getByRole("link", { name: "About" }).click();
    for (const t of TECHNIQUES) await expect(ada.page.getByTestId(`technique-${t}`).getByRole("link")).toHaveText("Try the demos →");
    await ada.page.getByTestId("technique-occ").getByRole("link").click();
    await ada.page.waitForURL((u) => u.pathname === "/");
    await expect(demos.section).toBeVisible();
    await picture(ada.page, "board-list-try-demos");

    const board = await demos.tryDemos("Demo · OCC conflicts");
    await picture(ada.page, "occ-demo");
    await ada.page.goto("/about");
    await expect(ada.page.getByTestId("technique-moves").getByRole("link")).toHaveText("Open its demo →");
    await picture(ada.page, "about");
    await ada.page.getByTestId("technique-moves").getByRole("link").click();
    await board.expectReady("Demo · Moves A");
    await expect(demos.guide).toContainText("two-phase commit");

    // TX-2: the demo card moves to shard b; the inspector shows the committed transaction.
    await board.inspector.open();
    const card = await cardTitled(board, "Move me to shard b");
    const editor = await board.openCard(card);
    await ada.page.getByTestId("editor-move-select").selectOption({ label: "Demo · Moves B (shard b, 2PC)" });
    await ada.page.getByTestId("editor-move").click();
    await expect(editor.root).toBeHidden();
    await expect(ada.page.getByTestId("inspector-tx")).toContainText("committed");
    await expect(card.root).toHaveCount(0);
    await picture(ada.page, "moves-demo");

    // LOCK-1: the lock demo's card takes a lease and shows it.
    await openFromList(board, "Demo · Lock and fence");
    const lockCard = await cardTitled(board, "Lock me");
    await board.openCard(lockCard);
    await ada.page.getByTestId("editor-lock").click();
    await expect(ada.page.getByTestId("editor-lock")).toHaveAttribute("aria-pressed", "true");
    await board.editor.closeWithoutSaving();
    await expect(lockCard.root.getByTestId("card-lock")).toBeVisible();
    await picture(ada.page, "lock-demo");
  });
});
