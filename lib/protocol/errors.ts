/** Error codes of the wire contract (PROTOCOL.md "Error codes"). A const object, not an enum. */
export const ErrorCode = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  LOCKED: "LOCKED",
  STALE_LOCK: "STALE_LOCK",
  TX_ABORTED: "TX_ABORTED",
  TWO_PHASE_UNAVAILABLE: "TWO_PHASE_UNAVAILABLE",
  RATE_LIMITED: "RATE_LIMITED",
  TOO_LARGE: "TOO_LARGE",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The error half of every ack: `{ ok: false, error }`. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * The one error class services throw for expected failures. Anything else that reaches the
 * transport is turned into INTERNAL there, so internal text never leaks to a client.
 */
export class ConcordError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ConcordError";
  }

  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
