import type { Card } from "../protocol";

/**
 * A board's cards as an immutable record with structural sharing (SPEC REPLICA-4). Reads look
 * like a plain frozen `Record<string, Card>` (`cards[id]`, `id in cards`, `Object.values`,
 * spread, JSON), but the cards live in BUCKETS buckets by a hash of the id: a change copies the
 * bucket array and the buckets it touches, not the board, so a 5 000-card board takes a change
 * in microseconds and old and new versions share every untouched bucket. `diffCards` compares
 * two versions bucket by bucket, skipping shared ones (storage writes what changed).
 */

const BUCKETS = 128;

interface Table {
  readonly buckets: readonly Readonly<Record<string, Card>>[];
  /** Every id, in bucket order: made on the first full read, then kept (the table never changes). */
  keys?: string[];
}

/** The table behind each record this module made. */
const tables = new WeakMap<object, Table>();

function bucketOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

function allKeys(t: Table): string[] {
  t.keys ??= t.buckets.flatMap((b) => Object.keys(b));
  return t.keys;
}

const readOnly = (): never => {
  throw new TypeError("a board's cards are immutable: make a new version with withChanges");
};

function asRecord(t: Table): Record<string, Card> {
  const find = (key: string | symbol): Card | undefined => {
    if (typeof key !== "string") return undefined;
    const b = t.buckets[bucketOf(key)]!;
    return Object.prototype.hasOwnProperty.call(b, key) ? b[key] : undefined;
  };
  const record = new Proxy({} as Record<string, Card>, {
    get: (_, key) => find(key),
    has: (_, key) => find(key) !== undefined,
    ownKeys: () => allKeys(t),
    getOwnPropertyDescriptor: (_, key) => {
      const value = find(key);
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
    set: readOnly,
    deleteProperty: readOnly,
    defineProperty: readOnly,
  });
  tables.set(record, t);
  return record;
}

function tableOf(cards: Readonly<Record<string, Card>>): Table {
  const known = tables.get(cards);
  if (known) return known;
  const buckets: Record<string, Card>[] = Array.from({ length: BUCKETS }, () => ({}));
  for (const [id, card] of Object.entries(cards)) buckets[bucketOf(id)]![id] = card;
  return { buckets };
}

/** A record of `cards` by id. */
export function cardRecord(cards: Iterable<Card> = []): Record<string, Card> {
  const buckets: Record<string, Card>[] = Array.from({ length: BUCKETS }, () => ({}));
  for (const card of cards) buckets[bucketOf(card.id)]![card.id] = card;
  return asRecord({ buckets });
}

/**
 * A new version of `cards` with `changes` applied (a card to put, or null to remove its id).
 * Shares every bucket the changes do not touch; `cards` itself is unchanged. A plain object is
 * taken in once (O(n)), after which versions share.
 */
export function withChanges(cards: Readonly<Record<string, Card>>, changes: ReadonlyMap<string, Card | null>): Record<string, Card> {
  const from = tableOf(cards);
  if (changes.size === 0 && tables.has(cards)) return cards as Record<string, Card>;
  const buckets = [...from.buckets];
  const copied = new Set<number>();
  for (const [id, card] of changes) {
    const i = bucketOf(id);
    if (!copied.has(i)) {
      buckets[i] = { ...buckets[i] };
      copied.add(i);
    }
    const b = buckets[i] as Record<string, Card>;
    if (card) b[id] = card;
    else delete b[id];
  }
  return asRecord({ buckets });
}

/** Every card, or the first `max` (faster than Object.values on a record made here). */
export function cardList(cards: Readonly<Record<string, Card>>, max = Infinity): Card[] {
  const t = tables.get(cards);
  if (!t) return Object.values(cards).slice(0, max);
  if (max === Infinity) return t.buckets.flatMap((b) => Object.values(b));
  const out: Card[] = [];
  for (const b of t.buckets) {
    for (const id in b) {
      if (out.length >= max) return out;
      out.push(b[id]!);
    }
  }
  return out;
}

/**
 * What changed from `before` to `after`: `put` for each card that is new or another object,
 * `removed` for each id gone. Buckets the two versions share are skipped, so the cost is that
 * of what changed, not of the board.
 */
export function diffCards(
  before: Readonly<Record<string, Card>>,
  after: Readonly<Record<string, Card>>,
  put: (card: Card) => void,
  removed: (id: string) => void,
): void {
  const a = tableOf(before);
  const b = tableOf(after);
  for (let i = 0; i < BUCKETS; i++) {
    const x = a.buckets[i]!;
    const y = b.buckets[i]!;
    if (x === y) continue;
    for (const [id, card] of Object.entries(y)) if (x[id] !== card) put(card);
    for (const id of Object.keys(x)) if (!Object.prototype.hasOwnProperty.call(y, id)) removed(id);
  }
}
