import { describe, expect, it } from "vitest";
import { SharedRead } from "./shared-read";

describe("PRES-2 join storms share reads", () => {
  it("requests arriving while a read runs share the next one, which starts after they arrived; other keys are separate", async () => {
    const shared = new SharedRead<number>();
    const started: number[] = [];
    const finish: (() => void)[] = [];
    let n = 0;
    const fn = () => {
      const id = ++n;
      started.push(id);
      return new Promise<number>((resolve) => finish.push(() => resolve(id)));
    };
    const a = shared.read("b1", fn); // starts read 1
    const b = shared.read("b1", fn); // waits for the next read of b1
    const c = shared.read("b1", fn); // shares it
    const other = shared.read("b2", fn); // read 2, its own key
    expect(started).toEqual([1, 2]);
    finish[0]!();
    expect(await a).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1, 2, 3]); // b1's next read began only after read 1 ended
    finish[2]!();
    finish[1]!();
    expect([await b, await c, await other]).toEqual([3, 3, 2]);
    // Nothing running: the next request starts a read of its own at once.
    const d = shared.read("b1", fn);
    expect(started).toEqual([1, 2, 3, 4]);
    finish[3]!();
    expect(await d).toBe(4);
  });

  it("a failed read fails its sharers only; the next read runs", async () => {
    const shared = new SharedRead<string>();
    let calls = 0;
    const fn = () => (++calls === 1 ? Promise.reject(new Error("down")) : Promise.resolve("ok"));
    const first = shared.read("b", fn);
    const second = shared.read("b", fn);
    await expect(first).rejects.toThrow("down");
    await expect(second).resolves.toBe("ok");
  });
});
