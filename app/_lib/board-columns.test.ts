import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cardRecord, withChanges } from "../../lib/client/card-table";
import type { Card, Status } from "../../lib/protocol";
import { groupColumns, patchColumns } from "./board-columns";

const card = (id: string, status: Status, position: string, version = 1): Card =>
  ({ id, boardId: "b", title: id, body: "", status, position, tags: [], estimate: null, version, fieldVersions: {}, updatedAt: "", updatedBy: "u" }) as unknown as Card;

describe("board columns, patched from the cards that changed", () => {
  it("any sequence of puts and removals gives exactly the columns a fresh sort gives; untouched columns keep their identity", () => {
    const statuses: Status[] = ["todo", "doing", "done"];
    const op = fc.record({
      id: fc.integer({ min: 0, max: 40 }).map((n) => `c${n}`),
      status: fc.constantFrom(...statuses),
      position: fc.stringMatching(/^[a-c]{1,3}$/),
      remove: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 25 }), (steps) => {
        let cards = cardRecord([]);
        let columns = groupColumns(cards);
        let v = 1;
        for (const step of steps) {
          const changes = new Map<string, Card | null>(step.map((o) => [o.id, o.remove ? null : card(o.id, o.status, o.position, v++)]));
          const next = withChanges(cards, changes);
          const patched = patchColumns(columns, cards, next);
          expect(patched).toEqual(groupColumns(next));
          const touched = new Set<Status>();
          for (const [id, c] of changes) {
            if (cards[id]) touched.add(cards[id]!.status);
            if (c) touched.add(c.status);
          }
          for (const s of statuses) if (!touched.has(s)) expect(patched[s]).toBe(columns[s]);
          cards = next;
          columns = patched;
        }
      }),
      { numRuns: 200 },
    );
  });
});
