import { expect, test } from "./fixtures";

/**
 * Each tab is its own replica (app/_lib/replica-id.ts): a reload keeps the tab's id and takes it
 * at once (its page released it on the way out), while a duplicated tab, which copies a live
 * tab's sessionStorage, must not share the id: the live tab answers its claim and it draws a
 * fresh one.
 */
const KEY = "concord.replicaId";
const RELEASED = "concord.replicaReleased";

test("a reloaded tab keeps its replica id; a duplicate of a live tab gets its own", async ({ browser }) => {
  const context = await browser.newContext();
  try {
    const a = await context.newPage();
    await a.goto("/");
    await expect.poll(() => a.evaluate((k) => sessionStorage.getItem(k), KEY)).toMatch(/^tab-[0-9a-f]{8}$/);
    const id = (await a.evaluate((k) => sessionStorage.getItem(k), KEY))!;

    await a.reload();
    await expect.poll(() => a.evaluate((k) => sessionStorage.getItem(k), KEY)).toBe(id);
    // The release mark was taken: a tab duplicated from this live one now cannot skip the claim.
    await expect.poll(() => a.evaluate((k) => sessionStorage.getItem(k), RELEASED)).toBeNull();

    // A duplicate: the live tab's whole sessionStorage, copied into a second tab, as a browser's
    // "Duplicate tab" does (a release mark left behind would let it take the id unchallenged).
    const copied = await a.evaluate(() => JSON.stringify({ ...sessionStorage }));
    const b = await context.newPage();
    await b.addInitScript((entries) => {
      if (sessionStorage.getItem("e2e.copied")) return;
      for (const [k, v] of Object.entries(JSON.parse(entries) as Record<string, string>)) sessionStorage.setItem(k, v);
      sessionStorage.setItem("e2e.copied", "1");
    }, copied);
    await b.goto("/");
    await expect.poll(() => b.evaluate((k) => sessionStorage.getItem(k), KEY)).not.toBe(id);
    expect(await b.evaluate((k) => sessionStorage.getItem(k), KEY)).toMatch(/^tab-[0-9a-f]{8}$/);
    // The original keeps its id.
    expect(await a.evaluate((k) => sessionStorage.getItem(k), KEY)).toBe(id);
  } finally {
    await context.close();
  }
});
