/**
 * `ui` (issue 15): real Chromium (Playwright's library) on a board of 5 000 cards served by a
 * Concord node with the built UI. Measures the first render (navigation start → the first card
 * tile in the page; the client shows a board once its whole snapshot is in, FEED-5), then, while
 * the load generator writes 100 title updates a second, the delay from each write to its title
 * on screen (a MutationObserver, stamped at the next animation frame), and the longest main-thread
 * task (PerformanceObserver `longtask`). Half the writes go to the cards at the top of each column
 * (in view, measured), half to random cards (off screen: the client must still take them).
 * Needs the built UI (`npm start` once, or `npm run build`). Opt-in: `--scenario ui`.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";
import type { Status } from "../../../../lib/protocol";
import { createUi } from "../../../ui";
import { startToolNode } from "../../tool-node";
import { pct } from "../stats";
import type { Row, Scenario } from "../types";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const STATUSES: Status[] = ["todo", "doing", "done"];

/**
 * Runs in the page before its scripts: first card, long tasks, and when each `w<n>` title shows.
 * Plain JavaScript text (a compiled function would carry the bundler's helpers into the page).
 */
const INSTRUMENT = `
(() => {
  const bench = (window.__bench = { firstCard: null, longtasks: [], seen: {} });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  let waiting = [];
  const note = (el) => {
    const m = /^w(\\d+)$/.exec((el && el.textContent) || "");
    if (m && !(m[1] in bench.seen) && !waiting.includes(m[1])) waiting.push(m[1]);
  };
  new MutationObserver((records) => {
    if (bench.firstCard === null && document.querySelector("article.card")) bench.firstCard = performance.now();
    for (const r of records) {
      const target = r.target instanceof Element ? r.target : r.target.parentElement;
      note(target ? target.closest(".card-open") : null);
      for (const n of r.addedNodes) if (n instanceof Element) n.querySelectorAll(".card-open").forEach(note);
    }
    if (waiting.length > 0) {
      const now = waiting;
      waiting = [];
      // On screen: the frame after the change is in the page.
      requestAnimationFrame(() => {
        const at = Date.now();
        for (const k of now) if (bench.seen[k] === undefined) bench.seen[k] = at;
      });
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();
`;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The 25 functions with the most self time in a CPU profile, as progress lines. */
function printProfile(profile: CpuProfile, say: (line: string) => void, phase: string): void {
  const file = path.join(root, ".concord", "bench", `ui-${phase}.cpuprofile`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
  say(`[ui] profile of the ${phase} saved to ${path.relative(root, file)} (open it in Chromium's devtools, Performance panel)`);
  const dt = new Map<number, number>();
  profile.samples?.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const self = new Map<string, number>();
  for (const n of profile.nodes) {
    const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}:${n.callFrame.columnNumber ?? 0}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0) / 1000);
  }
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) say(`[ui] profile ${ms.toFixed(0)} ms ${k}`);
}

export const uiScenario: Scenario = {
  name: "ui",
  optIn: true,
  description: "Chromium on a 5 000-card board: first render, write → screen p99 under 100 updates/s, longest task (needs the built UI)",
  async run(ctx) {
    if (!existsSync(path.join(root, ".next", "BUILD_ID"))) throw new Error("no built UI: run `npm start` once (or `npm run build`) first");
    const count = ctx.quick ? 500 : 5_000;
    const rate = 100;
    const seconds = ctx.quick ? 3 : Math.max(10, ctx.seconds * 3);
    const ui = await createUi(false);
    const tool = await startToolNode("bench_ui", { adminUrl: ctx.adminUrl, ui: ui.handle });
    const load = await ctx.load();
    const browser = await chromium.launch({
      ...(existsSync("/usr/bin/chromium") ? { executablePath: "/usr/bin/chromium" } : {}),
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      // An lww board (no write is ever a conflict) of `count` cards over three columns, in known order.
      const s = tool.node.services;
      const writer = { id: tool.user.id, name: tool.user.name, replicaId: "bench-seed" };
      const board = await s.boards.create(tool.user, { name: `UI bench ${count}`, policy: "lww", shard: "a" });
      const byColumn: Record<Status, string[]> = { todo: [], doing: [], done: [] };
      for (let i = 0; i < count; i += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, count - i) }, async (_, j) => {
            const n = i + j;
            const status = STATUSES[n % 3]!;
            const cardId = `c_${randomUUID()}`;
            if (!(await s.directory.claim(cardId, board, `seed-${cardId}`))) throw new Error("card id taken");
            const fields = { title: `Card ${n}`, body: `Seeded card ${n} of ${count}`, status, position: `p${String(n).padStart(6, "0")}`, estimate: n % 8 };
            const o = await s.records.write({ board, writer, mutation: { kind: "create", mutationId: `seed-${cardId}`, boardId: board.id, cardId, fields } });
            if (o.kind !== "applied") throw new Error("seed write not applied");
            byColumn[status][n] = cardId;
          }),
        );
      }
      const columns = STATUSES.map((st) => byColumn[st].filter(Boolean));
      const targets = columns.flatMap((ids) => ids.slice(0, 6));
      const others = columns.flatMap((ids) => ids.slice(6));
      ctx.progress(`[ui] ${count} cards on one lww board; opening it in Chromium`);

      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.addInitScript({ content: INSTRUMENT });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      const base = tool.urls[0]!;
      await page.goto(base);
      await page.getByTestId("signin-name").fill("Bench viewer");
      await page.getByTestId("signin-submit").click();
      await page.getByTestId("current-user").waitFor();
      // BENCH_UI_PROFILE=load: a CPU profile of the board's first load instead.
      const loadCdp = process.env.BENCH_UI_PROFILE === "load" ? await page.context().newCDPSession(page) : null;
      if (loadCdp) {
        await loadCdp.send("Profiler.enable");
        await loadCdp.send("Profiler.start");
      }
      await page.goto(`${base}/b/${board.id}`);
      await page
        .waitForFunction(() => (window as unknown as { __bench: { firstCard: number | null } }).__bench.firstCard !== null, undefined, { timeout: 60_000 })
        .catch(async (err: unknown) => {
          const shot = path.join(root, "test-results", "bench-ui-timeout.png");
          await page.screenshot({ path: shot }).catch(() => {});
          throw new Error(`no card shown within 60 s (screenshot ${shot}; page errors: ${errors.slice(0, 5).join(" | ") || "none"})`, { cause: err });
        });
      if (loadCdp) printProfile((await loadCdp.send("Profiler.stop")).profile, ctx.progress, "load");
      const loaded = await page.evaluate(() => {
        const b = (window as unknown as { __bench: { firstCard: number; longtasks: [number, number][] } }).__bench;
        return { firstCard: b.firstCard, longest: Math.max(0, ...b.longtasks.map(([, d]) => d)), tiles: document.querySelectorAll("article.card").length, now: performance.now() };
      });
      const steps = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
        const marks = performance.getEntriesByType("mark").filter((m) => m.name.startsWith("concord:")).map((m) => `${m.name.slice(8)} ${Math.round(m.startTime)}`);
        return [`html ${Math.round(nav?.responseEnd ?? 0)}`, `DOMContentLoaded ${Math.round(nav?.domContentLoadedEventEnd ?? 0)}`, ...marks].join(", ");
      });
      ctx.progress(`[ui] loading, ms after navigation: ${steps}`);
      ctx.progress(`[ui] first render ${Math.round(loaded.firstCard)} ms after navigation (${loaded.tiles} tiles in the page), longest task while loading ${Math.round(loaded.longest)} ms`);
      await page.waitForTimeout(1_000);

      const phaseStart = await page.evaluate(() => performance.now());
      // BENCH_UI_PROFILE=updates: a CPU profile of the page under the updates, its top functions printed.
      const cdp = process.env.BENCH_UI_PROFILE === "updates" ? await page.context().newCDPSession(page) : null;
      if (cdp) {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.start");
      }
      const res = await load.run("paced", { url: base, token: tool.token, targets, others, rate, seconds });
      if (cdp) printProfile((await cdp.send("Profiler.stop")).profile, ctx.progress, "updates");
      await page.waitForTimeout(2_000);
      const after = await page.evaluate((from) => {
        const b = (window as unknown as { __bench: { longtasks: [number, number][]; seen: Record<string, number> } }).__bench;
        const tasks = b.longtasks.filter(([at]) => at >= from).map(([, d]) => d);
        return { seen: b.seen, longest: Math.max(0, ...tasks), over100: tasks.filter((d) => d > 100).length, tasks: tasks.length };
      }, phaseStart);
      // A later write to the same card may replace a title before it is painted: count the writes seen.
      const delays = res.sent.flatMap(([k, at]) => (after.seen[k] !== undefined ? [after.seen[k]! - at] : []));
      const missing = res.sent.length - delays.length;
      ctx.progress(
        `[ui] ${res.writes} writes at ${rate}/s (${res.failed} failed; ack p50 ${Math.round(res.ackMs.p50)} ms, p99 ${Math.round(res.ackMs.p99)} ms), ${res.sent.length} to cards in view: write → screen p50 ${Math.round(pct(delays, 50))} ms, ` +
          `p99 ${Math.round(pct(delays, 99))} ms, ${missing} not seen; long tasks ${after.tasks} (${after.over100} over 100 ms), longest ${Math.round(after.longest)} ms`,
      );
      const c = `${count} cards, ${rate} updates/s`;
      const row = (metric: string, unit: string, value: number, extra: Partial<Row> = {}): Row => ({ scenario: "ui", case: c, metric, unit, value, ...extra });
      return [
        row("first render", "ms", loaded.firstCard, { target: "< 1 000 ms", met: loaded.firstCard < 1_000, note: `longest task while loading ${Math.round(loaded.longest)} ms; ${loaded.tiles} tiles in the page` }),
        row("write → screen p50", "ms", pct(delays, 50)),
        row("write → screen p99", "ms", pct(delays, 99), { target: "< 500 ms", met: pct(delays, 99) < 500, note: `${delays.length} writes to cards in view seen, ${missing} replaced before painted or not seen; the writer's ack p99 ${Math.round(res.ackMs.p99)} ms` }),
        // Issue 11: no main-thread task over 50 ms (the `longtask` entries are exactly those); issue 15's bound was 100 ms.
        row("longest task under updates", "ms", after.longest, { target: "none > 50 ms", met: after.tasks === 0, note: `${after.tasks} long tasks (> 50 ms), ${after.over100} over 100 ms` }),
      ];
    } finally {
      await browser.close();
      await load.close();
      await tool.close();
      await ui.close();
    }
  },
};
