import { Redis } from "ioredis";
import postgres from "postgres";
import type { Logger } from "pino";

/**
 * Start-up checks (SPEC SEC-5): every configured server is reached once before anything else
 * uses it, so a wrong or unreachable one is named in one line (which setting, which host) instead
 * of surfacing later as a driver's retry noise.
 */

/** A URL without its credentials, for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { message?: string }[] };
  const message = e.message || e.errors?.map((x) => x.message).join("; ") || e.code || String(err);
  return message.split("\n")[0]!;
}

/** Connects to a Postgres and runs `SELECT 1`; throws an Error naming `setting` when it cannot. */
export async function checkPostgres(setting: string, url: string, timeoutSeconds = 5): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: timeoutSeconds, onnotice: () => {}, idle_timeout: 1 });
  try {
    await sql`SELECT 1`;
  } catch (err) {
    throw new Error(`${setting} (${safeUrl(url)}) is unreachable: ${reason(err)}`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** Connects to Redis once (no retries) and PINGs; throws an Error naming REDIS_URL when it cannot. */
export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let last: unknown = null;
  client.on("error", (err) => (last = err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(`REDIS_URL (${safeUrl(url)}) is unreachable: ${reason(last ?? err)}`);
  } finally {
    client.disconnect();
  }
}

/**
 * Watches the node's Redis clients at run time: an outage is logged once when the first client
 * loses its connection (not once per reconnect attempt of each client), and once more when every
 * client is back.
 */
export function redisOutageWatch(log: Logger, url: string): (client: Redis, role: string) => void {
  const down = new Set<Redis>();
  return (client, role) => {
    client.on("error", (err: Error) => {
      if (down.has(client)) return;
      down.add(client);
      if (down.size === 1) log.error({ redis: safeUrl(url), role, err: reason(err) }, "Redis (REDIS_URL) is unreachable; leases and cross-node broadcasts wait until it is back");
    });
    client.on("ready", () => {
      if (!down.delete(client)) return;
      if (down.size === 0) log.warn({ redis: safeUrl(url) }, "Redis (REDIS_URL) is reachable again");
    });
  };
}
