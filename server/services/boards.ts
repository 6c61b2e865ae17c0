import { randomBytes, randomUUID } from "node:crypto";
import { ConcordError, INVITE_LIMITS, type Board, type Change, type Policy, type User, type Visibility } from "../../lib/protocol";
import type { Databases } from "../db/databases";
import type { Closed, ShardStore } from "../db/shard-store";
import { isLockTimeout } from "../db/unavailable";

export type BoardMeta = Omit<Board, "seq">;

/** A `boards` row as the catalog returns it. */
interface BoardRow {
  id: string;
  name: string;
  policy: Policy;
  shard: string;
  visibility: Visibility;
  owner_id: string;
  archived: boolean;
}

const toMeta = (r: BoardRow): BoardMeta => ({
  id: r.id,
  name: r.name,
  policy: r.policy,
  shard: r.shard,
  visibility: r.visibility,
  ownerId: r.owner_id,
  ...(r.archived ? { archived: true as const } : {}),
});

/**
 * How long a node trusts its cached board metadata and membership. Renames, archiving, deletes
 * and departures (SPEC BOARD-1 … BOARD-5) reach every node's cache at once through the adapter;
 * this bounds staleness when such a message is lost.
 */
const CACHE_MS = 60_000;

/** SPEC BOARD-8: how long closing a board waits for the batch or move holding its head. */
const HEAD_WAIT = "5s";

/** A lock wait past HEAD_WAIT: the board is busy (a batch or a move holds its head). */
const busy = (err: unknown): never => {
  throw isLockTimeout(err) ? new ConcordError("UNAVAILABLE", "the board is busy; try again") : err;
};

/** An `invites` row, as far as the rules read it. */
interface InviteRow {
  board_id: string;
  max_uses: number | null;
  uses: number;
  revoked_at: unknown;
}

/**
 * The board directory (catalog) and access rules (SPEC ACCESS-1): open boards admit every
 * signed-in user; private boards admit the owner and people who accepted an invite.
 */
export class BoardService {
  /** Board metadata, until CACHE_MS passes or a change to the board is announced. */
  private readonly metaCache = new Map<string, { meta: BoardMeta; until: number }>();
  /** Positive access decisions only: `${userId}:${boardId}` → until when. */
  private readonly allowed = new Map<string, number>();
  /** Tells the other nodes to forget what they cached of a board (node.ts sends it through the adapter). */
  onInvalidate: (boardId: string) => void = () => {};

  constructor(
    private readonly dbs: Databases,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets this node's cached metadata and access decisions of a board (a change was announced). */
  forget(boardId: string): void {
    this.metaCache.delete(boardId);
    for (const key of this.allowed.keys()) if (key.endsWith(`:${boardId}`)) this.allowed.delete(key);
  }

  private changed(boardId: string): void {
    this.forget(boardId);
    this.onInvalidate(boardId);
  }

  private allow(userId: string, boardId: string): void {
    this.allowed.set(`${userId}:${boardId}`, this.now() + CACHE_MS);
  }

  private isAllowed(userId: string, boardId: string): boolean {
    const until = this.allowed.get(`${userId}:${boardId}`);
    return until !== undefined && until > this.now();
  }

  shard(name: string): ShardStore {
    const s = this.dbs.shards.get(name);
    if (!s) throw new ConcordError("UNAVAILABLE", `shard ${name} is not configured`);
    return s;
  }

  shardNames(): string[] {
    return [...this.dbs.shards.keys()];
  }

  async create(user: User, input: { name: string; policy: Policy; shard?: string; visibility?: Visibility }): Promise<Board> {
    const names = this.shardNames();
    const shardName = input.shard ?? names[Math.floor(Math.random() * names.length)]!;
    if (!this.dbs.shards.has(shardName)) {
      throw new ConcordError("BAD_REQUEST", `unknown shard "${shardName}"`, { shards: names });
    }
    const meta: BoardMeta = {
      id: `b_${randomUUID()}`,
      name: input.name,
      policy: input.policy,
      shard: shardName,
      visibility: input.visibility ?? "open",
      ownerId: user.id,
    };
    // The shard's head row first: a board listed in the catalog always has somewhere to write.
    await this.shard(shardName).createHead(meta.id);
    const sql = this.dbs.catalogSql;
    await sql`INSERT INTO boards (id, name, policy, shard, visibility, owner_id)
              VALUES (${meta.id}, ${meta.name}, ${meta.policy}, ${meta.shard}, ${meta.visibility}, ${meta.ownerId})`;
    this.metaCache.set(meta.id, { meta, until: this.now() + CACHE_MS });
    this.allowed.set(`${user.id}:${meta.id}`, this.now() + CACHE_MS);
    return { ...meta, seq: 0 };
  }

  /** A board's metadata; null when it does not exist or was deleted (SPEC BOARD-4). */
  async meta(boardId: string): Promise<BoardMeta | null> {
    const hit = this.metaCache.get(boardId);
    if (hit && hit.until > this.now()) return hit.meta;
    const [row] = await this.dbs.catalogSql<BoardRow[]>`
      SELECT id, name, policy, shard, visibility, owner_id, archived_at IS NOT NULL AS archived FROM boards WHERE id = ${boardId} AND deleted_at IS NULL`;
    if (!row) {
      this.metaCache.delete(boardId);
      return null;
    }
    const meta = toMeta(row);
    this.metaCache.set(boardId, { meta, until: this.now() + CACHE_MS });
    return meta;
  }

  /**
   * The board if `user` may read and write it; NOT_FOUND otherwise. A private board answers a
   * non-member exactly like a board that does not exist, so its existence does not leak (SPEC ACCESS-2).
   */
  async authorize(user: User, boardId: string): Promise<BoardMeta> {
    const meta = await this.meta(boardId);
    if (!meta) throw new ConcordError("NOT_FOUND", "no such board");
    if (meta.visibility === "open" || meta.ownerId === user.id || this.isAllowed(user.id, boardId)) return meta;
    const [member] = await this.dbs.catalogSql`SELECT user_id FROM board_members WHERE board_id = ${boardId} AND user_id = ${user.id}`;
    if (!member) throw new ConcordError("NOT_FOUND", "no such board");
    this.allow(user.id, boardId);
    return meta;
  }

  /**
   * The board if `user` owns it (SPEC BOARD-1 … BOARD-4): NOT_FOUND when they may not see it
   * (ACCESS-2), FORBIDDEN when they may see it but do not own it.
   */
  private async owned(user: User, boardId: string, what: string): Promise<BoardMeta> {
    const meta = await this.authorize(user, boardId);
    if (meta.ownerId !== user.id) throw new ConcordError("FORBIDDEN", `only the owner can ${what} a board`);
    return meta;
  }

  /** SPEC BOARD-1: the owner gives the board a new name. */
  async rename(user: User, boardId: string, name: string): Promise<Board> {
    await this.owned(user, boardId, "rename");
    await this.dbs.catalogSql`UPDATE boards SET name = ${name} WHERE id = ${boardId} AND deleted_at IS NULL`;
    this.changed(boardId);
    return this.fresh(boardId);
  }

  /**
   * SPEC BOARD-3: the owner archives the board (read-only) or restores it. BOARD-8: archiving
   * closes the board's head on its shard before the catalog says so, then settles the head to
   * what the catalog says; a restore changes the catalog and settles the head in one step under
   * the head's lock (a lock wait past its bound changes nothing). So from the answer on no node
   * writes to an archived board, whatever its cache still holds, and an archive and a restore
   * racing each other leave the head as the catalog: the last to settle reads what both wrote.
   */
  async archive(user: User, boardId: string, archived: boolean): Promise<Board> {
    const meta = await this.owned(user, boardId, archived ? "archive" : "restore");
    const mark = () => this.dbs.catalogSql`
      UPDATE boards SET archived_at = ${archived ? this.dbs.catalogSql`coalesce(archived_at, now())` : null}
      WHERE id = ${boardId} AND deleted_at IS NULL`;
    if (archived) {
      await this.close(meta, "archived");
      await mark();
      await this.settle(meta);
    } else {
      await this.settle(meta, mark);
    }
    this.changed(boardId);
    return this.fresh(boardId);
  }

  /** SPEC BOARD-8: the board's head on its shard closed (deleted: for good), under its lock. */
  private async close(meta: BoardMeta, closed: Closed): Promise<void> {
    await this.shard(meta.shard).settleClosed(meta.id, async () => closed, HEAD_WAIT).catch(busy);
  }

  /**
   * SPEC BOARD-8: the board's head closed or opened as the catalog says, read under the head's
   * lock; `first`, a change to the catalog, runs under that lock before the read.
   */
  async settle(meta: Pick<BoardMeta, "id" | "shard">, first?: () => Promise<unknown>): Promise<Closed | null> {
    const decide = async (): Promise<Closed | null> => {
      await first?.();
      const [row] = await this.dbs.catalogSql<{ archived: boolean; deleted: boolean }[]>`
        SELECT archived_at IS NOT NULL AS archived, deleted_at IS NOT NULL AS deleted FROM boards WHERE id = ${meta.id}`;
      return !row || row.deleted ? "deleted" : row.archived ? "archived" : null;
    };
    return this.shard(meta.shard).settleClosed(meta.id, decide, HEAD_WAIT).catch(busy);
  }

  /**
   * SPEC BOARD-8 at start-up: heads that disagree with the catalog are settled to it: open heads
   * of boards archived or deleted before heads could be closed (shard migration 0007), and
   * archived heads of boards the catalog has open (an archive that died between closing the head
   * and changing the catalog). Safe beside archives and restores made meanwhile: each settles
   * under the head's lock from what the catalog says then, and an archive still running settles
   * again before it answers. A deleted head stays deleted. Answers how many heads changed.
   */
  async settleHeads(): Promise<number> {
    const closed = await this.dbs.catalogSql<{ id: string; shard: string }[]>`
      SELECT id, shard FROM boards WHERE archived_at IS NOT NULL OR deleted_at IS NOT NULL`;
    const closedIds = new Set(closed.map((r) => r.id));
    let changed = 0;
    for (const [shard, store] of this.dbs.shards) {
      const ids = closed.filter((r) => r.shard === shard).map((r) => r.id);
      const stale: string[] = [];
      for (let i = 0; i < ids.length; i += 500) stale.push(...(await store.openHeadsOf(ids.slice(i, i + 500))));
      const archived = await store.archivedHeads();
      for (let i = 0; i < archived.length; i += 500) {
        const open = await this.dbs.catalogSql<{ id: string }[]>`
          SELECT id FROM boards WHERE id IN ${this.dbs.catalogSql(archived.slice(i, i + 500))} AND archived_at IS NULL AND deleted_at IS NULL`;
        stale.push(...open.map((r) => r.id));
      }
      for (const id of stale) {
        const before = closedIds.has(id) ? null : "archived";
        if ((await this.settle({ id, shard })) !== before) changed++;
      }
    }
    return changed;
  }

  /**
   * SPEC BOARD-4: the owner deletes the board. Afterwards it answers like a board that never
   * existed; its invites admit nobody, its cards cannot be reached, and their ids stay taken
   * (ID-1: the catalog's card_ids rows remain). Its head is closed first (BOARD-8).
   */
  async delete(user: User, boardId: string): Promise<BoardMeta> {
    const meta = await this.owned(user, boardId, "delete");
    await this.close(meta, "deleted");
    await this.dbs.catalogSql.begin(async (tx) => {
      await tx`UPDATE boards SET deleted_at = now() WHERE id = ${boardId} AND deleted_at IS NULL`;
      await tx`UPDATE invites SET revoked_at = coalesce(revoked_at, now()) WHERE board_id = ${boardId}`;
    });
    this.changed(boardId);
    return meta;
  }

  /**
   * SPEC BOARD-5: a member gives up their membership of a board. The owner cannot (FORBIDDEN:
   * they delete it instead); someone who is not a member gets BAD_REQUEST.
   */
  async quit(user: User, boardId: string): Promise<BoardMeta> {
    const meta = await this.authorize(user, boardId);
    if (meta.ownerId === user.id) throw new ConcordError("FORBIDDEN", "the owner cannot leave their board; delete it instead");
    const left = await this.dbs.catalogSql`DELETE FROM board_members WHERE board_id = ${boardId} AND user_id = ${user.id} RETURNING user_id`;
    if (left.length === 0) throw new ConcordError("BAD_REQUEST", "you are not a member of this board");
    this.changed(boardId);
    return meta;
  }

  /** The members' ids of a board (SPEC BOARD-6: who hears of its changes). */
  async memberIds(boardId: string): Promise<string[]> {
    const rows = await this.dbs.catalogSql<{ user_id: string }[]>`SELECT user_id FROM board_members WHERE board_id = ${boardId}`;
    return rows.map((r) => r.user_id);
  }

  private async fresh(boardId: string): Promise<Board> {
    const meta = await this.meta(boardId);
    if (!meta) throw new ConcordError("NOT_FOUND", "no such board");
    return this.withSeq(meta);
  }

  async head(meta: BoardMeta): Promise<number> {
    const store = this.shard(meta.shard);
    return (await store.head(store.sql, meta.id))?.seq ?? 0;
  }

  async withSeq(meta: BoardMeta): Promise<Board> {
    return { ...meta, seq: await this.head(meta) };
  }

  /**
   * Boards the user may see: open ones, their own, and private ones they joined (SPEC BOARD-7),
   * each with its owner's name, its number of cards, and `member` when they joined by invite.
   */
  async list(user: User): Promise<Board[]> {
    const rows = await this.dbs.catalogSql<(BoardRow & { owner_name: string | null; member: boolean })[]>`
      SELECT b.id, b.name, b.policy, b.shard, b.visibility, b.owner_id, b.archived_at IS NOT NULL AS archived,
             u.name AS owner_name, m.user_id IS NOT NULL AS member
      FROM boards b
      LEFT JOIN users u ON u.id = b.owner_id
      LEFT JOIN board_members m ON m.board_id = b.id AND m.user_id = ${user.id}
      WHERE b.deleted_at IS NULL AND (b.visibility = 'open' OR b.owner_id = ${user.id} OR m.user_id IS NOT NULL)
      ORDER BY b.created_at`;
    const heads = new Map<string, number>();
    const counts = new Map<string, number>();
    await Promise.all(
      [...this.dbs.shards.values()].map(async (shard) => {
        const ids = rows.filter((r) => r.shard === shard.name).map((r) => r.id);
        if (ids.length === 0) return;
        const [h, c] = await Promise.all([shard.heads(ids), shard.cardCounts(ids)]);
        for (const [id, seq] of h) heads.set(id, seq);
        for (const [id, n] of c) counts.set(id, n);
      }),
    );
    return rows.map((r) => ({
      ...toMeta(r),
      seq: heads.get(r.id) ?? 0,
      ...(r.owner_name !== null ? { ownerName: r.owner_name } : {}),
      cardCount: counts.get(r.id) ?? 0,
      ...(r.member && r.owner_id !== user.id ? { member: true as const } : {}),
    }));
  }

  /** Adds each author's display name (`byName`) to changes, from the catalog's users. */
  async withNames(list: Change[]): Promise<Change[]> {
    const ids = [...new Set(list.map((c) => c.by))];
    if (ids.length === 0) return list;
    const sql = this.dbs.catalogSql;
    const rows = await sql<{ id: string; name: string }[]>`SELECT id, name FROM users WHERE id IN ${sql(ids)}`;
    const names = new Map(rows.map((r) => [r.id, r.name]));
    return list.map((c) => (names.has(c.by) ? { ...c, byName: names.get(c.by) } : c));
  }

  /**
   * A new invite code to a private board (owner only, SPEC ACCESS-3): it expires after `ttlMs`
   * (7 days by default; the catalog's clock decides) and admits at most `maxUses` people.
   */
  async invite(
    user: User,
    boardId: string,
    opts: { ttlMs?: number; maxUses?: number } = {},
  ): Promise<{ code: string; expiresAt: string; maxUses: number | null }> {
    const meta = await this.authorize(user, boardId);
    if (meta.ownerId !== user.id) throw new ConcordError("FORBIDDEN", "only the owner can invite");
    const code = randomBytes(9).toString("base64url");
    const ttlMs = opts.ttlMs ?? INVITE_LIMITS.ttlMsDefault;
    const maxUses = opts.maxUses ?? null;
    const [row] = await this.dbs.catalogSql<{ expires_at: Date | string }[]>`
      INSERT INTO invites (code, board_id, created_by, max_uses, expires_at)
      VALUES (${code}, ${boardId}, ${user.id}, ${maxUses}, now() + make_interval(secs => ${ttlMs / 1000}))
      RETURNING expires_at`;
    return { code, expiresAt: new Date(row!.expires_at).toISOString(), maxUses };
  }

  /**
   * Makes `user` a member of the invite's board (SPEC ACCESS-3). A use is spent only by someone
   * who was not a member yet, in one transaction with the membership, by a conditional update:
   * concurrent accepts on any node never admit more than `maxUses` people, and a revoked or
   * expired code admits nobody.
   */
  async accept(user: User, code: string): Promise<Board> {
    const boardId = (await this.dbs.catalogSql.begin(async (tx) => {
      const [inv] = await tx<InviteRow[]>`SELECT board_id, max_uses, uses, revoked_at FROM invites WHERE code = ${code}`;
      if (!inv) throw new ConcordError("NOT_FOUND", "no such invite code");
      const meta = await this.meta(inv.board_id);
      if (!meta) throw new ConcordError("NOT_FOUND", "the board of this invite is gone");
      if (meta.ownerId === user.id) return inv.board_id;
      const joined = await tx`
        INSERT INTO board_members (board_id, user_id) VALUES (${inv.board_id}, ${user.id}) ON CONFLICT DO NOTHING RETURNING user_id`;
      if (joined.length === 0) return inv.board_id; // already a member: nothing spent
      const used = await tx`
        UPDATE invites SET uses = uses + 1
        WHERE code = ${code} AND revoked_at IS NULL AND expires_at > now() AND (max_uses IS NULL OR uses < max_uses)
        RETURNING code`;
      if (used.length === 0) {
        const [now] = await tx<InviteRow[]>`SELECT board_id, max_uses, uses, revoked_at FROM invites WHERE code = ${code}`;
        const why = now?.revoked_at ? "was revoked" : now?.max_uses != null && now.uses >= now.max_uses ? "has been used up" : "has expired";
        throw new ConcordError("NOT_FOUND", `this invite code ${why}`); // rolls the membership back
      }
      return inv.board_id;
    })) as string;
    this.allow(user.id, boardId);
    const meta = await this.meta(boardId);
    if (!meta) throw new ConcordError("NOT_FOUND", "the board of this invite is gone");
    return this.withSeq(meta);
  }

  /**
   * Withdraws an invite code (owner only, SPEC ACCESS-3); people who accepted it stay members.
   * Someone who may not see the board learns nothing: the same answer as for a code that never existed.
   */
  async revokeInvite(user: User, code: string): Promise<void> {
    const sql = this.dbs.catalogSql;
    const [inv] = await sql<InviteRow[]>`SELECT board_id, max_uses, uses, revoked_at FROM invites WHERE code = ${code}`;
    if (!inv) throw new ConcordError("NOT_FOUND", "no such invite code");
    const meta = await this.meta(inv.board_id);
    if (meta?.ownerId !== user.id) {
      await this.authorize(user, inv.board_id).catch(() => {
        throw new ConcordError("NOT_FOUND", "no such invite code");
      });
      throw new ConcordError("FORBIDDEN", "only the owner can revoke an invite");
    }
    await sql`UPDATE invites SET revoked_at = coalesce(revoked_at, now()) WHERE code = ${code}`;
  }
}
