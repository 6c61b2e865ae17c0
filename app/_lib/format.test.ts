import { describe, expect, it } from "vitest";
import { RequestError } from "../../lib/client/requests";
import { errorMessage } from "./format";

describe("errorMessage", () => {
  it("words the failures lib/client reports itself, and shows the server's message otherwise", () => {
    expect(errorMessage(new RequestError("OFFLINE", "not connected"))).toBe("You are offline; try again once you are back online.");
    expect(errorMessage(new RequestError("TIMEOUT", "card:update: timeout"))).toMatch(/did not answer in time/);
    expect(errorMessage(new RequestError("FORBIDDEN", "only the owner can invite"))).toBe("only the owner can invite");
    expect(errorMessage({ code: "toString" })).toBe("toString");
  });
});
