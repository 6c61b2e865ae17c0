import { ConcordError } from "../../lib/protocol";
import type { Closed } from "../db/shard-store";

/**
 * SPEC BOARD-8, the one answer to a write that found its board's head closed: an archived board
 * is read-only (FORBIDDEN, BOARD-3), a deleted one answers like one that never existed
 * (NOT_FOUND, BOARD-4). The head says so under its lock, whatever a node's cache still believes.
 */
export function closedError(closed: Closed): ConcordError {
  return closed === "archived"
    ? new ConcordError("FORBIDDEN", "this board is archived; its owner can restore it to edit it again")
    : new ConcordError("NOT_FOUND", "no such board");
}
