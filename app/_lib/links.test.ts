import { describe, expect, it } from "vitest";
import { cardInPath, cardPath, inviteCodeOf, inviteLink } from "./links";

describe("links: card links and invite links", () => {
  it("a card link names its board and card, and is read back", () => {
    expect(cardPath("b_1", "c_2")).toBe("/b/b_1/c/c_2");
    expect(cardInPath("/b/b_1/c/c_2")).toBe("c_2");
    expect(cardInPath("/b/b_1")).toBeNull();
    expect(cardInPath("/b/b_1/c/")).toBeNull();
    expect(cardInPath("/b/b_1/c/%E0%A4%A")).toBeNull();
  });

  it("an invite link or a bare code gives the code", () => {
    expect(inviteCodeOf(inviteLink("http://localhost:3000", "AbC-12_x"))).toBe("AbC-12_x");
    expect(inviteCodeOf("  AbC-12_x ")).toBe("AbC-12_x");
    expect(inviteCodeOf("https://concord.example/join/xyz?utm=1")).toBe("xyz");
  });
});
