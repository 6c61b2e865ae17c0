import { io } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { SyncClient } from "./sync-client";

describe("SyncClient.close()", () => {
  it("fails a request still waiting for a connection instead of leaving it pending", async () => {
    // Port 9 on loopback: nothing listens, so the socket stays "connecting".
    const c = new SyncClient({ url: "http://127.0.0.1:9", token: "t", user: { id: "u", name: "u" }, replicaId: "tab-00000000", io, ackTimeoutMs: 60_000 });
    c.connect();
    const waiting = c.refreshBoards();
    c.close();
    await expect(waiting).rejects.toMatchObject({ code: "CLOSED" });
  });
});
