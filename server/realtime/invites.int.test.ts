import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Board } from "../../lib/protocol";
import { ok, request, startCluster, type TestCluster, type TestSocket } from "../test/harness";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
});
afterAll(async () => {
  await cluster?.close();
});

let n = 0;
async function person(node = 0): Promise<TestSocket> {
  return cluster.connect((await cluster.signIn(`guest-${++n}`)).token, { node });
}

async function privateBoard(owner: TestSocket): Promise<Board> {
  return (await ok<{ board: Board }>(owner, "board:create", { name: `private ${++n}`, policy: "occ", visibility: "private" })).board;
}

async function refused(s: TestSocket, event: string, payload: unknown): Promise<string> {
  const r = await request(s, event, payload);
  expect(r.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
  return r.ok ? "ok" : r.error.code;
}

describe("ACCESS-3 invite codes expire, can be revoked and have a use limit", () => {
  it("an invite answers when it expires; it admits nobody after that", async () => {
    const owner = await person();
    const board = await privateBoard(owner);
    const before = Date.now();
    const inv = await ok<{ code: string; expiresAt: string; maxUses: number | null }>(owner, "board:invite", { boardId: board.id, ttlMs: 1_000 });
    expect(Date.parse(inv.expiresAt)).toBeGreaterThanOrEqual(before + 1_000 - 1_000); // the database's clock
    expect(Date.parse(inv.expiresAt)).toBeLessThan(Date.now() + 2_000);
    expect(inv.maxUses).toBeNull();
    const early = await person(1);
    await ok(early, "board:accept", { code: inv.code });
    await ok(early, "board:join", { boardId: board.id });

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(inv.expiresAt) - Date.now()) + 200));
    const late = await person();
    expect(await refused(late, "board:accept", { code: inv.code })).toBe("NOT_FOUND");
    expect(await refused(late, "board:join", { boardId: board.id })).toBe("NOT_FOUND");
    // Who joined in time stays a member.
    await ok(early, "board:join", { boardId: board.id });
  });

  it("without a ttl an invite expires after 7 days; a ttl above 30 days is refused", async () => {
    const owner = await person();
    const board = await privateBoard(owner);
    const inv = await ok<{ expiresAt: string }>(owner, "board:invite", { boardId: board.id });
    const days = (Date.parse(inv.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7.01);
    expect(await refused(owner, "board:invite", { boardId: board.id, ttlMs: 31 * 86_400_000 })).toBe("BAD_REQUEST");
    expect(await refused(owner, "board:invite", { boardId: board.id, maxUses: 0 })).toBe("BAD_REQUEST");
  });

  it("a revoked invite admits nobody; only the owner can revoke", async () => {
    const owner = await person();
    const board = await privateBoard(owner);
    const { code } = await ok<{ code: string }>(owner, "board:invite", { boardId: board.id });
    const member = await person();
    await ok(member, "board:accept", { code });
    // A member or a stranger cannot revoke it, and a stranger learns nothing about it.
    expect(await refused(member, "board:revokeInvite", { code })).toBe("FORBIDDEN");
    const stranger = await person();
    const strangerAnswer = await request(stranger, "board:revokeInvite", { code });
    const missingAnswer = await request(stranger, "board:revokeInvite", { code: "no-such-code" });
    expect(strangerAnswer).toEqual(missingAnswer);
    expect(!strangerAnswer.ok && strangerAnswer.error.code).toBe("NOT_FOUND");

    await ok(owner, "board:revokeInvite", { code });
    const late = await person(1);
    expect(await refused(late, "board:accept", { code })).toBe("NOT_FOUND");
    expect(await refused(late, "board:join", { boardId: board.id })).toBe("NOT_FOUND");
    // Revoking twice is fine; members who accepted before stay.
    await ok(owner, "board:revokeInvite", { code });
    await ok(member, "board:join", { boardId: board.id });
  });

  it("maxUses admits that many people, even when they accept at once on two nodes; a member accepting again uses nothing", async () => {
    const owner = await person();
    const board = await privateBoard(owner);
    const inv = await ok<{ code: string; maxUses: number | null }>(owner, "board:invite", { boardId: board.id, maxUses: 3 });
    expect(inv.maxUses).toBe(3);
    const first = await person();
    await ok(first, "board:accept", { code: inv.code });
    await ok(first, "board:accept", { code: inv.code }); // already a member: no use spent
    const crowd = await Promise.all(Array.from({ length: 10 }, (_, i) => person(i % 2)));
    const answers = await Promise.all(crowd.map((s) => request(s, "board:accept", { code: inv.code })));
    const admitted = crowd.filter((_, i) => answers[i]!.ok);
    expect(admitted).toHaveLength(2);
    for (const [i, a] of answers.entries()) if (!a.ok) expect(a.error.code, String(i)).toBe("NOT_FOUND");
    for (const [i, s] of crowd.entries()) {
      const r = await request(s, "board:join", { boardId: board.id });
      expect(r.ok).toBe(answers[i]!.ok);
    }
    // The owner's own accept neither fails nor counts: the one use is still there afterwards.
    const one = await ok<{ code: string }>(owner, "board:invite", { boardId: board.id, maxUses: 1 });
    await ok(owner, "board:accept", { code: one.code });
    await ok(await person(), "board:accept", { code: one.code });
    expect(await refused(await person(), "board:accept", { code: one.code })).toBe("NOT_FOUND");
  });
});
