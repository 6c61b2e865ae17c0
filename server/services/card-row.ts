import type { Card, FieldName, Fields, Policy, Sibling } from "../../lib/protocol";
import type { cards } from "../db/shard-schema";

export type CardRow = typeof cards.$inferSelect;

export function rowFields(row: CardRow): Fields {
  return {
    title: row.title,
    body: row.body,
    status: row.status,
    position: row.position,
    tags: row.tags,
    estimate: row.estimate,
  };
}

/** The wire form of a stored card; policy-specific metadata only where the policy uses it. */
export function rowToCard(row: CardRow, policy: Policy): Card {
  const card: Card = {
    id: row.id,
    boardId: row.boardId,
    ...rowFields(row),
    version: row.version,
    fieldVersions: row.fieldVersions,
    updatedAt: row.updatedAt.toISOString(),
    updatedBy: row.updatedBy,
  };
  if (policy === "lww") card.hlc = row.hlc ?? {};
  if (policy === "mvr") {
    card.clock = row.clock ?? {};
    const siblings: Partial<Record<FieldName, Sibling[]>> = {};
    for (const [f, reg] of Object.entries(row.registers ?? {}) as [FieldName, Sibling[]][]) {
      if (reg.length > 1) siblings[f] = reg;
    }
    if (Object.keys(siblings).length > 0) card.siblings = siblings;
  }
  return card;
}
