/**
 * Per-field linearizability of `occ` cards (SPEC OCC-1, OCC-2, IDEM-1): a Wing–Gong–Lowe search
 * (the algorithm behind Knossos and Porcupine) over each card's operations, partitioned per card.
 *
 * The model keeps what the server keeps: the card's version and, per field, the version at which
 * it last changed. An update based on `b` conflicts exactly on the patched fields changed after
 * `b` (a plain (version, value) register would call every stale-based write a conflict, which is
 * wrong); a delete or move conflicts when anything changed after its base. A write is one logical
 * operation across its replays (same mutationId), from its first invoke to its first definite
 * answer; one whose answer never came stays open to the end and may or may not have happened.
 * Reads are the cards a `board:join` answer (snapshot page) returned: the card was in that state
 * at some moment of the request.
 */
import { describeAttempt, type Answer, type ParsedHistory, type WireCardLike } from "../history";
import type { CheckResult, Violation } from "./types";

const FIELDS = ["title", "body", "status", "position", "tags", "estimate"] as const;

export interface CardModel {
  exists: boolean;
  boardId: string;
  version: number;
  fv: Record<string, number>;
  values: Record<string, unknown>;
}

const ABSENT: CardModel = { exists: false, boardId: "", version: 0, fv: {}, values: {} };

type Step = { ok: true; next: CardModel } | { ok: false };

export interface LinOp {
  /** Attempt ids (first is the representative). */
  ids: number[];
  invokeAt: number;
  /** Infinity when no definite answer came. */
  completeAt: number;
  /** Applies the operation to a state: the next state, or not ok when the answer rules that state out. */
  step: (s: CardModel) => Step;
  /** An open operation may also never have happened. */
  open: boolean;
  describe: string;
}

const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

function stateOfCard(c: WireCardLike): CardModel {
  return {
    exists: true,
    boardId: c.boardId,
    version: c.version,
    fv: Object.fromEntries(FIELDS.map((f) => [f, c.fieldVersions?.[f] ?? 0])),
    values: Object.fromEntries(FIELDS.map((f) => [f, c[f]])),
  };
}

/** True when a card as the server sent it equals the model state. */
export function sameCard(s: CardModel, c: WireCardLike): boolean {
  return s.exists && canon(stateOfCard(c)) === canon(s);
}

function conflictFields(s: CardModel, base: number, fields: readonly string[]): string[] {
  return fields.filter((f) => (s.fv[f] ?? 0) > base);
}

/** The model transition of a write with a known answer (or none, when `answer` is null). */
export function writeStep(kind: string, req: Record<string, unknown>, answer: Answer | null): (s: CardModel) => Step {
  const code = answer && !answer.ok ? answer.error.code : null;
  return (s) => {
    if (code === "CONFLICT") {
      // Refused: nothing changed; the fields named are exactly those changed after the base.
      const details = (answer as { error: { details?: { current?: WireCardLike; fields?: string[] } } }).error.details;
      if (!s.exists) return { ok: false };
      const base = Number(req.baseVersion);
      const fields = kind === "update" ? conflictFields(s, base, Object.keys((req.patch as object) ?? {})) : s.version > base ? conflictFields(s, base, FIELDS) : [];
      if (kind === "update" ? fields.length === 0 : s.version <= base) return { ok: false };
      if (details?.fields && canon([...details.fields].sort()) !== canon([...fields].sort())) return { ok: false };
      if (details?.current && !sameCard(s, details.current)) return { ok: false };
      return { ok: true, next: s };
    }
    if (code !== null) return { ok: true, next: s }; // any other definite refusal changed nothing
    // Applied (answer ok), or an open write taken to have applied at this point.
    let next: CardModel;
    if (kind === "create") {
      if (s.exists || s.version > 0) return { ok: false }; // an id is never reused (ID-1)
      const fields = (req.fields as Record<string, unknown>) ?? {};
      const defaults: Record<string, unknown> = { title: "", body: "", status: "todo", position: "a0", tags: [], estimate: null };
      next = {
        exists: true,
        boardId: String(req.boardId),
        version: 1,
        fv: Object.fromEntries(FIELDS.map((f) => [f, 1])),
        values: Object.fromEntries(FIELDS.map((f) => [f, f in fields && fields[f] !== undefined ? fields[f] : defaults[f]])),
      };
    } else {
      if (!s.exists) return { ok: false };
      const base = Number(req.baseVersion);
      if (kind === "update") {
        const patch = (req.patch as Record<string, unknown>) ?? {};
        if (base > s.version || conflictFields(s, base, Object.keys(patch)).length > 0) return { ok: false };
        const version = s.version + 1;
        next = { ...s, version, fv: { ...s.fv }, values: { ...s.values } };
        for (const f of Object.keys(patch)) {
          next.fv[f] = version;
          next.values[f] = patch[f];
        }
      } else {
        if (s.version > base) return { ok: false };
        if (kind === "delete") next = { ...ABSENT, version: s.version };
        else {
          if (s.boardId === req.toBoardId) return { ok: false };
          next = { ...s, boardId: String(req.toBoardId), version: s.version + 1 };
        }
      }
    }
    if (answer && answer.ok && answer.card && !sameCard(next, answer.card as WireCardLike)) return { ok: false };
    return { ok: true, next };
  };
}

/** A read: the card was in this state (present, on this board) at some moment of the request. */
export function readStep(card: WireCardLike): (s: CardModel) => Step {
  return (s) => (sameCard(s, card) ? { ok: true, next: s } : { ok: false });
}

export interface SearchOutcome {
  ok: boolean;
  /** Over budget: undecided. */
  exhausted: boolean;
  /** The longest linearized prefix found, and the operations that could not follow it. */
  prefix: LinOp[];
  stuck: LinOp[];
}

/**
 * The Wing–Gong–Lowe search with memoisation (Lowe's improvement): repeatedly pick an operation
 * that may go next (invoked before every unlinearized completed operation returned), apply it to
 * the model, and backtrack when the model refuses. Succeeds when every completed operation is
 * linearized (open operations may stay out: they may never have happened).
 */
export function searchLinearization(ops: LinOp[], budget = 200_000): SearchOutcome {
  const n = ops.length;
  const order = ops.map((_, i) => i).sort((a, b) => ops[a]!.invokeAt - ops[b]!.invokeAt);
  const done = new Uint8Array(n);
  const seen = new Set<string>();
  let steps = 0;
  let best: number[] = [];
  let bestStuck: number[] = [];
  const path: number[] = [];
  let exhausted = false;
  const completedLeft = () => {
    for (let i = 0; i < n; i++) if (!done[i] && ops[i]!.completeAt !== Infinity) return true;
    return false;
  };
  const rec = (state: CardModel): boolean => {
    if (!completedLeft()) return true;
    if (++steps > budget) {
      exhausted = true;
      return false;
    }
    const key = `${Array.from(done).join("")}|${canon(state)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    let minComplete = Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && ops[i]!.completeAt < minComplete) minComplete = ops[i]!.completeAt;
    const candidates = order.filter((i) => !done[i] && ops[i]!.invokeAt <= minComplete);
    for (const i of candidates) {
      const r = ops[i]!.step(state);
      if (!r.ok) continue;
      done[i] = 1;
      path.push(i);
      if (rec(r.next)) return true;
      path.pop();
      done[i] = 0;
      if (exhausted) return false;
    }
    if (path.length >= best.length) {
      best = [...path];
      bestStuck = candidates;
    }
    return false;
  };
  const ok = rec(ABSENT);
  return { ok, exhausted, prefix: best.map((i) => ops[i]!), stuck: bestStuck.map((i) => ops[i]!) };
}

/** Builds each occ card's operations from the history. */
export function occOperations(h: ParsedHistory): Map<string, LinOp[]> {
  const perCard = new Map<string, LinOp[]>();
  const add = (cardId: string, op: LinOp) => {
    let l = perCard.get(cardId);
    if (!l) perCard.set(cardId, (l = []));
    l.push(op);
  };
  for (const w of h.writes) {
    if (w.policy !== "occ" || !w.cardId) continue;
    const definite = w.answer !== null;
    const stepFn = writeStep(w.kind, w.req, w.answer);
    add(w.cardId, {
      ids: w.attempts.map((a) => a.id),
      invokeAt: w.invokeAt,
      completeAt: definite ? w.completeAt! : Infinity,
      step: stepFn,
      open: !definite,
      describe: w.attempts.map(describeAttempt).join(" ; "),
    });
  }
  for (const a of h.attempts) {
    if (a.kind !== "read" || a.policy !== "occ" || !a.answer?.ok) continue;
    for (const c of (a.answer.cards as WireCardLike[] | undefined) ?? []) {
      add(c.id, { ids: [a.id], invokeAt: a.invokeAt, completeAt: a.completeAt!, step: readStep(c), open: false, describe: `${describeAttempt(a)} read ${c.id} v${c.version} on ${c.boardId}` });
    }
  }
  return perCard;
}

/** Runs the search on every occ card; a card whose history admits no linearization is a violation. */
export function checkLinearizability(h: ParsedHistory, budget = 200_000): CheckResult {
  const violations: Violation[] = [];
  const notes: string[] = [];
  let checks = 0;
  for (const [cardId, ops] of occOperations(h)) {
    checks++;
    const r = searchLinearization(ops, budget);
    if (r.ok) continue;
    if (r.exhausted) {
      notes.push(`card ${cardId}: search budget exhausted over ${ops.length} operations (undecided)`);
      continue;
    }
    const involved = [...r.prefix.slice(-4), ...r.stuck];
    violations.push({
      checker: "linearizability",
      rule: "OCC-2",
      message: `card ${cardId}: no linearization of its ${ops.length} operations under per-field versions; after ${r.prefix.length} operations none of the ${r.stuck.length} that may go next fits`,
      ops: [...new Set(involved.flatMap((o) => o.ids))],
      evidence: [...r.prefix.slice(-4).map((o) => `linearized: ${o.describe}`), ...r.stuck.map((o) => `cannot follow: ${o.describe}`)],
    });
  }
  return { checker: "linearizability", checks, violations, notes };
}

