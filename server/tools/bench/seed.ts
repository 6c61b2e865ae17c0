/**
 * Fills a Concord deployment in-process, through the real services (group commit, change log,
 * catalog ids), much faster than over sockets: boards of cards, and updates of those cards.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Outcome } from "../../services/records";
import type { ToolNode } from "../tool-node";

export interface SeededBoard {
  boardId: string;
  cardIds: string[];
}

const mid = () => `m_${randomBytes(8).toString("hex")}`;

function applied(o: Outcome): { version: number } {
  if (o.kind !== "applied" || !o.result.card) throw new Error(`seed write not applied: ${o.kind === "rejected" ? o.error.code : o.kind}`);
  return o.result.card;
}

/** `boards` occ boards on shard `a` with `cards` cards each (version 1). */
export async function seedBoards(tool: ToolNode, boards: number, cards: number): Promise<SeededBoard[]> {
  const s = tool.node.services;
  const writer = { id: tool.user.id, name: tool.user.name, replicaId: "bench-seed" };
  const out: SeededBoard[] = [];
  for (let b = 0; b < boards; b++) {
    const board = await s.boards.create(tool.user, { name: `bench ${b}`, policy: "occ", shard: "a" });
    const cardIds = Array.from({ length: cards }, () => `c_${randomUUID()}`);
    for (let i = 0; i < cardIds.length; i += 500) {
      const chunk = cardIds.slice(i, i + 500);
      // The catalog rows `CardDirectory.claim` would make one by one (SPEC ID-1), in one statement,
      // and what claim leaves in the node's directory cache: a card created here is known here.
      const sql = tool.dbs.catalogSql;
      await sql`INSERT INTO card_ids ${sql(chunk.map((card_id) => ({ card_id, board_id: board.id })), "card_id", "board_id")}`;
      for (const cardId of chunk) s.directory.remember(cardId, board.id);
      await Promise.all(
        chunk.map(async (cardId, j) => {
          applied(await s.records.write({ board, writer, mutation: { kind: "create", mutationId: `seed-${cardId}`, boardId: board.id, cardId, fields: { title: `card ${i + j}` } } }));
        }),
      );
    }
    out.push({ boardId: board.id, cardIds });
  }
  return out;
}

/** `rounds` updates of every card of `board`, one round after the other. */
export async function seedUpdates(tool: ToolNode, seeded: SeededBoard, rounds: number): Promise<void> {
  const s = tool.node.services;
  const writer = { id: tool.user.id, name: tool.user.name, replicaId: "bench-seed" };
  const board = await s.boards.authorize(tool.user, seeded.boardId);
  const versions = new Map(seeded.cardIds.map((id) => [id, 1]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < seeded.cardIds.length; i += 500) {
      await Promise.all(
        seeded.cardIds.slice(i, i + 500).map(async (cardId) => {
          const card = applied(
            await s.records.write({ board, writer, mutation: { kind: "update", mutationId: mid(), cardId, baseVersion: versions.get(cardId)!, patch: { estimate: r } } }),
          );
          versions.set(cardId, card.version);
        }),
      );
    }
  }
}
