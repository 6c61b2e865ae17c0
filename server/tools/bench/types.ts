/**
 * The bench's plug-in interface (server/tools/bench/main.ts runs it). A scenario is a module
 * under `scenarios/` exporting a `Scenario`; it is registered by name in `scenarios/index.ts`.
 * It gets a `BenchContext` (databases, servers under test, a load generator in its own process,
 * progress) and returns `Row`s; the runner prints them as one table (and JSON with `--json`).
 */
import type { ToolNode } from "../tool-node";
import type { LoadGenerator } from "./load/generator";
import type { NaiveServer } from "./naive-server";

/** One figure of one case. `value` is Concord's (the median over the run's repeats). */
export interface Row {
  /** The scenario that measured it (its registered name). */
  scenario: string;
  /** What was run, e.g. "50 clients, 1 board". */
  case: string;
  /** What was measured, e.g. "committed writes/s", "ack p50". */
  metric: string;
  /** "/s", "ms", "KiB", ... */
  unit: string;
  value: number;
  /** The same figure of the baseline, measured in the same run. */
  baseline?: { name: string; value: number };
  /** `value / baseline.value` (the runner fills it in when a baseline is given). */
  ratio?: number;
  /** The target, in words ("≥ 1.5× naive", "< 1000 ms"), and whether this run met it. */
  target?: string;
  met?: boolean;
  /** Every repeat's value, when there were several. */
  samples?: number[];
  note?: string;
}

export interface BenchContext {
  /** A Postgres superuser URL (embedded by default, `--database-url` otherwise). */
  adminUrl: string;
  /** Times each measurement is repeated; rows report medians (`--repeat`, default 3). */
  repeat: number;
  /** Seconds of each timed load phase (`--seconds`, default 2). */
  seconds: number;
  /** Small sizes, for the runner's own test (`--quick`). */
  quick: boolean;
  /** `--only TEXT`: scenarios with several cases run only those whose label contains it. */
  only?: string;
  /** One progress line ("[scenario] ..."). */
  progress(line: string): void;
  /** A full garbage collection of this process (the servers'), before a memory reading. */
  gc(): void;
  /**
   * Real Concord nodes over fresh databases on `adminUrl`, listening on 127.0.0.1. By default one
   * node with the adapter a deployment gets (`postgres`); `nodes: 2` puts both behind it.
   */
  concord(opts?: { nodes?: number; adapter?: "postgres" | "memory" }): Promise<ToolNode>;
  /** The naive baseline server (naive-server.ts) over a fresh database. */
  naive(): Promise<NaiveServer>;
  /** A load generator in its own child process (load/child.ts); close it when done. */
  load(): Promise<LoadGenerator>;
}

export interface Scenario {
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Left out of a run without `--scenario` (e.g. needs a built UI). */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<Row[]>;
}
