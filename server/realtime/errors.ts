import type { z } from "zod";
import { ConcordError, type WireError } from "../../lib/protocol";
import { isUnavailable } from "../db/unavailable";


/** Maps anything thrown to a wire error; unknown errors become INTERNAL without their text. */
export function toWireError(err: unknown, log: (err: unknown) => void): WireError {
  if (err instanceof ConcordError) return err.toWire();
  // Connection-level failures of a database or shard are retryable (server/db/unavailable.ts).
  if (isUnavailable(err)) {
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
