import type { ParsedHistory } from "../history";

/** One broken rule, with the operations that show it. */
export interface Violation {
  checker: string;
  /** The SPEC rule it breaks. */
  rule: string;
  message: string;
  /** Ids of the history's attempts involved. */
  ops: number[];
  /** Readable lines for those attempts (and other evidence). */
  evidence: string[];
}

export interface CheckResult {
  checker: string;
  /** How many individual checks ran (cards searched, entries compared…). */
  checks: number;
  violations: Violation[];
  /** Things the checker could not decide (a search over its budget), never counted as violations. */
  notes: string[];
}

export type Checker = (h: ParsedHistory) => CheckResult;
