/**
 * Rates: once a second the tracker samples every destination's counters (enqueued, delivered, acked,
 * dead-lettered) and keeps the last minute of samples per destination, and five minutes of the
 * broker's totals. A rate is the change over the last minute divided by the time it took; a chart
 * point is the rate between two consecutive samples. A destination the hub forgot and created again
 * starts a new series (its counters started again from zero).
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

/** A sample: when, and the counters then (cumulative). */
interface Sample extends Rates {
  t: number;
}

/** A ring of the last `capacity` samples, oldest first. */
class Series {
  private readonly samples: Sample[] = [];
  constructor(private readonly capacity: number) {}

  add(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > this.capacity) this.samples.shift();
  }

  get last(): Sample | undefined {
    return this.samples[this.samples.length - 1];
  }

  get first(): Sample | undefined {
    return this.samples[0];
  }

  /** The sample `n` before the last (the first one if there are fewer). */
  back(n: number): Sample | undefined {
    return this.samples[Math.max(0, this.samples.length - 1 - n)];
  }

  points(): RatePoint[] {
    const out: RatePoint[] = [];
    for (let i = 1; i < this.samples.length; i++) out.push(rateBetween(this.samples[i - 1], this.samples[i]));
    return out;
  }
}

/** Seconds of per-destination history (and so the window of a destination's rates). */
const DESTINATION_WINDOW_S = 60;
/** Seconds of broker-wide history. */
const TOTAL_WINDOW_S = 300;

/** Samples destination counters and answers rates and chart series. */
export class RateTracker {
  private readonly series = new Map<string, Series>();
  private readonly totals = new Series(TOTAL_WINDOW_S + 1);
  /** Broker-wide counters: the sum of every destination's increments, so forgetting a queue lowers nothing. */
  private readonly cumulative: Rates = { enqueued: 0, delivered: 0, acked: 0, deadLettered: 0 };
  private latest: Totals = { at: Date.now(), queues: 0, topics: 0, depth: 0, bytes: 0, inFlight: 0, consumers: 0 };
  /** When the last sample was taken (0: none yet). */
  private lastSampleAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly views: () => DestinationView[], private readonly intervalMs = 1000) {}

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

  /** Per-second rates of `view` over the last minute, from the oldest sample to its counters now. */
  ratesOf(view: DestinationView): Rates {
    const first = this.series.get(view.name)?.first;
    return first ? rateBetween(first, { ...pick(view), t: Date.now() }) : zeroRates();
  }

  /** The rate of each second of the last minute, for `view`'s chart. */
  historyOf(view: DestinationView): RatePoint[] {
    return this.series.get(view.name)?.points() ?? [];
  }

  /** Broker-wide rates over the last minute. */
  totalRates(): Rates {
    const last = this.totals.last;
    const first = this.totals.back(DESTINATION_WINDOW_S);
    return last && first && last !== first ? rateBetween(first, last) : zeroRates();
  }

  /** Broker-wide rate of each second of the last five minutes. */
  totalHistory(): RatePoint[] {
    return this.totals.points();
  }

  /** One sample of every destination: O(destinations), once a second. */
  sample(): void {
    const t = Date.now();
    const seen = new Set<string>();
    const totals: Totals = { at: t, queues: 0, topics: 0, depth: 0, bytes: 0, inFlight: 0, consumers: 0 };
    for (const view of this.views()) {
      const key = view.name;
      seen.add(key);
      this.count(totals, view);
      const now = { ...pick(view), t };
      let series = this.series.get(key);
      const last = series?.last;
      if (!series || (last && RATE_KEYS.some((k) => now[k] < last[k]))) {
        series = new Series(DESTINATION_WINDOW_S + 1);
        this.series.set(key, series);
        // Created since the last sample, with its counters at zero: what it counted since is this interval's.
        if (this.lastSampleAt > 0) series.add({ ...zeroRates(), t: this.lastSampleAt });
      }
      const base = series.last;
      for (const k of RATE_KEYS) this.cumulative[k] += now[k] - (base ? base[k] : 0);
      series.add(now);
    }
    for (const key of this.series.keys()) if (!seen.has(key)) this.series.delete(key);
    this.totals.add({ ...this.cumulative, t });
    this.latest = totals;
    this.lastSampleAt = t;
  }

  private count(totals: Totals, view: DestinationView): void {
    if (view.kind === 'queue') totals.queues++;
    else totals.topics++;
    totals.depth += view.depth;
    totals.bytes += view.bytes;
    totals.inFlight += view.inFlight;
    totals.consumers += view.consumers;
  }
}

function pick(view: DestinationView): Rates {
  return { enqueued: view.enqueued, delivered: view.delivered, acked: view.acked, deadLettered: view.deadLettered };
}

function zeroRates(): Rates {
  return { enqueued: 0, delivered: 0, acked: 0, deadLettered: 0 };
}

function rateBetween(a: Sample, b: Sample): RatePoint {
  const seconds = (b.t - a.t) / 1000;
  const point = { t: b.t } as RatePoint;
  // Never negative: counters that started again from zero before the next sample noticed.
  for (const k of RATE_KEYS) point[k] = seconds > 0 ? round(Math.max(0, b[k] - a[k]) / seconds) : 0;
  return point;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
