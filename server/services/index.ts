import type { Logger } from "pino";
import { HybridClock } from "../../lib/sync/hlc";
import type { Databases } from "../db/databases";
import { BoardService, type BoardMeta } from "./boards";
import { CardDirectory } from "./directory";
import { FeedService } from "./feed";
import { LockService } from "./locks";
import type { LeaseStore } from "./lease-stores/types";
import { MoveService } from "./moves";
import { RecordService } from "./records";
import type { Lock, TxPhase } from "../../lib/protocol";

/** Announces who is on a board (implemented by the realtime layer). */
export interface Presence {
  announce(boardId: string): Promise<void>;
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
}

export function createServices(opts: {
  log: Logger;
  nodeId: string;
  dbs: Databases;
  changeLogKeep: number;
  onTx: (txId: string, phase: TxPhase, shards: string[], boards: string[]) => void;
  presence: Presence;
  lockExpiry: LockExpiry;
  leaseStore: LeaseStore;
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
    records: new RecordService(shardOf, locks, clock),
    feed: new FeedService(shardOf, opts.changeLogKeep),
    locks,
    moves: new MoveService(opts.dbs, locks, directory, opts.onTx),
    presence: opts.presence,
    lockExpiry: opts.lockExpiry,
  };
}
