import { ConcordError } from "../../lib/protocol";

/**
 * SPEC IDEM-1, the one replay rule: a mutationId seen before answers its stored first result, to
 * the user who sent it; someone else's mutationId is BAD_REQUEST (returned, so callers that answer
 * with outcomes and callers that throw share it). Null: never seen.
 */
export function replayOf<R>(prior: { userId: string; result: R } | undefined | null, userId: string): R | ConcordError | null {
  if (!prior) return null;
  return prior.userId === userId ? prior.result : new ConcordError("BAD_REQUEST", "this mutationId was used by someone else");
}
