import AxeBuilder from "@axe-core/playwright";
import { io, type Socket } from "socket.io-client";
import { expect, test } from "./fixtures";

/**
 * Crowded boards (issue 15): a long column is virtualized (SPEC UI-1) and stays keyboard
 * operable and accessible; presence shows a few avatars and, behind "+N", who is here (PRES-1).
 */

async function signedSocket(baseURL: string, name: string): Promise<Socket> {
  const res = await fetch(`${baseURL}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  const { token } = (await res.json()) as { token: string };
  const s = io(baseURL, { auth: { token, presenceDelta: true }, transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", reject);
  });
  return s;
}

const ask = (s: Socket, event: string, payload: unknown) => s.timeout(20_000).emitWithAck(event, payload) as Promise<{ ok: boolean }>;

test("a 150-card column renders only what is in view; arrow keys, End and Home walk it; +N lists who is here", async ({ actors, uid, baseURL }) => {
  const [ada] = await actors("Ada");
  await ada.boards.createBoard(`Crowd ${uid}`, "occ");
  const boardId = ada.page.url().split("/b/")[1]!;
  const sockets: Socket[] = [];
  try {
    const seeder = await signedSocket(baseURL!, "Seeder");
    sockets.push(seeder);
    for (let i = 0; i < 150; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          ask(seeder, "card:create", { mutationId: `m-${uid}-${i + k}`, boardId, fields: { title: `Card ${i + k}`, position: `p${String(i + k).padStart(3, "0")}` } }),
        ),
      );
    }
    const todo = ada.page.getByTestId("column-todo");
    await expect(todo.locator(".column-count .visually-hidden")).toHaveText("150 cards");
    // Virtualized: far fewer tiles in the page than cards in the column.
    await expect(todo.locator('[data-card-title="Card 0"]')).toBeVisible();
    const rendered = await todo.locator("article.card").count();
    expect(rendered).toBeLessThan(60);
    await expect(todo.locator("li[aria-setsize='150']").first()).toBeAttached();

    // The keyboard reaches every card: End, ArrowUp, Home.
    await todo.locator('[data-card-title="Card 0"] .card-open').focus();
    await ada.page.keyboard.press("End");
    await expect(ada.page.locator(":focus")).toHaveText("Card 149");
    await expect(todo.locator('[data-card-title="Card 149"]')).toBeInViewport();
    await ada.page.keyboard.press("ArrowUp");
    await expect(ada.page.locator(":focus")).toHaveText("Card 148");
    await ada.page.keyboard.press("Home");
    await expect(ada.page.locator(":focus")).toHaveText("Card 0");
    await ada.page.keyboard.press("ArrowDown");
    await expect(ada.page.locator(":focus")).toHaveText("Card 1");
    await ada.page.keyboard.press("Enter");
    await expect(ada.page.getByRole("dialog")).toBeVisible();
    await ada.page.keyboard.press("Escape");

    // Seven more people: five avatars, "+N" opens who is here.
    for (let i = 1; i <= 7; i++) {
      const s = await signedSocket(baseURL!, `Visitor ${i}`);
      sockets.push(s);
      await ask(s, "board:join", { boardId });
    }
    const presence = ada.page.getByTestId("presence");
    await expect(presence).toHaveAttribute("data-total", "8");
    await ada.page.getByTestId("presence-more").click();
    await expect(ada.page.getByTestId("presence-list").locator("li")).toHaveCount(8);
    await expect(ada.page.getByTestId("presence-list")).toContainText("Visitor 7");

    const results = await new AxeBuilder({ page: ada.page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
    const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`);
    expect(serious).toEqual([]);
    await ada.page.screenshot({ path: test.info().outputPath("crowded-board.png") });
  } finally {
    for (const s of sockets) s.disconnect();
  }
});
