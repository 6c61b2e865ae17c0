import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit";

describe("INPUT-2 token bucket", () => {
  it("serves a burst, refuses past it, and refills at the rate with time", () => {
    let t = 5_000;
    const limiter = new RateLimiter(1000, 2000, () => t);
    const served = Array.from({ length: 2500 }, () => limiter.take()).filter(Boolean).length;
    expect(served).toBe(2000);
    t += 250; // a quarter of a second: 250 tokens
    expect(Array.from({ length: 300 }, () => limiter.take()).filter(Boolean).length).toBe(250);
    t += 60_000; // a long pause refills only up to the burst
    expect(Array.from({ length: 3000 }, () => limiter.take()).filter(Boolean).length).toBe(2000);
  });
});
