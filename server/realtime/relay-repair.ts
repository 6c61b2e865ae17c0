import type { Change } from "../../lib/protocol";
import type { Broadcaster } from "./broadcaster";

/** What the repair reads: a board's shard head, and the changes after a seq. */
export interface RepairReads {
  /** The committed head of each board (boards it cannot place are left out). */
  heads(boardIds: string[]): Promise<Map<string, number>>;
  changesAfter(boardId: string, seq: number, limit: number): Promise<Change[]>;
}

/** At most this many changes of one board per repair; a client fills the rest itself (FEED-4). */
const REPAIR_LIMIT = 500;

/**
 * SPEC REPL-2: relays are sent after the commit, so a node that dies in between (or an adapter
 * that drops a message while its connection is away) leaves the other nodes' sockets behind until
 * the board's next change shows them a gap. Each node compares, every interval, the seq it brought
 * each followed board to with the board's committed head; a board still behind by the same seq at
 * the next look (a relay in flight is given one interval to land) gets the missing changes from
 * the log, delivered to this node's sockets only. Clients ignore changes they already have
 * (FEED-4), so a late relay that lands after all does no harm.
 */
export class RelayRepair {
  /** Boards behind at the last look, and the seq they were at. */
  private behind = new Map<string, number>();
  private running = false;

  constructor(
    private readonly broadcaster: Broadcaster,
    private readonly reads: RepairReads,
    private readonly onRepaired: (changes: number) => void = () => {},
  ) {}

  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const sent = this.broadcaster.followed();
      if (sent.size === 0) return (this.behind.clear(), 0);
      const heads = await this.reads.heads([...sent.keys()]);
      const behind = new Map<string, number>();
      let repaired = 0;
      for (const [boardId, seq] of sent) {
        const head = heads.get(boardId);
        if (head === undefined || head <= seq) continue;
        if (this.behind.get(boardId) !== seq) {
          behind.set(boardId, seq); // maybe a relay still on its way: look again next time
          continue;
        }
        const changes = await this.reads.changesAfter(boardId, seq, REPAIR_LIMIT);
        this.broadcaster.repair(changes);
        repaired += changes.length;
      }
      this.behind = behind;
      if (repaired > 0) this.onRepaired(repaired);
      return repaired;
    } finally {
      this.running = false;
    }
  }
}
