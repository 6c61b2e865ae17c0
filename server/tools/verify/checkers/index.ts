import type { ParsedHistory } from "../history";
import { checkBoardLog } from "./board-log";
import { checkConvergence } from "./convergence";
import { checkExactlyOnce } from "./exactly-once";
import { checkFencing } from "./fencing";
import { checkLinearizability } from "./linearizability";
import { checkTwoPhase } from "./two-phase";
import type { CheckResult } from "./types";

export type { CheckResult, Violation } from "./types";

/** Every checker, in report order. */
export function runCheckers(h: ParsedHistory): CheckResult[] {
  return [checkLinearizability(h), checkExactlyOnce(h), checkBoardLog(h), checkConvergence(h), checkTwoPhase(h), checkFencing(h)];
}
