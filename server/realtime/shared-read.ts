/**
 * Join storms (SPEC PRES-2): requests for the same read that arrive while one runs share the
 * next one, which starts after they all arrived. So a crowd joining one board costs a few
 * snapshot reads, not one each, and every sharer was already in the board's room when its read
 * began (no change committed after the read can be missed, FEED-2).
 */
export class SharedRead<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, Promise<T>>();

  read(key: string, fn: () => Promise<T>): Promise<T> {
    const queued = this.queued.get(key);
    if (queued) return queued;
    const current = this.running.get(key);
    if (!current) return this.start(key, fn);
    const next = current.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      this.queued.delete(key);
      return this.start(key, fn);
    });
    this.queued.set(key, next);
    return next;
  }

  private start(key: string, fn: () => Promise<T>): Promise<T> {
    const p = fn().finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
  }
}
