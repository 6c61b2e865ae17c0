import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, inject, test } from "vitest";

const run = promisify(execFile);

// The runner end to end on a tiny run: a load generator process, the naive server and Concord
// side by side, a table with ratios, and the same rows in JSON.
test("npm run bench prints a table with ratios against the naive server and writes JSON", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "concord-bench-test-"));
  try {
    const json = path.join(dir, "out.json");
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "server/tools/bench/main.ts", "--quick", "--repeat", "1", "--seconds", "0.5", "--scenario", "writes",
        "--database-url", inject("adminUrl"), "--json", json],
      { timeout: 90_000 },
    );
    expect(stdout).toMatch(/\[writes\] 4 clients, 1 board, naive \(1\/1\): \d+ writes\/s/);
    expect(stdout).toMatch(/scenario \| case .*\| ratio/);
    expect(stdout).toMatch(/writes +\| 4 clients, 1 board +\| committed writes\/s .*\| naive [\d.,]+ \/s +\| [\d.]+×/);
    // The ceiling: Concord's frames and fan-out with no database, against the same naive run.
    expect(stdout).toMatch(/\[writes\] 4 clients, 1 board, ceiling \(1\/1\): \d+ writes\/s/);
    expect(stdout).toMatch(/writes +\| 4 clients, 1 board, ceiling \(no database\) \| committed writes\/s .*\| naive [\d.,]+ \/s +\| [\d.]+×/);
    const out = JSON.parse(await readFile(json, "utf8")) as { machine: { cpus: number }; rows: { case: string; metric: string; value: number; ratio?: number; baseline?: { value: number } }[] };
    expect(out.machine.cpus).toBeGreaterThan(0);
    const writes = out.rows.find((r) => r.case === "4 clients, 1 board" && r.metric === "committed writes/s")!;
    const ceiling = out.rows.find((r) => r.case === "4 clients, 1 board, ceiling (no database)" && r.metric === "committed writes/s")!;
    expect(ceiling.value).toBeGreaterThan(0);
    expect(ceiling.baseline!.value).toBe(writes.baseline!.value);
    expect(writes.value).toBeGreaterThan(0);
    expect(writes.baseline!.value).toBeGreaterThan(0);
    expect(writes.ratio).toBeCloseTo(writes.value / writes.baseline!.value, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
