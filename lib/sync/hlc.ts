/**
 * Hybrid logical clocks (HLC): timestamps that stay close to wall-clock time yet never go
 * backwards, and that order every event a replica has seen before every event it creates.
 * Used by `lww` boards: the newest timestamp wins a field, on every replica alike.
 */

/** A decoded HLC timestamp. Ordered by (wall, logical, replica). */
export type Hlc = { wall: number; logical: number; replica: string };

/** Largest wall time (ms) that fits the 15-digit encoding (about the year 33658). */
export const MAX_WALL = 999_999_999_999_999;
/** Largest logical counter that fits the 5-digit encoding; one more carries into `wall`. */
export const MAX_LOGICAL = 99_999;
/** The server refuses timestamps more than this far ahead of its own clock. */
export const MAX_FUTURE_DRIFT_MS = 60_000;

/** A replica id: 1 to 64 characters of [A-Za-z0-9_-] (so it can never contain `:`). */
export const REPLICA_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** An encoded HLC: `<wall, 15 digits>:<logical, 5 digits>:<replica id>`. */
export const HLC_PATTERN = /^(\d{15}):(\d{5}):([A-Za-z0-9_-]{1,64})$/;

/**
 * Encodes `h` so that plain string comparison equals (wall, logical, replica) order: both
 * numbers are zero-padded to a fixed width, so the replica id only decides exact ties.
 * Throws a RangeError for a value outside the encoding, rather than produce a string that sorts wrong.
 */
export function encodeHlc(h: Hlc): string {
  if (!isInRange(h.wall, MAX_WALL) || !isInRange(h.logical, MAX_LOGICAL) || !REPLICA_PATTERN.test(h.replica)) {
    throw new RangeError(`not a valid HLC: ${JSON.stringify(h)}`);
  }
  return `${String(h.wall).padStart(15, "0")}:${String(h.logical).padStart(5, "0")}:${h.replica}`;
}

/** Decodes an encoded HLC, or returns null when `s` does not match `HLC_PATTERN` exactly. */
export function decodeHlc(s: string): Hlc | null {
  if (!HLC_PATTERN.test(s)) return null;
  // Fixed widths: wall is characters 0-14, logical 16-20, the replica id starts at 22.
  return { wall: Number(s.slice(0, 15)), logical: Number(s.slice(16, 21)), replica: s.slice(22) };
}

/**
 * The timestamp for a local event after `last`. Invariant: the result is greater than `last`,
 * whatever `wallNow` says (a wall clock that jumps back only stops `wall` from advancing).
 */
export function tick(last: Hlc, wallNow: number): Hlc {
  const wall = toWall(wallNow);
  if (wall > last.wall) return { wall, logical: 0, replica: last.replica };
  return carry(last.wall, last.logical + 1, last.replica);
}

/**
 * The timestamp for receiving `remote` after `last`. Invariant: the result is greater than both
 * `last` and `remote`, so everything this replica writes next sorts after what it has seen.
 */
export function merge(last: Hlc, remote: Hlc, wallNow: number): Hlc {
  const wall = Math.max(last.wall, remote.wall, toWall(wallNow));
  let logical = 0; // the wall clock is ahead of both: a fresh millisecond
  if (wall === last.wall && wall === remote.wall) logical = Math.max(last.logical, remote.logical) + 1;
  else if (wall === last.wall) logical = last.logical + 1;
  else if (wall === remote.wall) logical = remote.logical + 1;
  return carry(wall, logical, last.replica);
}

/**
 * True when `encoded` lies more than `maxDrift` ms ahead of `wallNow`. A replica with a runaway
 * clock would otherwise win every `lww` field for as long as its lead lasts, and drag every
 * clock that receives its timestamps forward with it. Fails closed: a malformed timestamp is true.
 */
export function isTooFarInFuture(encoded: string, wallNow: number, maxDrift: number = MAX_FUTURE_DRIFT_MS): boolean {
  const h = decodeHlc(encoded);
  return h === null || h.wall > wallNow + maxDrift;
}

/** One replica's clock: holds the last timestamp it issued and reads the wall clock through `now`. */
export class HybridClock {
  #last: Hlc;
  readonly #wallClock: () => number;

  /** `now` is injectable so tests can drive time (including backwards jumps). */
  constructor(replica: string, now: () => number = Date.now) {
    if (!REPLICA_PATTERN.test(replica)) throw new RangeError(`not a valid replica id: ${replica}`);
    this.#last = { wall: 0, logical: 0, replica };
    this.#wallClock = now;
  }

  /** Timestamps a local event. Strictly greater than every timestamp this clock issued or received. */
  now(): string {
    this.#last = tick(this.#last, this.#wallClock());
    return encodeHlc(this.#last);
  }

  /** Merges a remote timestamp; the result is greater than it and than everything before. Throws on a malformed one. */
  receive(remote: string): string {
    const decoded = decodeHlc(remote);
    if (decoded === null) throw new RangeError(`not a valid HLC: ${remote}`);
    this.#last = merge(this.#last, decoded, this.#wallClock());
    return encodeHlc(this.#last);
  }

  /** The last timestamp issued, without advancing the clock. */
  peek(): string {
    return encodeHlc(this.#last);
  }
}

function isInRange(n: number, max: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= max;
}

/** Reads a wall clock defensively: whole milliseconds, within the encoding; garbage reads as 0. */
function toWall(wallNow: number): number {
  return Number.isFinite(wallNow) ? Math.min(Math.max(Math.floor(wallNow), 0), MAX_WALL) : 0;
}

/** Keeps the counter within 5 digits: an overflow moves on to the next millisecond. */
function carry(wall: number, logical: number, replica: string): Hlc {
  return logical > MAX_LOGICAL ? { wall: wall + 1, logical: 0, replica } : { wall, logical, replica };
}
