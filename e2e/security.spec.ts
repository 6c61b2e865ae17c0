import { expect, test } from "./fixtures";

/**
 * SPEC SEC-1, SEC-2 against the real server (Next.js pages and static files, the API): headers
 * on every response, a session cookie scripts cannot read, and signing out ends the session for
 * whoever holds a copy of it.
 */

test.describe("security (SEC-1, SEC-2)", () => {
  test("a page, an API route and a static asset carry the security headers; page scripts carry the nonce", async ({ page, request }) => {
    const res = await page.goto("/");
    const headers = res!.headers();
    const csp = headers["content-security-policy"] ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["permissions-policy"]).toContain("camera=()");
    // Every script Next.js wrote carries this response's nonce, and the app ran (CSP let it).
    const scripts = await page.locator("script").evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).nonce));
    expect(scripts.length).toBeGreaterThan(0);
    expect(new Set(scripts)).toEqual(new Set([nonce]));
    await expect(page.getByTestId("signin-name")).toBeVisible();

    const asset = await page.locator("script[src^='/_next/static/']").first().getAttribute("src");
    for (const path of ["/api/health", asset!, "/sw.js"]) {
      const r = await request.get(path);
      expect(r.status(), path).toBe(200);
      expect(r.headers()["content-security-policy"], path).toContain("frame-ancestors 'none'");
      expect(r.headers()["x-content-type-options"], path).toBe("nosniff");
      expect(r.headers()["referrer-policy"], path).toBe("no-referrer");
    }
  });

  test("the session is an HttpOnly cookie; signing out revokes it, also for a copy elsewhere", async ({ actors, browser, baseURL }) => {
    const [eve] = await actors("Eve");
    const cookies = await eve.context.cookies();
    const session = cookies.find((c) => c.name.startsWith("concord_session"));
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // Scripts see who is signed in, never the credential.
    expect(await eve.page.evaluate(() => localStorage.getItem("concord.session"))).not.toContain(session!.value);
    expect(await eve.page.evaluate(() => document.cookie)).not.toContain(session!.value);

    // Someone with a copy of the cookie (another browser) is signed in as Eve...
    const copy = await browser.newContext({ baseURL });
    await copy.addCookies([session!]);
    const stored = await eve.page.evaluate(() => localStorage.getItem("concord.session"));
    await copy.addInitScript((s) => localStorage.setItem("concord.session", s), stored!);
    const other = await copy.newPage();
    await other.goto("/");
    await expect(other.getByTestId("current-user")).toHaveText("Eve");
    await expect(other.getByTestId("connection")).toHaveText("online");

    // ...until Eve signs out: the server revokes the session and the copy's socket is refused.
    await eve.page.getByRole("button", { name: "Sign out" }).click();
    await expect(eve.page.getByTestId("signin-name")).toBeVisible();
    await expect(other.getByTestId("signin-name")).toBeVisible();
    await expect(other.getByText("Your session is no longer valid")).toBeVisible();
    await copy.close();
  });
});
