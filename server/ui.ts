import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STAMP = path.join(root, ".next", "concord-source-hash");

/** A hash of everything the UI build depends on, so a stale build is rebuilt at start. */
function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(tsx?|css|js|json)$/.test(name) && !name.endsWith(".test.ts")) h.update(p).update(readFileSync(p));
    }
  };
  for (const d of ["app", "lib"]) walk(path.join(root, d));
  for (const f of ["next.config.js", "package-lock.json"]) if (existsSync(path.join(root, f))) h.update(readFileSync(path.join(root, f)));
  return h.digest("hex");
}

/** Builds the production UI when there is no build yet or the sources changed since. */
export async function ensureBuilt(say: (line: string) => void): Promise<void> {
  const hash = sourceHash();
  if (existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === hash) return;
  say("building the UI with Next.js (first start or sources changed; up to a minute)…");
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split("\n")) if (/^\s*(✓|Creating|Compiling|Generating|Collecting|Finalizing)/.test(line)) say(`  ${line.trim()}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`next build failed:\n${output.slice(-2000)}`))));
  });
  writeFileSync(STAMP, hash);
  say(`UI built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The Next.js request handler (production build, or dev mode with CONCORD_DEV=1). */
export async function createUi(dev: boolean) {
  const { default: next } = await import("next");
  const app = next({ dev, dir: root });
  await app.prepare();
  const handle = app.getRequestHandler();
  return {
    handle: (req: IncomingMessage, res: ServerResponse) => handle(req, res),
    upgrade: dev ? app.getUpgradeHandler() : undefined,
    close: () => app.close(),
  };
}
