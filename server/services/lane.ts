/**
 * An ordered path per key (SPEC PERF-1): tasks for one board run one batch at a time, in arrival
 * order, so commits and their broadcasts leave this node in seq order, and concurrent writes can
 * be group-committed (one transaction for a batch).
 */
export class Lanes<T, R> {
  private readonly queues = new Map<string, { task: T; resolve: (r: R) => void; reject: (e: unknown) => void }[]>();
  private readonly running = new Set<string>();

  constructor(
    private readonly runBatch: (key: string, tasks: T[]) => Promise<PromiseSettledResult<R>[]>,
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
    return new Promise<R>((resolve, reject) => {
      let q = this.queues.get(key);
      if (!q) this.queues.set(key, (q = []));
      q.push({ task, resolve, reject });
      if (!this.running.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    try {
      for (;;) {
        const q = this.queues.get(key);
        if (!q || q.length === 0) break;
        const batch = q.splice(0, this.maxBatch);
        let results: PromiseSettledResult<R>[];
        try {
          results = await this.runBatch(key, batch.map((b) => b.task));
        } catch (err) {
          results = batch.map(() => ({ status: "rejected", reason: err }) as const);
        }
        batch.forEach((b, i) => {
          const r = results[i];
          if (r?.status === "fulfilled") b.resolve(r.value);
          else b.reject(r ? r.reason : new Error("lost task"));
        });
      }
    } finally {
      this.running.delete(key);
      this.queues.delete(key);
    }
  }
}
