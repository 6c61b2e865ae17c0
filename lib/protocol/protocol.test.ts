import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PROTOCOL_VERSION, REQUEST_EVENTS, requestSchemas } from "./index";

/**
 * Pins the wire schemas (PROTO-1): changing any request schema changes this hash, and the test
 * fails until PROTOCOL_VERSION is bumped and the pinned hash updated together.
 */
const PINNED = { version: 6, hash: "6752e6af46f6685e" };

function schemaHash(): string {
  const json = Object.fromEntries(REQUEST_EVENTS.map((e) => [e, z.toJSONSchema(requestSchemas[e], { unrepresentable: "any" })]));
  return createHash("sha256").update(JSON.stringify(json)).digest("hex").slice(0, 16);
}

describe("PROTO-1 the wire contract", () => {
  it("names every request event of PROTOCOL.md, plus the project's additions", () => {
    expect([...REQUEST_EVENTS].sort()).toEqual(
      [
        "board:create", "board:list", "board:join", "board:leave", "board:invite", "board:accept",
        "card:create", "card:update", "card:delete", "card:move", "card:history",
        "lock:acquire", "lock:renew", "lock:release",
        // Events beyond the contract's request table (docs/PROTOCOL.md).
        "board:revokeInvite", "board:rename", "board:archive", "board:delete", "board:quit",
      ].sort(),
    );
  });

  it("is pinned: a schema change needs a PROTOCOL_VERSION bump", () => {
    expect({ version: PROTOCOL_VERSION, hash: schemaHash() }).toEqual(PINNED);
  });

  it("refuses unknown fields in a patch and empty patches", () => {
    const s = requestSchemas["card:update"];
    const base = { mutationId: "m_12345678", cardId: "c1", baseVersion: 1 };
    expect(s.safeParse({ ...base, patch: { title: "x" } }).success).toBe(true);
    expect(s.safeParse({ ...base, patch: {} }).success).toBe(false);
    expect(s.safeParse({ ...base, patch: { version: 9 } }).success).toBe(false);
    expect(s.safeParse({ ...base, patch: { title: "x".repeat(201) } }).success).toBe(false);
  });
});
