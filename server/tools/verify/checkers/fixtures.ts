/** Small hand-made histories for the checkers' tests. */
import { parseHistory, type Answer, type FinalState, type HistoryRecord, type OpKind, type Policy, type WireCardLike } from "../history";

export class HistoryBuilder {
  records: HistoryRecord[] = [];
  private id = 1;
  final: FinalState = { boards: [], logs: {}, snapshots: {}, replicas: [], db: null };

  /** An attempt from `at` to `end`; `answer` null: lost. */
  op(kind: OpKind, o: { cardId?: string; boardId?: string; mutationId?: string; policy?: Policy; req?: Record<string, unknown>; user?: string; client?: string }, at: number, end: number, answer: Answer | null): number {
    const id = this.id++;
    this.records.push({ type: "invoke", id, client: o.client ?? "c1", user: o.user ?? "u1", node: "n1", kind, policy: o.policy ?? "occ", boardId: o.boardId ?? "b1", cardId: o.cardId, mutationId: o.mutationId, req: o.req ?? {}, at });
    if (answer) this.records.push({ type: "complete", id, at: end, answer });
    else this.records.push({ type: "lost", id, at: end, reason: "test" });
    return id;
  }

  parsed() {
    return parseHistory([...this.records, { type: "final", at: 1e9, state: this.final }]);
  }
}

export function card(id: string, version: number, fv: Partial<Record<string, number>>, values: Partial<WireCardLike> = {}, boardId = "b1"): WireCardLike {
  const all = { title: 1, body: 1, status: 1, position: 1, tags: 1, estimate: 1, ...fv } as Record<string, number>;
  return { id, boardId, version, fieldVersions: all, title: "", body: "", status: "todo", position: "a0", tags: [], estimate: null, ...values };
}

export const ok = (x: Record<string, unknown> = {}): Answer => ({ ok: true, ...x });
export const err = (code: string, details?: unknown): Answer => ({ ok: false, error: { code, message: code, ...(details ? { details } : {}) } });
