import { Redis } from "ioredis";
import type { Lock, User } from "../../../lib/protocol";
import type { LeaseStore } from "./types";

/**
 * Leases in Redis: one key per card holding the lease as JSON with a PX expiry; tokens from one
 * INCR counter. Every check-and-set is a Lua script, so it is atomic on the Redis server.
 */
const GRANT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local l = cjson.decode(cur)
  if l.holderId ~= ARGV[1] then return {0, cur, redis.call('PTTL', KEYS[1])} end
end
local token = redis.call('INCR', KEYS[2])
local v = cjson.encode({cardId=ARGV[5], holderId=ARGV[1], holderName=ARGV[2], boardId=ARGV[3], token=token})
redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
return {1, v, tonumber(ARGV[4])}`;

const RENEW = `
local cur = redis.call('GET', KEYS[1])
if not cur then return nil end
local l = cjson.decode(cur)
if l.holderId ~= ARGV[1] or tostring(l.token) ~= ARGV[2] then return nil end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {cur, tonumber(ARGV[3])}`;

const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local l = cjson.decode(cur)
if l.holderId ~= ARGV[1] or tostring(l.token) ~= ARGV[2] then return 0 end
return redis.call('DEL', KEYS[1])`;

const LEAD = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

interface Stored {
  cardId: string;
  holderId: string;
  holderName: string;
  boardId: string;
  token: number;
}

function toLock(json: string, pttl: number): Lock {
  const s = JSON.parse(json) as Stored;
  return { cardId: s.cardId, holder: { id: s.holderId, name: s.holderName }, token: s.token, expiresAt: new Date(Date.now() + Math.max(0, pttl)).toISOString() };
}

export class RedisLeaseStore implements LeaseStore {
  readonly backend = "redis" as const;
  private readonly redis: Redis;

  /** `prefix` namespaces keys (tests use a fresh one each); `watch` sees the client (outage logging). */
  constructor(url: string, private readonly prefix = "concord:", watch?: (client: Redis) => void) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: false });
    watch?.(this.redis);
  }

  private key(cardId: string) {
    return `${this.prefix}lease:${cardId}`;
  }

  /** Raises the token counter to at least `floor` (e.g. the Postgres sequence when switching backends). */
  async seedTokens(floor: number): Promise<void> {
    await this.redis.eval(
      "local c = tonumber(redis.call('GET', KEYS[1]) or '0') if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 1",
      1, `${this.prefix}lock_tokens`, String(floor),
    );
  }

  async grant(card: { id: string; boardId: string }, holder: User, ttlMs: number) {
    const [ok, json, pttl] = (await this.redis.eval(GRANT, 2, this.key(card.id), `${this.prefix}lock_tokens`,
      holder.id, holder.name, card.boardId, String(ttlMs), card.id)) as [number, string, number];
    return ok === 1 ? { granted: toLock(json, pttl) } : { busy: toLock(json, pttl) };
  }

  async renew(cardId: string, holderId: string, token: number, ttlMs: number) {
    const r = (await this.redis.eval(RENEW, 1, this.key(cardId), holderId, String(token), String(ttlMs))) as [string, number] | null;
    return r ? toLock(r[0], r[1]) : null;
  }

  async release(cardId: string, holderId: string, token: number) {
    return (await this.redis.eval(RELEASE, 1, this.key(cardId), holderId, String(token))) === 1;
  }

  async live(cardId: string) {
    const [[, json], [, pttl]] = (await this.redis.multi().get(this.key(cardId)).pttl(this.key(cardId)).exec()) as [[null, string | null], [null, number]];
    return json && pttl > 0 ? toLock(json, pttl) : null;
  }

  async liveMany(cardIds: string[]) {
    const out: Lock[] = [];
    for (let i = 0; i < cardIds.length; i += 500) {
      const pipe = this.redis.pipeline();
      for (const id of cardIds.slice(i, i + 500)) pipe.get(this.key(id)).pttl(this.key(id));
      const replies = ((await pipe.exec()) ?? []) as [Error | null, unknown][];
      for (let j = 0; j + 1 < replies.length; j += 2) {
        const json = replies[j]![1] as string | null;
        const pttl = replies[j + 1]![1] as number;
        if (json && pttl > 0) out.push(toLock(json, pttl));
      }
    }
    return out;
  }

  async lead(name: string, nodeId: string, ttlMs: number) {
    return (await this.redis.eval(LEAD, 1, `${this.prefix}job:${name}`, nodeId, String(ttlMs))) === 1;
  }

  async close() {
    await this.redis.quit().catch(() => {});
  }
}
