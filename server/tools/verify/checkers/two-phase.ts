/**
 * Two-phase commit (SPEC TX-2, TX-4, TX-6, ID-1), read from the databases at
 * the end: every card is on exactly one shard, on a board of that shard, where its directory row
 * points; no prepared transaction is left; the coordinator log agrees with the shards (a
 * committed move's result names its txId, an aborted one left nothing, nothing is undecided);
 * every move acknowledged with a txId is committed in the log.
 */
import { describeAttempt, type ParsedHistory } from "../history";
import type { CheckResult, Violation } from "./types";

export function checkTwoPhase(h: ParsedHistory): CheckResult {
  const violations: Violation[] = [];
  const notes: string[] = [];
  let checks = 0;
  const db = h.final?.db;
  if (!db || !h.final) return { checker: "2pc", checks, violations, notes: ["not checked: it reads the databases, which verify does not own here (--url)"] };
  const push = (rule: string, message: string, evidence: string[] = [], ops: number[] = []) => violations.push({ checker: "2pc", rule, message, ops, evidence });
  const shardOfBoard = new Map(h.final.boards.map((b) => [b.id, b.shard]));
  const where = new Map<string, { shard: string; boardId: string }[]>();
  for (const [shard, s] of Object.entries(db.shards)) {
    for (const c of s.cards) {
      let l = where.get(c.id);
      if (!l) where.set(c.id, (l = []));
      l.push({ shard, boardId: c.boardId });
    }
    for (const gid of s.prepared) push("TX-4", `shard ${shard}: prepared transaction ${gid} left in doubt after recovery`);
  }
  const directory = new Map(db.cardIds.map((r) => [r.cardId, r.boardId]));
  for (const [cardId, places] of where) {
    checks++;
    if (places.length > 1) push("TX-2", `card ${cardId} is on ${places.length} shards: ${places.map((p) => `${p.shard}/${p.boardId}`).join(", ")}`);
    for (const p of places) {
      const boardShard = shardOfBoard.get(p.boardId);
      if (boardShard && boardShard !== p.shard) push("TX-2", `card ${cardId} is stored on shard ${p.shard} but its board ${p.boardId} lives on ${boardShard}`);
    }
    const dir = directory.get(cardId);
    if (places.length === 1 && dir !== places[0]!.boardId) push("ID-1", `card ${cardId} is on board ${places[0]!.boardId} but its directory row says ${dir ?? "nothing"}`);
  }
  // The coordinator log against the shards' stored results.
  const results = new Map<string, { txId?: string }[]>();
  for (const s of Object.values(db.shards)) for (const a of s.applied) {
    let l = results.get(a.mutationId);
    if (!l) results.set(a.mutationId, (l = []));
    l.push((a.result ?? {}) as { txId?: string });
  }
  const committedByMutation = new Map<string, string[]>();
  const stateOf = new Map(db.txLog.map((t) => [t.txId, t.state]));
  for (const t of db.txLog) {
    checks++;
    if (t.state === "preparing" || t.state === "prepared") push("TX-4", `transaction ${t.txId} is still ${t.state} after recovery`);
    if (!t.mutationId) continue;
    const stored = results.get(t.mutationId) ?? [];
    if (t.state === "committed") {
      let l = committedByMutation.get(t.mutationId);
      if (!l) committedByMutation.set(t.mutationId, (l = []));
      l.push(t.txId);
      if (!stored.some((r) => r.txId === t.txId)) push("TX-6", `transaction ${t.txId} is committed in the log but no shard stores its move's result (mutation ${t.mutationId})`);
    } else if (t.state === "aborted" && stored.some((r) => r.txId === t.txId)) {
      push("TX-6", `transaction ${t.txId} is aborted in the log but a shard stores its move's result (mutation ${t.mutationId})`);
    }
  }
  for (const [mutationId, txs] of committedByMutation) if (txs.length > 1) push("TX-6", `mutation ${mutationId} was committed by ${txs.length} transactions: ${txs.join(", ")}`);
  for (const w of h.writes) {
    if (w.kind !== "move" || !w.answer?.ok || typeof w.answer.txId !== "string") continue;
    checks++;
    const state = stateOf.get(w.answer.txId);
    if (state !== undefined && state !== "committed") {
      push("TX-6", `move ${w.mutationId} was acknowledged with ${w.answer.txId}, which the log says is ${state}`, w.attempts.map(describeAttempt), w.attempts.map((a) => a.id));
    }
  }
  return { checker: "2pc", checks, violations, notes };
}
