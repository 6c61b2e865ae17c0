/**
 * User Timing marks (`concord:<what>`) at the steps of loading a board, for the performance panel
 * of a browser's devtools and for the bench's UI scenario, which prints them (docs/performance.md).
 * A no-op where the User Timing API is missing.
 */
export function mark(what: string): void {
  globalThis.performance?.mark?.(`concord:${what}`);
}
