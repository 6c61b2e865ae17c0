/**
 * A batch's result for a task that must run again in a batch of its own (its batch failed as a
 * whole): it goes back to the front of its lane, so it commits, and is answered, after the
 * batches already started (its seq then follows theirs).
 */
export class RunAlone {
  constructor(readonly cause: unknown) {}
}

/** Runs one batch of a lane; calls `holds` once the batch holds the board (PERF-6). */
export type RunBatch<T, R> = (key: string, tasks: T[], holds: () => void) => Promise<PromiseSettledResult<R>[]>;

interface Queued<T, R> {
  task: T;
  /** Runs in a batch of its own (RunAlone). */
  alone?: boolean;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * An ordered path per key (SPEC PERF-1, PERF-6): tasks for one board run in batches, in arrival
 * order, and their results are answered batch after batch in that order, so commits and their
 * broadcasts leave this node in seq order, and concurrent writes can be group-committed (one
 * transaction for a batch).
 *
 * A batch calls `holds()` once it holds the board (its head row is locked, SPEC PERF-6): the next
 * batch may start then, and queues behind it in the database rather than on this node, so its
 * reads are answered as soon as the batch before it commits. Whatever happens, the results of a
 * batch are answered only after those of every batch started before it.
 */
export class Lanes<T, R> {
  private readonly queues = new Map<string, Queued<T, R>[]>();
  /** Lanes with a drain running, each with its wake-up for a task pushed while it waits. */
  private readonly running = new Map<string, (() => void) | null>();

  constructor(
    private readonly runBatch: RunBatch<T, R>,
    private readonly maxBatch = 64,
  ) {}

  /** Tasks queued on every lane, not yet in a running batch. */
  depth(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Queues `task` on lane `key`; resolves with its own result once its batch has committed. */
  push(key: string, task: T): Promise<R> {
    return new Promise<R>((resolve, reject) => this.enqueue(key, [{ task, resolve, reject }], false));
  }

  private enqueue(key: string, entries: Queued<T, R>[], front: boolean): void {
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    if (front) q.unshift(...entries);
    else q.push(...entries);
    if (!this.running.has(key)) void this.drain(key);
    else this.running.get(key)?.();
  }

  private async drain(key: string): Promise<void> {
    this.running.set(key, null);
    // The previous batch's results answered (or not yet): each batch answers after it.
    let answered: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        const q = this.queues.get(key);
        if (!q || q.length === 0) {
          // Nothing queued: wait for a task, or for the last batch to be answered and stop.
          let woken = false;
          const pushed = new Promise<void>((resolve) => this.running.set(key, () => resolve()));
          await Promise.race([pushed.then(() => (woken = true)), answered]);
          this.running.set(key, null);
          if (woken) continue;
          const again = this.queues.get(key);
          if (!again || again.length === 0) break;
          continue;
        }
        let size = 1;
        if (!q[0]!.alone) while (size < Math.min(q.length, this.maxBatch) && !q[size]!.alone) size++;
        const batch = q.splice(0, size);
        let holds!: () => void;
        const held = new Promise<void>((resolve) => (holds = resolve));
        const ran = this.runBatch(
          key,
          batch.map((b) => b.task),
          holds,
        ).catch((err: unknown) => batch.map(() => ({ status: "rejected", reason: err }) as const));
        const before = answered;
        answered = Promise.all([ran, before]).then(([results]) => {
          const again: Queued<T, R>[] = [];
          batch.forEach((b, i) => {
            const r = results[i];
            if (r?.status === "fulfilled") b.resolve(r.value);
            else if (r?.reason instanceof RunAlone && !b.alone) again.push({ ...b, alone: true });
            else b.reject(r ? (r.reason instanceof RunAlone ? r.reason.cause : r.reason) : new Error("lost task"));
          });
          if (again.length > 0) this.enqueue(key, again, true);
        });
        // The next batch starts once this one holds the board, or has ended.
        await Promise.race([held, ran]);
      }
    } finally {
      this.running.delete(key);
      this.queues.delete(key);
    }
  }
}
