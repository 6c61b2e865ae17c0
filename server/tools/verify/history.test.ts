import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCheckers } from "./checkers";
import { HistoryWriter, parseHistory, readHistory } from "./history";

describe("verify history (IDEM-1: replays are one write)", () => {
  it("groups replays by mutationId: open until the first definite answer; a file read back gives the same verdict", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "verify-history-"));
    const file = path.join(dir, "h.jsonl");
    const w = new HistoryWriter(file);
    const base = { client: "c1", user: "u1", node: "n1", kind: "update" as const, policy: "occ" as const, boardId: "b1", cardId: "c_1", mutationId: "m1", req: { baseVersion: 1, patch: { title: "x" } } };
    w.write({ type: "invoke", id: 1, ...base, at: 10 });
    w.write({ type: "lost", id: 1, at: 20, reason: "drop-ack" });
    w.write({ type: "invoke", id: 2, ...base, node: "n2", at: 30 });
    w.write({ type: "complete", id: 2, at: 40, answer: { ok: false, error: { code: "UNAVAILABLE" } } });
    w.write({ type: "invoke", id: 3, ...base, at: 50 });
    w.write({ type: "complete", id: 3, at: 60, answer: { ok: true, seq: 2 } });
    w.write({ type: "final", at: 70, state: { boards: [], logs: { b1: { floor: 0, head: 2, entries: [{ seq: 1, type: "card.upsert", cardId: "c_1", mutationId: "m0" }, { seq: 2, type: "card.upsert", cardId: "c_1", mutationId: "m1" }] } }, snapshots: {}, replicas: [], db: null } });
    await w.close();
    const h = parseHistory(readHistory(file));
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]!.attempts.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(h.writes[0]!.invokeAt).toBe(10);
    expect(h.writes[0]!.completeAt).toBe(60);
    const verdict = (x: typeof h) => runCheckers(x).map((r) => `${r.checker}:${r.violations.length}`);
    expect(verdict(parseHistory(readHistory(file)))).toEqual(verdict(h));
    rmSync(dir, { recursive: true, force: true });
  });
});
