/**
 * Rates: every two seconds the tracker samples every destination's counters (enqueued, delivered,
 * acked, dead-lettered) into a ring of the last minute per destination, and the broker's totals into
 * a ring of five minutes. A rate is the change over the last minute divided by the time it took; a
 * chart point is the rate between two consecutive samples. A destination that appeared since the
 * previous sample (new, or forgotten and created again: its counters start from zero) starts a new
 * series at zero at that previous sample. Rings are typed arrays, so a sample costs a few
 * microseconds per destination and allocates next to nothing.
 */
import type { DestinationView } from '../hub/operations.js';

/** The counters a rate is kept of. */
export const RATE_KEYS = ['enqueued', 'delivered', 'acked', 'deadLettered'] as const;
/** One of RATE_KEYS. */
export type RateKey = typeof RATE_KEYS[number];
/** Messages per second, per counter. */
export type Rates = Record<RateKey, number>;

/** One chart point: the time it ends at (epoch ms) and the rates over the interval before it. */
export interface RatePoint extends Rates {
  t: number;
}

/** Broker-wide numbers as of the last sample. */
export interface Totals {
  at: number;
  queues: number;
  topics: number;
  depth: number;
  bytes: number;
  inFlight: number;
  consumers: number;
}

const K = RATE_KEYS.length;
/** The window of a destination's rates and history, ms. */
const DESTINATION_WINDOW_MS = 60_000;
/** The window of the broker-wide history, ms. */
const TOTAL_WINDOW_MS = 300_000;

/** One destination's last samples: K counters per slot, slot = sample number modulo the ring's size. */
interface Ring {
  values: Float64Array;
  /** Number of its oldest sample. */
  first: number;
  /** Number of its newest sample. */
  seen: number;
}

/** Samples destination counters and answers rates and chart series. */
export class RateTracker {
  /** Samples a destination ring holds (a minute and the sample before it). */
  private readonly destSlots: number;
  /** Samples the broker-wide ring holds. */
  private readonly totalSlots: number;
  private readonly rings = new Map<string, Ring>();
  /** Time of each sample (epoch ms), by sample number modulo totalSlots. */
  private readonly times: Float64Array;
  /** Broker-wide cumulative counters (the sum of every destination's increments), per sample. */
  private readonly totals: Float64Array;
  private readonly cumulative = new Float64Array(K);
  /** Number of the newest sample (-1: none yet). */
  private n = -1;
  private latest: Totals = { at: Date.now(), queues: 0, topics: 0, depth: 0, bytes: 0, inFlight: 0, consumers: 0 };
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly views: () => Iterable<DestinationView>, private readonly intervalMs = 2000) {
    this.destSlots = Math.ceil(DESTINATION_WINDOW_MS / intervalMs) + 1;
    this.totalSlots = Math.ceil(TOTAL_WINDOW_MS / intervalMs) + 1;
    this.times = new Float64Array(this.totalSlots);
    this.totals = new Float64Array(this.totalSlots * K);
  }

  /** Starts sampling (the timer does not keep the process alive). */
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Broker-wide numbers as of the last sample. */
  get current(): Totals {
    return this.latest;
  }

  /** Per-second rates of `view` over the last minute, from its oldest sample to its counters now. */
  ratesOf(view: DestinationView): Rates {
    const ring = this.liveRing(view.name);
    if (!ring) return zeroRates();
    const oldest = Math.max(ring.first, this.n - this.destSlots + 1);
    const base = (oldest % this.destSlots) * K;
    const seconds = (Date.now() - this.times[oldest % this.totalSlots]) / 1000;
    const rates = zeroRates();
    RATE_KEYS.forEach((k, i) => {
      rates[k] = seconds > 0 ? round(Math.max(0, view[k] - ring.values[base + i]) / seconds) : 0;
    });
    return rates;
  }

  /** The rate of each interval of the last minute, for `view`'s chart. */
  historyOf(view: DestinationView): RatePoint[] {
    const ring = this.liveRing(view.name);
    if (!ring) return [];
    const from = Math.max(ring.first, this.n - this.destSlots + 1);
    const out: RatePoint[] = [];
    for (let s = from + 1; s <= this.n; s++) {
      out.push(this.point(ring.values, (s - 1) % this.destSlots, s % this.destSlots, s - 1, s));
    }
    return out;
  }

  /** Broker-wide rates over the last minute. */
  totalRates(): Rates {
    if (this.n < 1) return zeroRates();
    const from = Math.max(0, this.n - Math.round(DESTINATION_WINDOW_MS / this.intervalMs));
    const { t: _t, ...rates } = this.point(this.totals, from % this.totalSlots, this.n % this.totalSlots, from, this.n);
    return rates;
  }

  /** Broker-wide rate of each interval of the last five minutes. */
  totalHistory(): RatePoint[] {
    const out: RatePoint[] = [];
    for (let s = Math.max(1, this.n - this.totalSlots + 2); s <= this.n; s++) {
      out.push(this.point(this.totals, (s - 1) % this.totalSlots, s % this.totalSlots, s - 1, s));
    }
    return out;
  }

  /** One sample of every destination: O(destinations). */
  sample(): void {
    const n = ++this.n;
    const t = Date.now();
    this.times[n % this.totalSlots] = t;
    const totals: Totals = { at: t, queues: 0, topics: 0, depth: 0, bytes: 0, inFlight: 0, consumers: 0 };
    for (const view of this.views()) {
      count(totals, view);
      this.record(view, n);
    }
    this.totals.set(this.cumulative, (n % this.totalSlots) * K);
    this.latest = totals;
    if (n % this.destSlots === 0) this.forgetGone(n);
  }

  /** Writes `view`'s counters as sample `n`, starting a new series when it appeared since the last one. */
  private record(view: DestinationView, n: number): void {
    let ring = this.rings.get(view.name);
    const prev = ring && ring.seen === n - 1 ? ((n - 1) % this.destSlots) * K : -1;
    if (!ring || prev < 0 || RATE_KEYS.some((k, i) => view[k] < ring!.values[prev + i])) {
      ring = { values: ring?.values ?? new Float64Array(this.destSlots * K), first: n, seen: n };
      this.rings.set(view.name, ring);
      if (n > 0) {
        ring.first = n - 1; // its counters were zero when it appeared, after sample n - 1
        ring.values.fill(0, ((n - 1) % this.destSlots) * K, ((n - 1) % this.destSlots) * K + K);
      }
    }
    const at = (n % this.destSlots) * K;
    const base = ((Math.max(ring.first, n - 1)) % this.destSlots) * K;
    RATE_KEYS.forEach((k, i) => {
      if (ring!.first < n) this.cumulative[i] += view[k] - ring!.values[base + i];
      ring!.values[at + i] = view[k];
    });
    ring.seen = n;
  }

  /** The ring of `name` if it was in the newest sample. */
  private liveRing(name: string): Ring | undefined {
    const ring = this.rings.get(name);
    return ring && ring.seen === this.n ? ring : undefined;
  }

  /** Drops the rings of destinations absent from the newest sample (every destSlots samples: O(rings)). */
  private forgetGone(n: number): void {
    for (const [name, ring] of this.rings) if (ring.seen < n) this.rings.delete(name);
  }

  /** The rates between two slots of `values`, which hold samples number `from` and `to`. */
  private point(values: Float64Array, fromSlot: number, toSlot: number, from: number, to: number): RatePoint {
    const t = this.times[to % this.totalSlots];
    const seconds = (t - this.times[from % this.totalSlots]) / 1000;
    const point = { t } as RatePoint;
    RATE_KEYS.forEach((k, i) => {
      // Never negative: counters that started again from zero before the next sample noticed.
      point[k] = seconds > 0 ? round(Math.max(0, values[toSlot * K + i] - values[fromSlot * K + i]) / seconds) : 0;
    });
    return point;
  }
}

function count(totals: Totals, view: DestinationView): void {
  if (view.kind === 'queue') totals.queues++;
  else totals.topics++;
  totals.depth += view.depth;
  totals.bytes += view.bytes;
  totals.inFlight += view.inFlight;
  totals.consumers += view.consumers;
}

function zeroRates(): Rates {
  return { enqueued: 0, delivered: 0, acked: 0, deadLettered: 0 };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
