/**
 * Fencing and leases (SPEC LOCK-1, LOCK-2, LOCK-3, LOCK-6): no write is
 * accepted with a token below the card's fence at that time (a newer grant had been acknowledged
 * before the write was sent); no two leases of different holders are live on one card at once
 * (a grant acknowledged entirely inside another holder's certainly-live window); every card's
 * final fence is at least the newest token granted for it.
 */
import { describeAttempt, type Attempt, type ParsedHistory } from "../history";
import type { CheckResult, Violation } from "./types";

interface Grant {
  a: Attempt;
  cardId: string;
  holder: string;
  token: number;
  /** Until when the lease was certainly live (wall ms): its latest acknowledged expiry, or its release. */
  liveUntil: number;
}

/** Milliseconds of clock slack between this process and the server (same machine in owned runs). */
const SLACK = 250;

export function checkFencing(h: ParsedHistory): CheckResult {
  const violations: Violation[] = [];
  const notes: string[] = [];
  let checks = 0;
  const grants: Grant[] = [];
  const byToken = new Map<string, Grant>();
  for (const a of h.attempts) {
    if (a.kind !== "acquire" || !a.answer?.ok || !a.cardId) continue;
    const lock = a.answer.lock as { token: number; expiresAt: string; holder: { id: string } };
    const g: Grant = { a, cardId: a.cardId, holder: lock.holder.id, token: lock.token, liveUntil: Date.parse(lock.expiresAt) };
    grants.push(g);
    byToken.set(`${a.cardId}:${lock.token}`, g);
  }
  for (const a of h.attempts) {
    if (!a.cardId || !a.answer) continue;
    const g = byToken.get(`${a.cardId}:${String(a.req.token)}`);
    if (!g) continue;
    if (a.kind === "renew" && a.answer.ok) {
      const lock = a.answer.lock as { expiresAt: string };
      g.liveUntil = Math.max(g.liveUntil, Date.parse(lock.expiresAt));
    }
  }
  // A release ends the certainly-live window when it is sent, unless it was refused: one whose
  // answer was lost (its node died, its socket dropped) or was UNAVAILABLE/INTERNAL may have
  // taken effect, and a grant after it is then no proof of two live leases.
  for (const a of h.attempts) {
    if (a.kind !== "release" || !a.cardId) continue;
    const code = a.answer && !a.answer.ok ? (a.answer.error as { code?: string } | undefined)?.code : undefined;
    if (a.answer && !a.answer.ok && code !== "UNAVAILABLE" && code !== "INTERNAL") continue;
    const g = byToken.get(`${a.cardId}:${String(a.req.token)}`);
    if (g) g.liveUntil = Math.min(g.liveUntil, a.invokeAt);
  }
  const perCard = new Map<string, Grant[]>();
  for (const g of grants) {
    let l = perCard.get(g.cardId);
    if (!l) perCard.set(g.cardId, (l = []));
    l.push(g);
  }
  // Exclusive leases.
  for (const [cardId, list] of perCard) {
    list.sort((x, y) => x.token - y.token);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const A = list[i]!;
        const B = list[j]!;
        if (A.holder === B.holder) continue;
        checks++;
        if (B.a.invokeAt > A.a.completeAt! && B.a.completeAt! + SLACK < A.liveUntil) {
          violations.push({
            checker: "fencing",
            rule: "LOCK-6",
            message: `card ${cardId}: token ${B.token} granted to ${B.holder} while ${A.holder}'s lease (token ${A.token}) was live until ${new Date(A.liveUntil).toISOString()}`,
            ops: [A.a.id, B.a.id],
            evidence: [describeAttempt(A.a), describeAttempt(B.a)],
          });
        }
      }
    }
  }
  // Stale tokens accepted.
  for (const w of h.writes) {
    const okAttempt = w.attempts.find((a) => a.answer?.ok);
    if (!okAttempt || w.req.lockToken === undefined || !w.cardId) continue;
    const token = Number(w.req.lockToken);
    checks++;
    const newer = (perCard.get(w.cardId) ?? []).find((g) => g.token > token && g.a.completeAt! < w.invokeAt);
    if (newer) {
      violations.push({
        checker: "fencing",
        rule: "LOCK-3",
        message: `card ${w.cardId}: a ${w.kind} with lockToken ${token} was applied after token ${newer.token} had been granted`,
        ops: [newer.a.id, ...w.attempts.map((a) => a.id)],
        evidence: [describeAttempt(newer.a), ...w.attempts.map(describeAttempt)],
      });
    }
  }
  // The fence in the database covers every grant.
  if (h.final?.db) {
    const fence = new Map<string, number>();
    for (const s of Object.values(h.final.db.shards)) for (const c of s.cards) fence.set(c.id, c.fence);
    for (const [cardId, list] of perCard) {
      const f = fence.get(cardId);
      if (f === undefined) continue;
      checks++;
      const max = list.reduce((m, g) => (g.token > m.token ? g : m));
      if (f < max.token) violations.push({ checker: "fencing", rule: "LOCK-2", message: `card ${cardId}: fence ${f} is below granted token ${max.token}`, ops: [max.a.id], evidence: [describeAttempt(max.a)] });
    }
  }
  return { checker: "fencing", checks, violations, notes };
}
