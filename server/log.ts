import pino from "pino";

/** One structured logger per process; pretty enough for a terminal, JSON for machines. */
export function createLogger(level: string, nodeId: string) {
  return pino({ level, base: { node: nodeId }, timestamp: pino.stdTimeFunctions.isoTime });
}
