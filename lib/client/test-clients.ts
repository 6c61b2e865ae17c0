/**
 * Support for the tests that drive real SyncClients against real server nodes (`*.int.test.ts`
 * here); not part of the client.
 */

import { io } from "socket.io-client";
import type { User } from "../protocol";
import { uuid } from "./ids";
import { SyncClient, type SyncClientOptions } from "./sync-client";
import type { ClientState } from "./types";

/** Waits until `predicate` holds, polling (never a fixed sleep); the timeout error says what it waited for. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** True when the client is online and has nothing left to send. */
export const idle = (s: ClientState): boolean => s.connection === "online" && s.pending.length === 0;

/** What the test cluster offers for signing people in (server/test/harness.ts `TestCluster`). */
export interface SignInCluster {
  url: string;
  signIn(name: string): Promise<{ token: string; user: User }>;
}

/** Real SyncClients (real socket.io-client) of newly signed-in people, each its own tab; `closeAll` ends them. */
export class TestClients {
  private readonly made: SyncClient[] = [];

  constructor(private readonly cluster: () => SignInCluster) {}

  /** A client of a new person called `name`, connected unless `connect` is false. */
  async signIn(name: string, extra: Partial<SyncClientOptions> = {}, connect = true): Promise<SyncClient> {
    const cluster = this.cluster();
    const { token, user } = await cluster.signIn(name);
    const c = new SyncClient({ url: cluster.url, token, user, replicaId: `tab-${uuid().slice(0, 8)}`, io, ...extra });
    this.made.push(c);
    if (connect) c.connect();
    return c;
  }

  /** Closes `c` with the others at the end. */
  track(c: SyncClient): SyncClient {
    this.made.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.made.splice(0)) c.close();
  }
}
