/**
 * `npm run bench`: scenarios side by side in one run, with ratios against baselines measured in
 * the same run (issue 11). Prints a progress line per step, then one table; `--json FILE` writes
 * the same rows with the machine they ran on. Not a test (not part of `npm test`).
 *
 *   npm run bench -- [--scenario NAME ...] [--repeat 3] [--seconds 2] [--json FILE]
 *                    [--database-url postgres://...] [--only CASE] [--quick]
 *
 * The servers under test (Concord nodes, the naive baseline) run in this process; every client
 * runs in a load generator of its own (load/child.ts), so clients never take the server's CPU.
 * Postgres: an embedded server in a temp folder (fsync on), or `--database-url` (a superuser URL;
 * the bench makes and drops its own databases there).
 *
 * Plugging in a scenario: a module in scenarios/ exporting a `Scenario` (types.ts) and listed in
 * scenarios/index.ts. Its `run(ctx)` gets a BenchContext (adminUrl, repeat, seconds, quick,
 * progress, concord(), naive(), load(), gc()) and returns Rows: { scenario, case, metric, unit,
 * value, baseline?: { name, value }, target?, met?, samples?, note? }. The runner adds ratios,
 * prints and writes JSON.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../db/embedded";
import { startToolNode } from "../tool-node";
import { LoadGenerator } from "./load/generator";
import { startNaiveServer } from "./naive-server";
import { scenarios } from "./scenarios";
import { round } from "./stats";
import { formatTable } from "./table";
import type { BenchContext, Row } from "./types";

const { values: args } = parseArgs({
  options: {
    scenario: { type: "string", multiple: true },
    repeat: { type: "string", default: "3" },
    seconds: { type: "string", default: "2" },
    json: { type: "string" },
    "database-url": { type: "string" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

function usage(): string {
  return [
    "npm run bench -- [--scenario NAME ...] [--repeat N] [--seconds S] [--json FILE] [--database-url URL] [--only CASE] [--quick]",
    "scenarios (default: all not marked opt-in):",
    ...scenarios.map((s) => `  ${s.name.padEnd(10)} ${s.description}${s.optIn ? " (opt-in)" : ""}`),
  ].join("\n");
}

async function main(): Promise<void> {
  if (args.help) {
    console.log(usage());
    return;
  }
  const chosen = args.scenario ?? scenarios.filter((s) => !s.optIn).map((s) => s.name);
  const unknown = chosen.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length > 0) {
    console.error(`unknown scenario: ${unknown.join(", ")}\n${usage()}`);
    process.exit(2);
  }
  const started = Date.now();
  let tmp: string | null = null;
  let stopPg: (() => Promise<void>) | null = null;
  let adminUrl = args["database-url"];
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), "concord-bench-"));
    await chmod(tmp, 0o755);
    const pg = await startEmbeddedPostgres(path.join(tmp, "pg"), () => {});
    stopPg = pg.stop;
    adminUrl = pg.url("postgres");
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const [pgInfo] = await admin<{ version: string; fsync: string; sync: string }[]>`
    SELECT version() AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync`;
  await admin.end();

  v8.setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const progress = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const ctx: BenchContext = {
    adminUrl,
    repeat: Number(args.repeat),
    seconds: Number(args.seconds),
    quick: args.quick,
    only: args.only,
    progress,
    gc,
    concord: (o = {}) => startToolNode(`bench_${randomBytes(2).toString("hex")}`, { adminUrl, nodes: o.nodes, adapter: o.adapter ?? "postgres" }),
    naive: () => startNaiveServer(adminUrl),
    load: () => LoadGenerator.start(),
  };
  progress(`bench: ${chosen.join(", ")}; repeat ${ctx.repeat}, ${ctx.seconds} s per load phase; ${pgInfo!.version.split(",")[0]} (fsync ${pgInfo!.fsync})`);
  const rows: Row[] = [];
  let failed = false;
  try {
    for (const name of chosen) {
      const scenario = scenarios.find((s) => s.name === name)!;
      const t = Date.now();
      progress(`[${name}] start`);
      try {
        for (const r of await scenario.run(ctx)) {
          if (r.baseline && r.ratio === undefined && r.baseline.value !== 0) r.ratio = r.value / r.baseline.value;
          rows.push(r);
        }
      } catch (err) {
        failed = true;
        progress(`[${name}] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      progress(`[${name}] done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await stopPg?.();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${formatTable(rows)}\n`);
  const machine = {
    cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version,
    postgres: pgInfo!.version.split(",")[0], fsync: pgInfo!.fsync, synchronousCommit: pgInfo!.sync, embedded: !args["database-url"],
  };
  console.log(`${rows.length} rows in ${seconds.toFixed(0)} s on ${machine.cpus} × ${machine.cpu}, ${machine.postgres} (fsync ${machine.fsync})`);
  if (args.json) {
    const out = rows.map((r) => ({ ...r, value: round(r.value), ...(r.ratio !== undefined ? { ratio: round(r.ratio) } : {}), ...(r.samples ? { samples: r.samples.map(round) } : {}) }));
    await writeFile(args.json, `${JSON.stringify({ at: new Date(started).toISOString(), seconds: round(seconds), machine, args: { scenarios: chosen, repeat: ctx.repeat, seconds: ctx.seconds, quick: ctx.quick }, rows: out }, null, 2)}\n`);
    console.log(`JSON: ${args.json}`);
  }
  process.exit(failed ? 1 : 0);
}

void main();
