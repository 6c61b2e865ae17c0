import { randomBytes, randomUUID } from "node:crypto";
import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { ConcordError, INVITE_LIMITS, type Board, type Change, type Policy, type User, type Visibility } from "../../lib/protocol";
import { boardMembers, boards, invites, users } from "../db/catalog-schema";
import type { Databases } from "../db/databases";
import type { ShardStore } from "../db/shard-store";

export type BoardMeta = Omit<Board, "seq">;

/**
 * The board directory (catalog) and access rules (SPEC ACCESS-1): open boards admit every
 * signed-in user; private boards admit the owner and people who accepted an invite.
 */
export class BoardService {
  /** Board metadata never changes after creation, so it is cached without invalidation. */
  private readonly metaCache = new Map<string, BoardMeta>();
  /** Positive access decisions only: `${userId}:${boardId}`. */
  private readonly allowed = new Set<string>();

  constructor(private readonly dbs: Databases) {}

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
    await this.dbs.catalog.insert(boards).values(meta);
    this.metaCache.set(meta.id, meta);
    this.allowed.add(`${user.id}:${meta.id}`);
    return { ...meta, seq: 0 };
  }

  async meta(boardId: string): Promise<BoardMeta | null> {
    const hit = this.metaCache.get(boardId);
    if (hit) return hit;
    const [row] = await this.dbs.catalog.select().from(boards).where(eq(boards.id, boardId));
    if (!row) return null;
    const meta: BoardMeta = {
      id: row.id, name: row.name, policy: row.policy, shard: row.shard, visibility: row.visibility, ownerId: row.ownerId,
    };
    this.metaCache.set(boardId, meta);
    return meta;
  }

  /**
   * The board if `user` may read and write it; NOT_FOUND otherwise. A private board answers a
   * non-member exactly like a board that does not exist, so its existence does not leak (SPEC ACCESS-2).
   */
  async authorize(user: User, boardId: string): Promise<BoardMeta> {
    const meta = await this.meta(boardId);
    if (!meta) throw new ConcordError("NOT_FOUND", "no such board");
    if (meta.visibility === "open" || meta.ownerId === user.id || this.allowed.has(`${user.id}:${boardId}`)) return meta;
    const [member] = await this.dbs.catalog
      .select({ userId: boardMembers.userId })
      .from(boardMembers)
      .where(and(eq(boardMembers.boardId, boardId), eq(boardMembers.userId, user.id)));
    if (!member) throw new ConcordError("NOT_FOUND", "no such board");
    this.allowed.add(`${user.id}:${boardId}`);
    return meta;
  }

  async head(meta: BoardMeta): Promise<number> {
    const store = this.shard(meta.shard);
    return (await store.head(store.sql, meta.id))?.seq ?? 0;
  }

  async withSeq(meta: BoardMeta): Promise<Board> {
    return { ...meta, seq: await this.head(meta) };
  }

  /** Boards the user may see: open ones, their own, and private ones they joined. */
  async list(user: User): Promise<Board[]> {
    const memberOf = this.dbs.catalog
      .select({ id: boardMembers.boardId })
      .from(boardMembers)
      .where(eq(boardMembers.userId, user.id));
    const rows = await this.dbs.catalog
      .select()
      .from(boards)
      .where(or(eq(boards.visibility, "open"), eq(boards.ownerId, user.id), inArray(boards.id, memberOf)))
      .orderBy(boards.createdAt);
    const heads = new Map<string, number>();
    for (const shard of this.dbs.shards.values()) {
      const ids = rows.filter((r) => r.shard === shard.name).map((r) => r.id);
      if (ids.length === 0) continue;
      for (const [id, seq] of await shard.heads(ids)) heads.set(id, seq);
    }
    return rows.map((r) => ({
      id: r.id, name: r.name, policy: r.policy, shard: r.shard, visibility: r.visibility, ownerId: r.ownerId,
      seq: heads.get(r.id) ?? 0,
    }));
  }

  /** Adds each author's display name (`byName`) to changes, from the catalog's users. */
  async withNames(list: Change[]): Promise<Change[]> {
    const ids = [...new Set(list.map((c) => c.by))];
    if (ids.length === 0) return list;
    const rows = await this.dbs.catalog.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, ids));
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
    const [row] = await this.dbs.catalog
      .insert(invites)
      .values({ code, boardId, createdBy: user.id, maxUses, expiresAt: sql`now() + make_interval(secs => ${ttlMs / 1000})` })
      .returning({ expiresAt: invites.expiresAt });
    return { code, expiresAt: row!.expiresAt.toISOString(), maxUses };
  }

  /**
   * Makes `user` a member of the invite's board (SPEC ACCESS-3). A use is spent only by someone
   * who was not a member yet, in one transaction with the membership, by a conditional update:
   * concurrent accepts on any node never admit more than `maxUses` people, and a revoked or
   * expired code admits nobody.
   */
  async accept(user: User, code: string): Promise<Board> {
    const boardId = await this.dbs.catalog.transaction(async (tx) => {
      const [inv] = await tx.select().from(invites).where(eq(invites.code, code));
      if (!inv) throw new ConcordError("NOT_FOUND", "no such invite code");
      const meta = await this.meta(inv.boardId);
      if (!meta) throw new ConcordError("NOT_FOUND", "the board of this invite is gone");
      if (meta.ownerId === user.id) return inv.boardId;
      const joined = await tx
        .insert(boardMembers)
        .values({ boardId: inv.boardId, userId: user.id })
        .onConflictDoNothing()
        .returning({ userId: boardMembers.userId });
      if (joined.length === 0) return inv.boardId; // already a member: nothing spent
      const used = await tx
        .update(invites)
        .set({ uses: sql`${invites.uses} + 1` })
        .where(
          and(
            eq(invites.code, code),
            isNull(invites.revokedAt),
            gt(invites.expiresAt, sql`now()`),
            or(isNull(invites.maxUses), lt(invites.uses, invites.maxUses)),
          ),
        )
        .returning({ code: invites.code });
      if (used.length === 0) {
        const [now] = await tx.select().from(invites).where(eq(invites.code, code));
        const why = now?.revokedAt ? "was revoked" : now?.maxUses != null && now.uses >= now.maxUses ? "has been used up" : "has expired";
        throw new ConcordError("NOT_FOUND", `this invite code ${why}`); // rolls the membership back
      }
      return inv.boardId;
    });
    this.allowed.add(`${user.id}:${boardId}`);
    const meta = await this.meta(boardId);
    if (!meta) throw new ConcordError("NOT_FOUND", "the board of this invite is gone");
    return this.withSeq(meta);
  }

  /**
   * Withdraws an invite code (owner only, SPEC ACCESS-3); people who accepted it stay members.
   * Someone who may not see the board learns nothing: the same answer as for a code that never existed.
   */
  async revokeInvite(user: User, code: string): Promise<void> {
    const [inv] = await this.dbs.catalog.select().from(invites).where(eq(invites.code, code));
    if (!inv) throw new ConcordError("NOT_FOUND", "no such invite code");
    const meta = await this.meta(inv.boardId);
    if (meta?.ownerId !== user.id) {
      await this.authorize(user, inv.boardId).catch(() => {
        throw new ConcordError("NOT_FOUND", "no such invite code");
      });
      throw new ConcordError("FORBIDDEN", "only the owner can revoke an invite");
    }
    await this.dbs.catalog
      .update(invites)
      .set({ revokedAt: sql`coalesce(${invites.revokedAt}, now())` })
      .where(eq(invites.code, code));
  }
}
