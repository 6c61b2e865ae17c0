/**
 * Per-board change log (SPEC FEED-1, FEED-2, FEED-4, FEED-5): seq is gap-free from the floor to
 * the head; the log read through the protocol equals the shard's table; seq follows commit order
 * (a write acknowledged before another was sent has the smaller seq); every observer applied a
 * prefix of the log in order (after each snapshot, consecutive seqs naming the logged change).
 */
import { ackedBoard, describeAttempt, moveSource, type Attempt, type ObservedEntry, type ParsedHistory } from "../history";
import type { CheckResult, Violation } from "./types";

interface Acked {
  a: Attempt;
  boardId: string;
  seq: number;
}

export function checkBoardLog(h: ParsedHistory): CheckResult {
  const violations: Violation[] = [];
  const notes: string[] = [];
  let checks = 0;
  const final = h.final;
  if (!final) return { checker: "board-log", checks, violations, notes: ["no final state in the history"] };
  const push = (rule: string, message: string, ops: Attempt[] = [], evidence: string[] = []) =>
    violations.push({ checker: "board-log", rule, message, ops: ops.map((a) => a.id), evidence: [...ops.map(describeAttempt), ...evidence] });

  // Gap-free from floor to head, and the same as the shard's table.
  for (const [boardId, log] of Object.entries(final.logs)) {
    checks++;
    let expect = log.floor + 1;
    for (const e of log.entries) {
      if (e.seq !== expect) {
        push("FEED-1", `board ${boardId}: seq ${e.seq} where ${expect} was due (gap or repeat)`);
        expect = e.seq;
      }
      expect++;
    }
    if (expect - 1 !== log.head) push("FEED-1", `board ${boardId}: log ends at ${expect - 1} but the head is ${log.head}`);
    if (final.db) {
      const shard = final.boards.find((b) => b.id === boardId)?.shard;
      const table = shard ? final.db.shards[shard]?.changes.filter((c) => c.boardId === boardId).sort((x, y) => x.seq - y.seq) : undefined;
      if (table) {
        const wire = log.entries.map((e) => `${e.seq}:${e.type}:${e.cardId}:${e.mutationId}`).join("|");
        const db = table.filter((c) => c.seq > log.floor).map((c) => `${c.seq}:${c.type}:${c.cardId}:${c.mutationId}`).join("|");
        if (wire !== db) push("FEED-2", `board ${boardId}: the log read through board:join differs from the shard's changes table`);
      }
    }
  }

  // Commit order: sweep the acknowledged writes of each board by time.
  const acked = new Map<string, Acked[]>();
  for (const w of h.writes) {
    if (!w.answer?.ok) continue;
    const a = w.attempts.find((x) => x.answer?.ok)!;
    const add = (boardId: string | undefined, seq: unknown) => {
      if (!boardId || typeof seq !== "number") return;
      if (w.kind === "update" && Array.isArray((w.answer as Record<string, unknown>).ignored) && !(final.logs[boardId]?.entries ?? []).some((e) => e.seq === seq && e.mutationId === w.mutationId)) return;
      let l = acked.get(boardId);
      if (!l) acked.set(boardId, (l = []));
      // The write's interval runs from its first invoke to the ack that answered it.
      l.push({ a: { ...a, invokeAt: w.invokeAt }, boardId, seq });
    };
    if (w.kind === "move") {
      add(String(w.req.toBoardId), w.answer.seq);
      add(moveSource(w, final), w.answer.fromSeq);
    } else add(ackedBoard(w, final), w.answer.seq);
  }
  for (const [boardId, list] of acked) {
    const byComplete = [...list].sort((x, y) => x.a.completeAt! - y.a.completeAt!);
    const byInvoke = [...list].sort((x, y) => x.a.invokeAt - y.a.invokeAt);
    let i = 0;
    let maxDone: Acked | null = null;
    for (const b of byInvoke) {
      while (i < byComplete.length && byComplete[i]!.a.completeAt! < b.a.invokeAt) {
        if (!maxDone || byComplete[i]!.seq > maxDone.seq) maxDone = byComplete[i]!;
        i++;
      }
      checks++;
      if (maxDone && maxDone.seq >= b.seq) {
        push("FEED-1", `board ${boardId}: seq ${b.seq} was given to a write sent after another write had been acknowledged with seq ${maxDone.seq} (not commit order)`, [maxDone.a, b.a]);
      }
    }
  }

  // Observers: after each reset, consecutive seqs that name the logged change.
  // An observer's records of one board, in the order written, are one stream.
  const streams = new Map<string, { observer: string; boardId: string; entries: ObservedEntry[] }>();
  for (const r of h.observed) {
    const key = `${r.observer}\u0000${r.boardId}`;
    const s = streams.get(key);
    if (s) s.entries.push(...r.entries);
    else streams.set(key, { observer: r.observer, boardId: r.boardId, entries: [...r.entries] });
  }
  for (const o of streams.values()) {
    const log = final.logs[o.boardId];
    if (!log) continue;
    const bySeq = new Map(log.entries.map((e) => [e.seq, e]));
    let at: number | null = null;
    for (const e of o.entries) {
      checks++;
      if (e[0] === "reset") {
        at = e[1];
        continue;
      }
      const [seq, mutationId, type, cardId] = e;
      if (at !== null && seq !== at + 1) {
        push("FEED-4", `observer ${o.observer} on ${o.boardId}: applied seq ${seq} after ${at}`);
      }
      at = seq;
      const logged = bySeq.get(seq);
      if (seq > log.floor && (!logged || logged.mutationId !== mutationId || logged.type !== type || logged.cardId !== cardId)) {
        push("FEED-2", `observer ${o.observer} on ${o.boardId}: applied seq ${seq} as ${type} ${cardId} (${mutationId}) but the log has ${logged ? `${logged.type} ${logged.cardId} (${logged.mutationId})` : "nothing"} there`);
      }
    }
  }
  return { checker: "board-log", checks, violations, notes };
}
