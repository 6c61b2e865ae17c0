import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { Board, Card } from "../protocol";
import { migratePending, sortOutbox } from "./pending";
import type { PendingMutation } from "./types";
import type { ReplicaMeta, ReplicaSnapshot, ReplicaStorage, StorageBatch, StoredBoard } from "./storage";

interface ReplicaDb extends DBSchema {
  /** A board's cursor (version 1 also kept all its cards here, in `confirmed`). */
  boards: { key: string; value: { id: string; board: Board; seq: number; confirmed?: Record<string, Card> } };
  /** One record per confirmed card, keyed [boardId, cardId] (since version 2). */
  cards: { key: [string, string]; value: { boardId: string; card: Card } };
  outbox: { key: string; value: PendingMutation };
  meta: { key: string; value: ReplicaMeta };
}

/** 2: cards in their own store, so a change rewrites one card, not the whole board. */
const VERSION = 2;
const META_KEY = "meta";

/** The IndexedDB database name of a replica: one per tab, so tabs stay separate replicas. */
export function replicaDbName(replicaId: string): string {
  return `concord-replica-${replicaId}`;
}

/**
 * Durable replica storage in IndexedDB (through `idb`): boards with their cursor, their cards,
 * the outbox, and the HLC. A reload, even offline, shows the boards and the pending edits and
 * replays them (SPEC REPLICA-2). Each batch is one readwrite transaction.
 */
export class IndexedDbStorage implements ReplicaStorage {
  private readonly db: Promise<IDBPDatabase<ReplicaDb>>;

  /** `factory` lets tests or workers pass an IDBFactory; the global `indexedDB` otherwise. */
  constructor(replicaId: string, factory?: IDBFactory) {
    const open = () =>
      openDB<ReplicaDb>(replicaDbName(replicaId), VERSION, {
        async upgrade(db, oldVersion, _newVersion, tx) {
          if (!db.objectStoreNames.contains("boards")) db.createObjectStore("boards", { keyPath: "id" });
          if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "mutationId" });
          if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
          if (!db.objectStoreNames.contains("cards")) db.createObjectStore("cards", { keyPath: ["boardId", "card.id"] });
          if (oldVersion === 1) {
            // Version 1 kept each board's cards inside its record: move them to their own store.
            const boards = tx.objectStore("boards");
            const cards = tx.objectStore("cards");
            for (const rec of await boards.getAll()) {
              for (const card of Object.values(rec.confirmed ?? {})) await cards.put({ boardId: rec.id, card });
              await boards.put({ id: rec.id, board: rec.board, seq: rec.seq });
            }
          }
        },
      });
    if (!factory) {
      this.db = open();
    } else {
      // idb opens through the global; swap it in just for the open call.
      const g = globalThis as { indexedDB?: IDBFactory };
      const previous = g.indexedDB;
      g.indexedDB = factory;
      try {
        this.db = open();
      } finally {
        g.indexedDB = previous;
      }
    }
  }

  async loadAll(): Promise<ReplicaSnapshot> {
    const db = await this.db;
    const tx = db.transaction(["boards", "cards", "outbox", "meta"], "readonly");
    const [boards, cards, outbox, meta] = await Promise.all([
      tx.objectStore("boards").getAll(),
      tx.objectStore("cards").getAll(),
      tx.objectStore("outbox").getAll(),
      tx.objectStore("meta").get(META_KEY),
    ]);
    await tx.done;
    const byBoard = new Map<string, StoredBoard>(boards.map(({ id, board, seq }) => [id, { board, seq, confirmed: {} }]));
    for (const { boardId, card } of cards) {
      const b = byBoard.get(boardId);
      if (b) b.confirmed[card.id] = card;
    }
    return {
      boards: [...byBoard.values()],
      // Entries stored by an older client are read into today's union (pending.ts).
      outbox: sortOutbox(outbox.flatMap((raw) => migratePending(raw) ?? [])),
      ...(meta?.hlc ? { clock: meta.hlc } : {}),
    };
  }

  async write(batch: StorageBatch): Promise<void> {
    const PUT_CHUNK = 200;
    const db = await this.db;
    const tx = db.transaction(["boards", "cards", "outbox", "meta"], "readwrite");
    const boards = tx.objectStore("boards");
    const cards = tx.objectStore("cards");
    const outbox = tx.objectStore("outbox");
    const ops: Promise<unknown>[] = [];
    for (const id of batch.deleteBoards ?? []) {
      ops.push(boards.delete(id), cards.delete(IDBKeyRange.bound([id], [id, []])));
    }
    for (const { board, seq } of batch.boards ?? []) ops.push(boards.put({ id: board.id, board, seq }));
    for (const { boardId, cardId } of batch.deleteCards ?? []) ops.push(cards.delete([boardId, cardId]));
    // A whole board (a first join, a reset) is put PUT_CHUNK cards at a time, each chunk after
    // the last one's success event, so storing 5 000 cards is many short tasks, not one long one.
    // The requests keep the one transaction open between chunks: the batch stays atomic.
    const puts = batch.putCards ?? [];
    for (let i = 0; i < puts.length; i += PUT_CHUNK) {
      const chunk = puts.slice(i, i + PUT_CHUNK).map(({ boardId, card }) => cards.put({ boardId, card }));
      ops.push(...chunk);
      if (i + PUT_CHUNK < puts.length) {
        try {
          await chunk[chunk.length - 1];
        } catch (err) {
          void Promise.allSettled([...ops, tx.done]); // the transaction aborted: nothing of the batch is stored
          throw err;
        }
      }
    }
    for (const id of batch.deleteMutations ?? []) ops.push(outbox.delete(id));
    for (const m of batch.putMutations ?? []) ops.push(outbox.put(m));
    if (batch.meta) {
      const meta = tx.objectStore("meta");
      const patch = batch.meta;
      ops.push(meta.get(META_KEY).then((prev) => meta.put({ ...(prev ?? {}), ...patch }, META_KEY)));
    }
    await Promise.all([...ops, tx.done]);
  }

  close(): void {
    void this.db.then((db) => db.close());
  }
}
