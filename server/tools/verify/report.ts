/** The end-of-run report: operations, faults by kind, checks run, violations with their operations. */
import type { CheckResult } from "./checkers";
import type { ParsedHistory } from "./history";

/** Recorded, but consequences rather than injected faults: a node that exited on its own (a Postgres restart can take nodes down), a client-side error. */
const EVENTS = new Set(["node-exit", "client-error", "settle", "failover"]);

export function summarize(h: ParsedHistory): { attempts: Record<string, number>; answers: Record<string, number>; writes: { total: number; acknowledged: number; refused: number; open: number }; faults: Record<string, number>; events: Record<string, number> } {
  const attempts: Record<string, number> = {};
  const answers: Record<string, number> = {};
  for (const a of h.attempts) {
    attempts[a.kind] = (attempts[a.kind] ?? 0) + 1;
    const k = a.answer ? (a.answer.ok ? "ok" : a.answer.error.code) : "lost";
    answers[k] = (answers[k] ?? 0) + 1;
  }
  const faults: Record<string, number> = {};
  const events: Record<string, number> = {};
  for (const f of h.faults) {
    const into = EVENTS.has(f.kind) ? events : faults;
    into[f.kind] = (into[f.kind] ?? 0) + 1;
  }
  const writes = {
    total: h.writes.length,
    acknowledged: h.writes.filter((w) => w.answer?.ok).length,
    refused: h.writes.filter((w) => w.answer && !w.answer.ok).length,
    open: h.writes.filter((w) => !w.answer).length,
  };
  return { attempts, answers, writes, faults, events };
}

const list = (r: Record<string, number>) => Object.entries(r).sort(([, a], [, b]) => b - a).map(([k, v]) => `${k} ${v}`).join(", ") || "none";

/** The report as text; `violations` counts them all. */
export function formatReport(h: ParsedHistory, results: CheckResult[], file: string): { text: string; violations: number } {
  const s = summarize(h);
  const lines: string[] = [];
  const meta = h.meta;
  lines.push("", "=== verify report ===");
  if (meta) {
    lines.push(`run: seed ${meta.seed}, ${meta.seconds} s, ${meta.clients} clients, ${meta.owned ? `own deployment (${meta.urls.length} nodes over shards a, b)` : `existing cluster ${meta.urls.join(", ")} (client-side faults only)`}`);
    lines.push(`faults enabled: ${meta.faults.join(", ") || "none"}`);
  }
  lines.push(`history: ${file}`);
  lines.push(`operations: ${h.attempts.length} requests (${list(s.attempts)})`);
  lines.push(`answers: ${list(s.answers)}`);
  // Histories written before `leave` was its own kind recorded board:leave as a read: told apart by the answer.
  const joins = h.attempts.filter((a) => a.kind === "read" && !(a.answer?.ok && a.answer.seq === undefined));
  lines.push(`reads: ${joins.length} board:join requests: ${joins.filter((a) => a.req.cursor === undefined && a.req.since === undefined).length} snapshots, ${joins.filter((a) => a.req.since !== undefined).length} catch-ups, ${joins.filter((a) => a.req.cursor !== undefined).length} next pages followed (cursor)`);
  lines.push(`writes (one per mutationId, replays included): ${s.writes.total}: ${s.writes.acknowledged} acknowledged, ${s.writes.refused} refused, ${s.writes.open} never answered (open)`);
  lines.push(`faults injected: ${Object.values(s.faults).reduce((a, b) => a + b, 0)} (${list(s.faults)})`);
  const steps: Record<string, number> = {};
  for (const f of h.faults) {
    const m = f.kind === "2pc-crash" ? /after (\S+)/.exec(f.detail) : null;
    if (m) steps[m[1]!] = (steps[m[1]!] ?? 0) + 1;
  }
  if (Object.keys(steps).length > 0) lines.push(`coordinator crashes by 2PC step: ${list(steps)}`);
  if (Object.keys(s.events).length > 0) lines.push(`other events: ${list(s.events)} (details in the history's fault records)`);
  let violations = 0;
  lines.push("checks:");
  for (const r of results) {
    violations += r.violations.length;
    lines.push(`  ${r.checker.padEnd(16)} ${String(r.checks).padStart(7)} checks, ${r.violations.length} violation(s)${r.notes.length ? `; ${r.notes.length} note(s)` : ""}`);
  }
  for (const r of results) for (const n of r.notes.slice(0, 5)) lines.push(`  note (${r.checker}): ${n}`);
  if (violations > 0) {
    lines.push("", `VIOLATIONS (${violations}):`);
    for (const r of results) {
      for (const v of r.violations.slice(0, 20)) {
        lines.push(`- [${v.checker}] ${v.rule}: ${v.message}`);
        if (v.ops.length) lines.push(`    operations: ${v.ops.map((o) => `#${o}`).join(", ")}`);
        for (const e of v.evidence.slice(0, 8)) lines.push(`    ${e}`);
      }
      if (r.violations.length > 20) lines.push(`  … and ${r.violations.length - 20} more from ${r.checker}`);
    }
  }
  lines.push("", violations === 0 ? "verdict: no violations" : `verdict: ${violations} violation(s)`);
  return { text: lines.join("\n"), violations };
}
