/** The framework-free sync client (see sync-client.ts); the UI imports only from here. */
export * from "./types";
export { SyncClient, RequestError, type SyncClientOptions } from "./sync-client";
export { MemoryStorage, type ReplicaStorage, type StoredBoard, type ReplicaMeta, type ReplicaSnapshot } from "./storage";
export { IndexedDbStorage, replicaDbName } from "./indexeddb-storage";
export { signIn } from "./session";
export { newMutationId, newCardId, uuid } from "./ids";
