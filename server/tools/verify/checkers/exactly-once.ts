/**
 * Exactly-once (SPEC IDEM-1, IDEM-2): every acknowledged write is in the
 * change log once, at the seq its ack named; no mutationId is applied twice, across moves and
 * nodes; replays of one mutationId are answered with the first result; a write refused for sure
 * left nothing in the log; the shards' applied_mutations agree wherever a move carried them.
 */
import { ackedBoard, describeAttempt, moveSource, type LogEntry, type LogicalWrite, type ParsedHistory } from "../history";
import type { CheckResult, Violation } from "./types";

const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

export function checkExactlyOnce(h: ParsedHistory): CheckResult {
  const violations: Violation[] = [];
  const notes: string[] = [];
  let checks = 0;
  const final = h.final;
  if (!final) return { checker: "exactly-once", checks, violations, notes: ["no final state in the history"] };
  // Every log entry by mutationId, with its board.
  const byMutation = new Map<string, (LogEntry & { boardId: string })[]>();
  const floors = new Map<string, number>();
  for (const [boardId, log] of Object.entries(final.logs)) {
    floors.set(boardId, log.floor);
    for (const e of log.entries) {
      let l = byMutation.get(e.mutationId);
      if (!l) byMutation.set(e.mutationId, (l = []));
      l.push({ ...e, boardId });
    }
  }
  const trimmed = (boardId: string | undefined, seq: number) => (floors.get(boardId ?? "") ?? 0) >= seq;
  const v = (w: LogicalWrite, message: string, extra: string[] = []) =>
    violations.push({ checker: "exactly-once", rule: "IDEM-1", message: `${w.kind} ${w.mutationId}: ${message}`, ops: w.attempts.map((a) => a.id), evidence: [...w.attempts.map(describeAttempt), ...extra] });

  for (const w of h.writes) {
    checks++;
    const entries = byMutation.get(w.mutationId) ?? [];
    const show = entries.map((e) => `log ${e.boardId}#${e.seq} ${e.type} ${e.cardId}`);
    const ups = entries.filter((e) => e.type === "card.upsert");
    const dels = entries.filter((e) => e.type === "card.delete");
    // Applied at most once.
    const most = w.kind === "move" ? { up: 1, del: 1 } : w.kind === "delete" ? { up: 0, del: 1 } : { up: 1, del: 0 };
    if (ups.length > most.up || dels.length > most.del) v(w, `applied more than once: ${entries.length} log entries`, show);
    if (w.kind === "move" && ups.length !== dels.length && floors.size > 0 && !entries.some((e) => trimmed(e.boardId, e.seq + 1))) {
      v(w, "a move is half in the log (one side without the other)", show);
    }
    // Every ok answer of the group is the same result (a replay answers the first result).
    const oks = w.attempts.filter((a) => a.answer?.ok);
    const strip = (x: unknown) => {
      const { ok: _ok, ...rest } = x as Record<string, unknown>;
      return canon(rest);
    };
    if (oks.length > 1 && new Set(oks.map((a) => strip(a.answer))).size > 1) v(w, "replays of one mutationId got different results", []);
    const ans = w.answer;
    if (ans?.ok) {
      // In the log at the seq the ack named.
      const seq = ans.seq as number | undefined;
      if (w.kind === "update" && Array.isArray(ans.ignored) && entries.length === 0) continue; // lww: every field older, nothing logged
      const want: { boardId: string | undefined; seq: number | undefined; type: string }[] =
        w.kind === "move"
          ? [{ boardId: String(w.req.toBoardId), seq, type: "card.upsert" }, { boardId: moveSource(w, final), seq: ans.fromSeq as number | undefined, type: "card.delete" }]
          : [{ boardId: ackedBoard(w, final), seq, type: w.kind === "delete" ? "card.delete" : "card.upsert" }];
      for (const x of want) {
        if (x.seq === undefined) continue;
        if (trimmed(x.boardId, x.seq)) continue;
        const hit = entries.find((e) => e.seq === x.seq && e.type === x.type && (x.boardId === undefined || e.boardId === x.boardId));
        if (!hit) v(w, `acknowledged with seq ${x.seq} on ${x.boardId} but not in that board's log there (lost write)`, show);
      }
    } else if (ans && !ans.ok && entries.length > 0) {
      v(w, `answered ${ans.error.code} (nothing changed) but it is in the log`, show);
    }
  }
  // Writes outside the request history (the outbox clients' writes): still at most once in the logs.
  const known = new Set(h.writes.map((w) => w.mutationId));
  for (const [mutationId, entries] of byMutation) {
    if (known.has(mutationId)) continue;
    checks++;
    const ups = entries.filter((e) => e.type === "card.upsert").length;
    const dels = entries.length - ups;
    if (ups > 1 || dels > 1) {
      violations.push({ checker: "exactly-once", rule: "IDEM-1", message: `mutation ${mutationId} (an outbox client's) is in the logs ${entries.length} times`, ops: [], evidence: entries.map((e) => `log ${e.boardId}#${e.seq} ${e.type} ${e.cardId}`) });
    }
  }
  // applied_mutations: one result per mutationId wherever it is stored.
  if (final.db) {
    const results = new Map<string, Set<string>>();
    for (const s of Object.values(final.db.shards)) {
      for (const a of s.applied) {
        checks++;
        let set = results.get(a.mutationId);
        if (!set) results.set(a.mutationId, (set = new Set()));
        set.add(canon(a.result));
      }
    }
    for (const [mutationId, set] of results) {
      if (set.size > 1) {
        const w = h.writes.find((x) => x.mutationId === mutationId);
        violations.push({ checker: "exactly-once", rule: "IDEM-2", message: `mutation ${mutationId} has ${set.size} different stored results across shards`, ops: w ? w.attempts.map((a) => a.id) : [], evidence: [...set] });
      }
    }
    for (const w of h.writes) {
      if (!w.answer?.ok || !results.has(w.mutationId)) {
        if (w.answer?.ok && !(w.kind === "update" && Array.isArray(w.answer.ignored) && !byMutation.has(w.mutationId))) {
          v(w, "acknowledged but no shard stores its result in applied_mutations (a replay would apply it again)");
        }
      }
    }
  }
  return { checker: "exactly-once", checks, violations, notes };
}
