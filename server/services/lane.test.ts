import { describe, expect, it } from "vitest";
import { Lanes, RunAlone, type RunBatch } from "./lane";

/** A batch run the test drives by hand: it holds the board, then ends, when told. */
interface Run {
  tasks: string[];
  holds: () => void;
  end: (results?: PromiseSettledResult<string>[]) => void;
}

function lanes(maxBatch = 64): { lanes: Lanes<string, string>; runs: Run[] } {
  const runs: Run[] = [];
  const run: RunBatch<string, string> = (_key, tasks, holds) =>
    new Promise((resolve) => {
      runs.push({ tasks, holds, end: (results) => resolve(results ?? tasks.map((t) => ({ status: "fulfilled", value: `done ${t}` }))) });
    });
  return { lanes: new Lanes(run, maxBatch), runs };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Pushes `task` and records the order in which answers (or failures) arrive. */
function track(l: Lanes<string, string>, key: string, task: string, order: string[]): Promise<void> {
  return l.push(key, task).then(
    (v) => void order.push(v),
    (e: unknown) => void order.push(`failed ${task}: ${String(e)}`),
  );
}

describe("Lanes (SPEC PERF-1, PERF-6)", () => {
  it("starts the next batch once the running one holds the board, not before", async () => {
    const { lanes: l, runs } = lanes();
    const order: string[] = [];
    void track(l, "b", "w1", order);
    await tick();
    void track(l, "b", "w2", order);
    void track(l, "b", "w3", order);
    await tick();
    expect(runs.map((r) => r.tasks)).toEqual([["w1"]]);
    runs[0]!.holds();
    await tick();
    expect(runs.map((r) => r.tasks)).toEqual([["w1"], ["w2", "w3"]]);
    expect(l.depth()).toBe(0);
  });

  it("answers batches in the order they started, even when a later one ends first", async () => {
    const { lanes: l, runs } = lanes();
    const order: string[] = [];
    const first = track(l, "b", "w1", order);
    await tick();
    runs[0]!.holds();
    const second = track(l, "b", "w2", order);
    await tick();
    runs[1]!.holds();
    runs[1]!.end();
    await tick();
    expect(order).toEqual([]);
    runs[0]!.end();
    await Promise.all([first, second]);
    expect(order).toEqual(["done w1", "done w2"]);
  });

  it("a batch that ends without holding (its reads failed) lets the next one start", async () => {
    const { lanes: l, runs } = lanes();
    const order: string[] = [];
    const first = track(l, "b", "w1", order);
    const second = track(l, "b", "w2", order);
    await tick();
    expect(runs).toHaveLength(1);
    runs[0]!.end([{ status: "rejected", reason: new Error("unreachable") }]);
    await tick();
    expect(runs.map((r) => r.tasks)).toEqual([["w1"], ["w2"]]);
    await first;
    expect(order).toEqual(["failed w1: Error: unreachable"]);
    runs[1]!.end();
    await second;
    expect(order).toEqual(["failed w1: Error: unreachable", "done w2"]);
  });

  it("runs the writes of a batch that failed as a whole again, each alone, after the batches started since", async () => {
    const { lanes: l, runs } = lanes();
    const order: string[] = [];
    const all = [track(l, "b", "w1", order)];
    await tick();
    all.push(track(l, "b", "w2", order), track(l, "b", "w3", order));
    runs[0]!.holds();
    await tick();
    all.push(track(l, "b", "w4", order));
    // [w2, w3] fail as a whole after [w4] started behind them.
    runs[1]!.holds();
    await tick();
    expect(runs.map((r) => r.tasks)).toEqual([["w1"], ["w2", "w3"], ["w4"]]);
    runs[0]!.end();
    runs[1]!.end([
      { status: "rejected", reason: new RunAlone(new Error("a trigger refused one")) },
      { status: "rejected", reason: new RunAlone(new Error("a trigger refused one")) },
    ]);
    await tick();
    runs[2]!.holds();
    runs[2]!.end();
    await tick();
    // Each again alone, behind [w4]: their seqs follow w4's, and so do their answers.
    expect(runs.slice(3).map((r) => r.tasks)).toEqual([["w2"]]);
    runs[3]!.end([{ status: "rejected", reason: new RunAlone(new Error("it was w2")) }]);
    await tick();
    expect(runs.slice(4).map((r) => r.tasks)).toEqual([["w3"]]);
    runs[4]!.end();
    await Promise.all(all);
    expect(order).toEqual(["done w1", "done w4", "failed w2: Error: it was w2", "done w3"]);
  });

  it("keeps lanes apart and stops a lane once its last batch is answered", async () => {
    const { lanes: l, runs } = lanes();
    const order: string[] = [];
    const a = track(l, "a", "a1", order);
    const b = track(l, "b", "b1", order);
    await tick();
    expect(runs.map((r) => r.tasks)).toEqual([["a1"], ["b1"]]);
    runs[1]!.end();
    await b;
    runs[0]!.end();
    await a;
    expect(order).toEqual(["done b1", "done a1"]);
    // A later write starts a fresh drain.
    const again = track(l, "a", "a2", order);
    await tick();
    runs[2]!.end();
    await again;
    expect(order.at(-1)).toBe("done a2");
  });

  it("takes at most maxBatch tasks per batch", async () => {
    const { lanes: l, runs } = lanes(2);
    for (const t of ["w1", "w2", "w3", "w4"]) void l.push("b", t);
    await tick();
    runs[0]!.holds();
    await tick();
    expect(runs.map((r) => r.tasks)).toEqual([["w1"], ["w2", "w3"]]);
    expect(l.depth()).toBe(1);
  });
});
