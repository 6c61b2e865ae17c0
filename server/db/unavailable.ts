/**
 * Connection-level failures of a database or shard, retryable (OUTBOX-5): SQLSTATE class 08, the
 * server shutting down or starting (57P01-57P03), sockets, and the driver's own codes; and, during
 * a failover (SPEC STANDBY-3), a write refused by the epoch fence (CC001) or sent to a server still
 * in recovery (25006).
 */
const CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED",
]);

export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code) || code === "CC001" || code === "25006" || CODES.has(code));
}

/** Only the connection itself failed: its transaction ended with it, so there is nothing to roll back. */
export function isConnectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code) || CODES.has(code));
}

/** A lock wait that gave up (`lock_timeout`, 55P03) or lost a deadlock (40P01): the row is busy, try again. */
export function isLockTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "55P03" || code === "40P01";
}
