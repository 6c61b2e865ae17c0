import { test as base, expect, type BrowserContext, type Page, type TestInfo } from "@playwright/test";
import { BoardListPage } from "./pages/board-list-page";
import { BoardPage } from "./pages/board-page";
import { SignInPage } from "./pages/sign-in-page";

/** A named person with their own browser context (own localStorage, IndexedDB: own session and replica). */
export interface Actor {
  name: string;
  context: BrowserContext;
  page: Page;
  boards: BoardListPage;
  board: BoardPage;
}

/** Opens (once per name and test) a signed-in actor for each name, in order. */
export type Actors = (...names: string[]) => Promise<Actor[]>;

export const test = base.extend<{ actors: Actors; uid: string }>({
  actors: async ({ browser, baseURL }, use) => {
    const opened = new Map<string, Actor>();
    const open = async (name: string): Promise<Actor> => {
      const existing = opened.get(name);
      if (existing) return existing;
      const context = await browser.newContext({ baseURL });
      const page = await context.newPage();
      const actor: Actor = { name, context, page, boards: new BoardListPage(page), board: new BoardPage(page) };
      opened.set(name, actor);
      await test.step(`${name} signs in`, async () => {
        const signIn = new SignInPage(page);
        await signIn.goto();
        await signIn.signIn(name);
      });
      return actor;
    };
    await use(async (...names) => {
      const actors: Actor[] = [];
      // One after the other: two cores, and sign-in order then matches the names.
      for (const n of names) actors.push(await open(n));
      return actors;
    });
    for (const a of opened.values()) await a.context.close();
  },

  /** A short id unique to this test run, for board names and card titles. */
  uid: async ({}, use, testInfo: TestInfo) => {
    await use(`${testInfo.testId.slice(0, 6)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`);
  },
});

export { expect };
