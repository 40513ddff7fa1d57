/** A seeded pseudo-random generator (mulberry32), so a fuzz or chaos run can be repeated from its seed. */

/** Random choices drawn from one seed. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** One key of `weights`, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const keys = Object.keys(weights) as K[];
    let total = 0;
    for (const k of keys) total += weights[k];
    let at = this.next() * total;
    for (const k of keys) {
      at -= weights[k];
      if (at < 0) return k;
    }
    return keys[keys.length - 1];
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** A short lowercase word. */
  word(min = 1, max = 8): string {
    let s = '';
    for (let i = this.int(min, max); i > 0; i--) s += String.fromCharCode(97 + this.int(0, 25));
    return s;
  }

  /** A new generator seeded from this one (one per connection, so connections do not share a stream). */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}
