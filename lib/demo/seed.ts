import type { Board, Fields, Visibility } from "../protocol";
import { DEMO_BOARDS } from "./plan";

/** The two writes the demos need; the UI runs them through `lib/client`, `--demo` through a socket of the node (server/demo.ts). */
export interface DemoWriter {
  createBoard(input: { name: string; policy: Board["policy"]; shard?: string; visibility: Visibility }): Promise<Board>;
  createCard(board: Board, fields: Partial<Fields>): Promise<unknown>;
}

/**
 * Creates every demo board of the plan and its cards, in plan order. A board whose shard is not
 * configured (a deployment with one shard) goes wherever the server puts it: moves are then local.
 */
export async function seedDemos(writer: DemoWriter, visibility: Visibility): Promise<Board[]> {
  const made: Board[] = [];
  for (const demo of DEMO_BOARDS) {
    const input = { name: demo.name, policy: demo.policy, visibility };
    const board = await writer.createBoard({ ...input, shard: demo.shard }).catch((err: unknown) => {
      if ((err as { code?: string }).code === "BAD_REQUEST") return writer.createBoard(input);
      throw err;
    });
    for (const fields of demo.cards) await writer.createCard(board, fields);
    made.push(board);
  }
  return made;
}
