import { useRef } from "react";
import { diffCards, cardList } from "../../lib/client/card-table";
import { comparePlaced } from "../../lib/client/positions";
import type { Card, Status } from "../../lib/protocol";
import { sortCards } from "./format";

/** A board's cards by column, each in display order (SPEC POS-1, POS-2). */
export type Columns = Record<Status, Card[]>;

/** Beyond this many changed cards, grouping the board afresh is as cheap as patching it. */
const PATCH_LIMIT = 256;

const columnOf = (c: Card): Status => (c.status === "doing" || c.status === "done" ? c.status : "todo");

/** Every card into its column, sorted: O(n log n), for a board seen the first time. */
export function groupColumns(cards: Readonly<Record<string, Card>>): Columns {
  const by: Record<Status, Card[]> = { todo: [], doing: [], done: [] };
  for (const c of cardList(cards)) by[columnOf(c)].push(c);
  return { todo: sortCards(by.todo), doing: sortCards(by.doing), done: sortCards(by.done) };
}

/** Where `card` goes in `column` (sorted): the first index whose card sorts after it. */
function insertionPoint(column: readonly Card[], card: Card): number {
  let lo = 0;
  let hi = column.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePlaced(column[mid]!, card) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Removes `card` (that very object, at its sorted place) from a column being patched. */
function remove(column: Card[], card: Card): void {
  let i = insertionPoint(column, card) - 1;
  if (column[i] !== card) i = column.indexOf(card);
  if (i >= 0) column.splice(i, 1);
}

/**
 * The columns of `after`, from the columns of `before`: only the cards that changed between the
 * two versions are taken out and put back (card-table.ts compares only the buckets that differ),
 * so an update to a 5 000-card board costs a few binary searches and copies of the columns it
 * touches, not a sort of the board. Untouched columns keep their identity.
 */
export function patchColumns(columns: Columns, before: Readonly<Record<string, Card>>, after: Readonly<Record<string, Card>>): Columns {
  const out: Card[] = [];
  const into: Card[] = [];
  let changed = 0;
  diffCards(
    before,
    after,
    (card) => {
      changed++;
      const old = before[card.id];
      if (old) out.push(old);
      into.push(card);
    },
    (id) => {
      changed++;
      const old = before[id];
      if (old) out.push(old);
    },
  );
  if (changed === 0) return columns;
  if (changed > PATCH_LIMIT) return groupColumns(after);
  const next: Partial<Record<Status, Card[]>> = {};
  const editable = (s: Status): Card[] => (next[s] ??= [...columns[s]]);
  for (const c of out) remove(editable(columnOf(c)), c);
  for (const c of into) {
    const column = editable(columnOf(c));
    column.splice(insertionPoint(column, c), 0, c);
  }
  return { todo: next.todo ?? columns.todo, doing: next.doing ?? columns.doing, done: next.done ?? columns.done };
}

const NO_CARDS: Readonly<Record<string, Card>> = {};

/** The board's columns, patched from the previous render's (see `patchColumns`). */
export function useColumns(cards: Readonly<Record<string, Card>> | undefined): Columns {
  const last = useRef<{ cards: Readonly<Record<string, Card>>; columns: Columns } | null>(null);
  const now = cards ?? NO_CARDS;
  const prev = last.current;
  if (prev && prev.cards === now) return prev.columns;
  const columns = prev ? patchColumns(prev.columns, prev.cards, now) : groupColumns(now);
  last.current = { cards: now, columns };
  return columns;
}
