import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect } from "./fixtures";

/**
 * No serious or critical WCAG 2.1 A/AA violation (axe-core) on the page as it is drawn. Every
 * finite animation is let end first: a dialog rises in from transparent over 0.16 s, and axe
 * measuring its buttons' contrast halfway through reported them too faint.
 */
export async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getComputedTiming().endTime === Infinity),
  );
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}×: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")})`);
  expect(report, `axe on ${what}`).toEqual([]);
}
