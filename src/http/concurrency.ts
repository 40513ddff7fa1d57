/**
 * A limit on async work under way at once (password checks, /proc reads): callers past it wait, in
 * arrival order, so a burst of API requests cannot crowd the thread pool the store also uses.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  /** Runs `work` when fewer than `max` others are under way. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
