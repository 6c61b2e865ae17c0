import type { MoveService, TxStep } from "./services/moves";

/**
 * SPEC TX-10: the demo fault switch (`sim:crash`, the inspector's "Crash the coordinator") is
 * offered with `CONCORD_FAULTS=demo`, in dev mode (`npm run dev`) and on a demo deployment
 * (`npm start -- --demo`), never by default.
 */
export function demoFaultsOn(raw: string | undefined, opts: { dev: boolean; demo: boolean }): boolean {
  return raw === "demo" || opts.dev || opts.demo;
}

/**
 * Test-only fault switch for `npm run verify` (server/tools/verify/): with
 * `CONCORD_FAULTS=2pc-crash:<probability>:<seed>` the process dies (exit code 137, like kill -9:
 * no cleanup, no answer) after a step of a cross-shard move, each step with the given
 * probability, drawn from a generator seeded with <seed> and the process id. Recovery (SPEC TX-4) must then finish the move.
 * Unset in production; anything else in the variable stops the node at start.
 */
export function installFaultSwitch(raw: string | undefined, moves: MoveService, say: (line: string) => void): void {
  if (!raw || raw === "demo") return; // demo: see demoFaultsOn
  const m = /^2pc-crash:(0(?:\.\d+)?|1(?:\.0+)?):(\d{1,9})$/.exec(raw);
  if (!m) throw new Error(`CONCORD_FAULTS "${raw}" is not demo or 2pc-crash:<probability 0..1>:<seed>`);
  const probability = Number(m[1]);
  // mulberry32 over the seed mixed with this process's id, so a node started again after its
  // crash does not crash again at the same point.
  let state = (Number(m[2]) ^ Math.imul(process.pid, 0x9e3779b1)) >>> 0;
  const next = () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  say(`test-only fault switch on: 2pc crash with probability ${probability} per step`);
  moves.faults = (step: TxStep) => {
    if (next() >= probability) return;
    process.stderr.write(`concord: fault: 2pc crash after ${step}\n`);
    process.exit(137);
  };
}
