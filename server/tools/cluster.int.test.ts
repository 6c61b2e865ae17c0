import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `npm run cluster` as a person runs it (API-only nodes, so no UI build is needed): it listens
 * on PORT, restarts a node that dies, and on SIGTERM stops every node and its embedded Postgres.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/**
 * Two free ports in a row, below Linux's ephemeral range (32768–60999): there, a connection or a
 * port-0 listener of a test file running beside this one could take the port between this check
 * and the cluster's bind (the cluster then retried "port is taken" until the test timed out).
 */
async function freePair(): Promise<number> {
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (!(await portIsOpen(p)) && !(await portIsOpen(p + 1))) return p;
  }
}

async function healthy(port: number): Promise<string | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/health`);
    return r.ok ? ((await r.json()) as { nodeId: string }).nodeId : null;
  } catch {
    return null;
  }
}

let cluster: ChildProcess | null = null;
let dir: string | null = null;
afterAll(async () => {
  if (cluster && cluster.exitCode === null) cluster.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

describe("the cluster tool", () => {
  it("listens on PORT, restarts a node that dies, and stops everything, Postgres too, on SIGTERM", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "concord-cluster-"));
    await chmod(dir, 0o755); // as root, Postgres runs as the postgres user and must reach it
    const port = await freePair();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), CONCORD_UI: "off", CONCORD_DATA_DIR: dir, LOG_LEVEL: "warn" };
    delete env.DATABASE_URL;
    delete env.SHARD_URLS;
    cluster = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/tools/cluster.ts"), "--nodes", "2"], {
      cwd: root, env, stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: string[] = [];
    createInterface({ input: cluster.stdout! }).on("line", (l) => lines.push(l));
    const exited = new Promise<number | null>((r) => cluster!.once("exit", (code) => r(code)));
    const pidOf = (name: string) => [...lines].reverse().map((l) => new RegExp(`${name} on .*\\(pid (\\d+)\\)`).exec(l)).find(Boolean)?.[1];

    // Node ids are unique per run: node-<run>-1, node-<run>-2.
    await expect.poll(() => healthy(port), { timeout: 90_000, interval: 250 }).toMatch(/^node-[0-9a-f]{4}-1$/);
    await expect.poll(() => healthy(port + 1), { timeout: 30_000, interval: 250 }).toMatch(/^node-[0-9a-f]{4}-2$/);
    const node1 = (await healthy(port))!;
    const node2 = (await healthy(port + 1))!;
    expect(node2).toBe(`${node1.slice(0, -2)}-2`);
    // The catalog and each shard's primary and standby (SPEC STANDBY-1) are Postgres servers of its own.
    const pgPorts = lines.flatMap((l) => [...l.matchAll(/(?:embedded catalog|primary|standby) on 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])));
    expect(pgPorts).toHaveLength(5);
    for (const p of pgPorts) expect(await portIsOpen(p)).toBe(true);

    // A node that dies is started again; the other keeps serving meanwhile.
    const first = pidOf(node1);
    process.kill(Number(first), "SIGKILL");
    await expect.poll(() => lines.some((l) => l.includes(`${node1} exited`)), { timeout: 10_000 }).toBe(true);
    expect(await healthy(port + 1)).toBe(node2);
    await expect.poll(() => pidOf(node1) !== first && healthy(port), { timeout: 30_000, interval: 250 }).toBe(node1);

    // SIGTERM stops the nodes, then Postgres, and exits 0.
    cluster.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await portIsOpen(port)).toBe(false);
    expect(await portIsOpen(port + 1)).toBe(false);
    for (const p of pgPorts) expect(await portIsOpen(p)).toBe(false);
  }, 150_000);
});
