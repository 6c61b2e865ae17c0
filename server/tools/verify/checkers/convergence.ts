/**
 * Convergence (SPEC LWW-1, MVR-1, FEED-2): at the end, every replica an
 * observer built from the changes it applied on an `lww` or `mvr` board equals a fresh snapshot
 * of that board at the same seq, card for card (fields, clocks, siblings).
 */
import type { ParsedHistory, WireCardLike } from "../history";
import type { CheckResult, Violation } from "./types";

const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

/** The parts of a card every replica must agree on. */
const essence = (c: WireCardLike) => canon(c);

export function checkConvergence(h: ParsedHistory): CheckResult {
  const violations: Violation[] = [];
  const notes: string[] = [];
  let checks = 0;
  const final = h.final;
  if (!final) return { checker: "convergence", checks, violations, notes: ["no final state in the history"] };
  const policyOf = new Map(final.boards.map((b) => [b.id, b.policy]));
  for (const r of final.replicas) {
    const policy = policyOf.get(r.boardId);
    if (policy !== "lww" && policy !== "mvr") continue;
    const snap = final.snapshots[r.boardId];
    if (!snap) continue;
    checks++;
    if (snap.seq !== r.seq) {
      violations.push({ checker: "convergence", rule: "FEED-2", message: `observer ${r.observer} on ${policy} board ${r.boardId} ended at seq ${r.seq}, the board at ${snap.seq}`, ops: [], evidence: [] });
      continue;
    }
    const mine = new Map(r.cards.map((c) => [c.id, c]));
    const theirs = new Map(snap.cards.map((c) => [c.id, c]));
    const diffs: string[] = [];
    for (const id of new Set([...mine.keys(), ...theirs.keys()])) {
      const a = mine.get(id);
      const b = theirs.get(id);
      if (!a || !b) diffs.push(`${id}: ${a ? "only in the replica" : "only in the snapshot"}`);
      else if (essence(a) !== essence(b)) diffs.push(`${id}: replica ${essence(a).slice(0, 300)} ≠ snapshot ${essence(b).slice(0, 300)}`);
    }
    if (diffs.length > 0) {
      violations.push({
        checker: "convergence",
        rule: policy === "lww" ? "LWW-1" : "MVR-1",
        message: `observer ${r.observer}'s replica of ${policy} board ${r.boardId} differs from a fresh snapshot at seq ${snap.seq} on ${diffs.length} card(s)`,
        ops: [],
        evidence: diffs.slice(0, 10),
      });
    }
  }
  for (const [client, n] of Object.entries(final.outboxPending ?? {})) {
    if (n === 0) continue;
    const aside = Object.entries(final.outboxSetAside?.[client] ?? {});
    const asideCount = aside.reduce((sum, [, k]) => sum + k, 0);
    const why = aside.map(([msg, k]) => `${k} × ${msg}`).join("; ");
    notes.push(`${client}: ${n} write(s) still in its outbox at the end: ${asideCount} set aside after repeated INTERNAL answers (OUTBOX-7)${why ? ` [${why}]` : ""}, ${n - asideCount} not delivered in time`);
  }
  return { checker: "convergence", checks, violations, notes };
}
