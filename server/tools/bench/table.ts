import { round } from "./stats";
import type { Row } from "./types";

/** The rows as an aligned text table, their notes below it. */
export function formatTable(rows: Row[]): string {
  const head = ["scenario", "case", "metric", "Concord", "baseline", "ratio", "target", "met"];
  const fmt = (v: number, unit: string) => `${round(v).toLocaleString("en-US")} ${unit}`;
  const body = rows.map((r) => [
    r.scenario, r.case, r.metric, fmt(r.value, r.unit), r.baseline ? `${r.baseline.name} ${fmt(r.baseline.value, r.unit)}` : "",
    r.ratio !== undefined ? `${round(r.ratio)}×` : "", r.target ?? "", r.met === undefined ? "" : r.met ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ").trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `* ${r.case}, ${r.metric}: ${r.note}`);
  return [line(head), widths.map((w) => "-".repeat(w)).join("-|-"), ...body.map(line), ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}
