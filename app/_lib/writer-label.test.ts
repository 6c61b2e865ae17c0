import { describe, expect, it } from "vitest";
import type { Sibling } from "../../lib/protocol";
import { capitalized, siblingReplica, siblingWriterLabel, writerLabel } from "./writer-label";

const nameOf = (id: string) => (id === "u-alice" ? "Alice (you)" : id === "u-bob" ? "Bob" : id);
const alice = { userId: "u-alice", replicaId: "tab-aaaa" };

describe("writer labels say what is true (two tabs of one person are two replicas)", () => {
  it("this tab, the same person's other tab, someone else", () => {
    expect(writerLabel(alice, { userId: "u-alice", replicaId: "tab-aaaa" }, nameOf)).toBe("this tab");
    expect(writerLabel(alice, { userId: "u-alice", replicaId: "tab-bbbb" }, nameOf)).toBe("your other tab");
    // occ cards name the person only: a save by the signed-in person that conflicts came from another tab.
    expect(writerLabel(alice, { userId: "u-alice" }, nameOf)).toBe("your other tab");
    expect(writerLabel(alice, { userId: "u-bob", replicaId: "tab-cccc" }, nameOf)).toBe("Bob");
    expect(writerLabel({ userId: undefined, replicaId: undefined }, { userId: "u-alice" }, nameOf)).toBe("Alice (you)");
    expect(capitalized("your other tab")).toBe("Your other tab");
  });

  it("MVR-1: an mvr value's writer is the replica of its fresh dot", () => {
    const s = (by: string, clock: Record<string, number>, seen?: Record<string, number>): Sibling => ({ value: "v", by, clock, ...(seen ? { seen } : {}) });
    expect(siblingReplica(s("u-alice", { "tab-aaaa": 3, "tab-bbbb": 2 }, { "tab-aaaa": 2, "tab-bbbb": 2 }))).toBe("tab-aaaa");
    expect(siblingReplica(s("u-alice", { "tab-bbbb": 1 }, {}))).toBe("tab-bbbb");
    expect(siblingReplica(s("u-alice", { "tab-bbbb": 1 }))).toBeUndefined();

    expect(siblingWriterLabel(alice, s("u-alice", { "tab-aaaa": 3 }, { "tab-aaaa": 2 }), nameOf)).toBe("this tab");
    expect(siblingWriterLabel(alice, s("u-alice", { "tab-aaaa": 2, "tab-bbbb": 1 }, { "tab-aaaa": 2 }), nameOf)).toBe("your other tab");
    expect(siblingWriterLabel(alice, { ...s("u-bob", { "tab-cccc": 1 }, {}), byName: "Bob B." }, nameOf)).toBe("Bob B.");
  });
});
