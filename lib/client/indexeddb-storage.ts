import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import { migratePending, sortOutbox } from "./pending";
import type { PendingMutation } from "./types";
import { type ReplicaMeta, type ReplicaSnapshot, type ReplicaStorage, type StoredBoard } from "./storage";

interface ReplicaDb extends DBSchema {
  boards: { key: string; value: StoredBoard & { id: string } };
  outbox: { key: string; value: PendingMutation };
  meta: { key: string; value: ReplicaMeta };
}

const VERSION = 1;
const META_KEY = "meta";

/** The IndexedDB database name of a replica: one per tab, so tabs stay separate replicas. */
export function replicaDbName(replicaId: string): string {
  return `concord-replica-${replicaId}`;
}

/**
 * Durable replica storage in IndexedDB (through `idb`): boards with their cursor, the outbox,
 * and the HLC. A reload, even offline, shows the boards and the pending edits and replays them.
 */
export class IndexedDbStorage implements ReplicaStorage {
  private readonly db: Promise<IDBPDatabase<ReplicaDb>>;

  /** `factory` lets tests or workers pass an IDBFactory; the global `indexedDB` otherwise. */
  constructor(replicaId: string, factory?: IDBFactory) {
    const open = () =>
      openDB<ReplicaDb>(replicaDbName(replicaId), VERSION, {
        upgrade(db) {
          if (!db.objectStoreNames.contains("boards")) db.createObjectStore("boards", { keyPath: "id" });
          if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "mutationId" });
          if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
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
    const tx = db.transaction(["boards", "outbox", "meta"], "readonly");
    const [boards, outbox, meta] = await Promise.all([
      tx.objectStore("boards").getAll(),
      tx.objectStore("outbox").getAll(),
      tx.objectStore("meta").get(META_KEY),
    ]);
    await tx.done;
    return {
      boards: boards.map(({ board, seq, confirmed }) => ({ board, seq, confirmed })),
      // Entries stored by an older client are read into today's union (pending.ts).
      outbox: sortOutbox(outbox.flatMap((raw) => migratePending(raw) ?? [])),
      ...(meta?.hlc ? { clock: meta.hlc } : {}),
    };
  }

  async saveBoard(state: StoredBoard): Promise<void> {
    await (await this.db).put("boards", { ...state, id: state.board.id });
  }

  async deleteBoard(boardId: string): Promise<void> {
    await (await this.db).delete("boards", boardId);
  }

  async putMutation(m: PendingMutation): Promise<void> {
    await (await this.db).put("outbox", m);
  }

  async deleteMutation(mutationId: string): Promise<void> {
    await (await this.db).delete("outbox", mutationId);
  }

  async saveMeta(meta: ReplicaMeta): Promise<void> {
    const db = await this.db;
    const tx = db.transaction("meta", "readwrite");
    const prev = (await tx.store.get(META_KEY)) ?? {};
    await tx.store.put({ ...prev, ...meta }, META_KEY);
    await tx.done;
  }

  close(): void {
    void this.db.then((db) => db.close());
  }
}
