import type { Logger } from "pino";
import { HybridClock } from "../../lib/sync/hlc";
import type { Databases } from "../db/databases";
import { BoardService, type BoardMeta } from "./boards";
import { CardDirectory } from "./directory";
import { FeedService } from "./feed";
import { LockService } from "./locks";
import type { LeaseStore } from "./lease-stores/types";
import { MoveService } from "./moves";
import { RecordService, type Trips } from "./records";
import type { Change, Lock, TxPhase, TxStepBroadcast } from "../../lib/protocol";

/** Announces who is on a board (implemented by the realtime layer, SPEC PRES-1). */
export interface Presence {
  joined(boardId: string, socketId: string, userId: string): void;
  left(boardId: string, userId: string): void;
  focused(boardId: string, userId: string): void;
}

/** Broadcasts `lock: null` when a lease runs out unrenewed (implemented by the realtime layer). */
export interface LockExpiry {
  watch(boardId: string, lock: Lock): void;
}

/** Every service a node runs, built once per node over its databases. */
export interface Services {
  log: Logger;
  nodeId: string;
  boards: BoardService;
  directory: CardDirectory;
  records: RecordService;
  feed: FeedService;
  locks: LockService;
  moves: MoveService;
  presence: Presence;
  lockExpiry: LockExpiry;
  /** SPEC TX-10: the demo fault switch (`sim:crash`) is offered (demo or dev node, never by default). */
  demoFaults: boolean;
}

export function createServices(opts: {
  log: Logger;
  nodeId: string;
  dbs: Databases;
  changeLogKeep: number;
  onTx: (txId: string, phase: TxPhase, shards: string[], boards: string[]) => void;
  /** SPEC TX-10: each step of a cross-shard move, for the inspector's timeline. */
  onTxStep?: (step: TxStepBroadcast, boards: string[]) => void;
  /** SPEC TX-12: changes of a move finished by recovery or a resend, to broadcast. */
  onChanges?: (changes: Change[]) => void;
  demoFaults?: boolean;
  presence: Presence;
  lockExpiry: LockExpiry;
  leaseStore: LeaseStore;
  /** Told each record batch's size and round trips (metrics). */
  onBatch?: (writes: number, trips: Trips) => void;
  /** SPEC PERF-7 (default true). */
  oneTripBatches?: boolean;
  /** SPEC PERF-8: one-trip batches of a board in flight at most before the next starts (default 2). */
  chainDepth?: number;
}): Services {
  const boards = new BoardService(opts.dbs);
  const shardOf = (b: BoardMeta) => boards.shard(b.shard);
  const locks = new LockService(opts.leaseStore, (name) => boards.shard(name));
  const directory = new CardDirectory(opts.dbs);
  const clock = new HybridClock(opts.nodeId.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64));
  return {
    log: opts.log,
    nodeId: opts.nodeId,
    boards,
    directory,
    records: new RecordService(shardOf, locks, clock, opts.onBatch, opts.oneTripBatches ?? true, opts.chainDepth),
    feed: new FeedService(shardOf, opts.changeLogKeep),
    locks,
    moves: new MoveService(opts.dbs, locks, directory, opts.onTx, opts.onTxStep, opts.onChanges),
    presence: opts.presence,
    lockExpiry: opts.lockExpiry,
    demoFaults: opts.demoFaults ?? false,
  };
}
