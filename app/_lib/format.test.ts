import { describe, expect, it } from "vitest";
import { RequestError } from "../../lib/client/requests";
import { attemptsText, errorMessage, hlcText, pendingMarkerText } from "./format";

describe("errorMessage", () => {
  it("words the failures lib/client reports itself, and shows the server's message otherwise", () => {
    expect(errorMessage(new RequestError("OFFLINE", "not connected"))).toBe("You are offline; try again once you are back online.");
    expect(errorMessage(new RequestError("TIMEOUT", "card:update: timeout"))).toMatch(/did not answer in time/);
    expect(errorMessage(new RequestError("FORBIDDEN", "only the owner can invite"))).toBe("only the owner can invite");
    expect(errorMessage({ code: "toString" })).toBe("toString");
  });
});

describe("sync labels that say what is true", () => {
  it("an offline card's pending edit waits; an online one is syncing", () => {
    expect(pendingMarkerText(true)).toBe("waiting to sync — offline");
    expect(pendingMarkerText(false)).toBe("Syncing");
  });
  it("an outbox write never sent says so instead of ×0", () => {
    expect(attemptsText(0)).toBe("not sent yet");
    expect(attemptsText(1)).toBe("sent once");
    expect(attemptsText(2)).toBe("sent ×2 (1 replay)");
    expect(attemptsText(3)).toBe("sent ×3 (2 replays)");
  });
});

describe("hlcText", () => {
  it("reads an HLC as local wall time with milliseconds, its logical counter and its replica", () => {
    const wall = new Date(2026, 0, 2, 9, 5, 7, 123).getTime();
    const hlc = `${String(wall).padStart(15, "0")}:00002:tab-1a2b3c4d`;
    expect(hlcText(hlc)).toBe("09:05:07.123 +2 tab-1a2b3c4d");
    expect(hlcText(hlc, false)).toBe("09:05:07.123 +2");
    expect(hlcText(undefined)).toBe("—");
    expect(hlcText("not an hlc")).toBe("not an hlc");
  });
});
