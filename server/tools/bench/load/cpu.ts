/**
 * CPU time spent so far by the processes a write crosses, read from /proc (Linux only): the load
 * generator (this process), the servers under test (its parent: the bench runner's process, where
 * Concord's nodes and the naive server run) and every Postgres process on the machine. Read at the
 * start and end of a timed phase, the differences divided by the writes committed in it give the
 * CPU a committed write cost each side: a figure the machine's noise moves much less than a rate,
 * since time other programs take is not counted.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface CpuReading {
  /** Milliseconds of user + system CPU. */
  load: number;
  server: number;
  db: number;
}

/** Linux counts CPU time in ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICK_MS = 10;

/** utime + stime of `/proc/<pid>/stat`, in ms; the command name is read past its closing parenthesis. */
function parse(stat: string): { comm: string; ms: number } {
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const fields = stat.slice(close + 2).split(" ");
  return { comm, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}

function read(pid: string | number): { comm: string; ms: number } | null {
  try {
    return parse(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null; // gone meanwhile, or no /proc
  }
}

/** Now, or null where /proc is not there. */
export function cpuNow(): CpuReading | null {
  const self = read("self");
  const parent = read(process.ppid);
  if (!self || !parent) return null;
  let db = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const p = read(pid);
    if (p?.comm === "postgres") db += p.ms;
  }
  return { load: self.ms, server: parent.ms, db };
}

/** CPU ms per committed write, each side, between two readings. */
export function cpuPerWrite(from: CpuReading | null, to: CpuReading | null, writes: number): CpuReading | undefined {
  if (!from || !to || writes === 0) return undefined;
  return { load: (to.load - from.load) / writes, server: (to.server - from.server) / writes, db: (to.db - from.db) / writes };
}
