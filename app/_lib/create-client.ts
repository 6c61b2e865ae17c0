import { io } from "socket.io-client";
import type { SessionReply, User } from "../../lib/protocol";
import { SyncClient } from "../../lib/client/sync-client";
import { signIn } from "../../lib/client/sign-in";
import type { SyncClientApi } from "../../lib/client/types";

/** The one place the UI touches the concrete client class; everything else uses SyncClientApi. */
export function createSyncClient(opts: { url: string; token: string; user: User; replicaId: string }): SyncClientApi {
  return new SyncClient({ ...opts, io });
}

/** POST /api/session through the client's helper. */
export function requestSession(baseUrl: string, name: string): Promise<SessionReply> {
  return signIn(baseUrl, name);
}
