import type { z } from "zod";
import { ConcordError, type WireError } from "../../lib/protocol";

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED",
]);

/** Maps anything thrown to a wire error; unknown errors become INTERNAL without their text. */
export function toWireError(err: unknown, log: (err: unknown) => void): WireError {
  if (err instanceof ConcordError) return err.toWire();
  const code = (err as { code?: unknown } | null)?.code;
  // Connection-level failures of a database or shard are retryable (OUTBOX-5): SQLSTATE class 08,
  // the server shutting down or starting (57P01-57P03), sockets, and the driver's own codes.
  if (typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code) || UNAVAILABLE_CODES.has(code))) {
    return { code: "UNAVAILABLE", message: "a database is unreachable; try again" };
  }
  log(err);
  return { code: "INTERNAL", message: "internal error" };
}

/** A schema failure: BAD_REQUEST, with the first problems named (PROTOCOL: "does not match its schema"). */
export function badRequest(error: z.ZodError): WireError {
  const issues = error.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message }));
  const first = issues[0];
  return {
    code: "BAD_REQUEST",
    message: first ? `${first.path || "payload"}: ${first.message}` : "invalid payload",
    details: { issues },
  };
}
