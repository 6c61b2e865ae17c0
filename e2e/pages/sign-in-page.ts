import { expect, type Locator, type Page } from "@playwright/test";

/** The sign-in form at `/` (shown while nobody is signed in in this browser context). */
export class SignInPage {
  readonly name: Locator;
  readonly submit: Locator;

  constructor(readonly page: Page) {
    this.name = page.getByTestId("signin-name");
    this.submit = page.getByTestId("signin-submit");
  }

  async goto(): Promise<void> {
    await this.page.goto("/");
  }

  /** Signs in with just a name and waits until the home page shows who is signed in and is online. */
  async signIn(name: string): Promise<void> {
    await this.name.fill(name);
    await this.submit.click();
    await expect(this.page.getByTestId("current-user")).toHaveText(name);
    await expect(this.page.getByTestId("connection")).toHaveText("online");
  }
}
