/**
 * The well-behaved load of the isolation benchmark: P producers each sending to their own queue at a
 * fixed rate, one consumer per queue with client-individual ACKs; and a probe that opens a new
 * connection every `probeEveryMs` and wants CONNECTED within `probeTimeoutMs`. Reports latency over
 * the whole run and over a window (where a hostile client acts), lost and duplicated messages.
 */
import { type ConnectOptions, StompClient } from './client.js';
import { closeAll, connectAll, paced, Samples, sleep } from './scenarios.js';
import { makeBody, newRunId, readStamp, SeqTracker } from './sequence.js';

/** Shape of the well-behaved load. */
export interface SteadyOptions {
  conn: ConnectOptions;
  /** Producers = consumers = queues. */
  pairs: number;
  /** Messages per second, all producers together. */
  rate: number;
  size: number;
  durationMs: number;
  /** The window [start, end) in ms from the start whose latencies are also reported apart. */
  windowMs: [number, number];
  prefetch: number;
  probeEveryMs: number;
  probeTimeoutMs: number;
  /** Destination prefix: queues are /queue/<prefix>.<i>. */
  prefix: string;
  /** Longest wait for the last messages after the producers stop. */
  drainMs: number;
}

/** Whether new clients were served: one entry per probe. */
export interface ProbeReport {
  tried: number;
  /** No CONNECTED within the timeout (or refused). */
  failed: number;
  /** Connect → CONNECTED of the slowest successful probe, ms (NaN, null in JSON, when none succeeded). */
  worstMs: number;
  /** When (ms from the start) the failed probes started, and why. */
  failures: { atMs: number; reason: string }[];
}

/** What the well-behaved clients saw. */
export interface SteadyReport {
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency of the messages sent inside the window. */
  windowP50Ms: number;
  windowP99Ms: number;
  /** Client-side errors (ERROR frames, closed connections) of the well-behaved clients. */
  errors: string[];
  probes: ProbeReport;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** Latencies of one run, kept apart for messages sent inside the window. */
class LatencyBook {
  readonly all = new Samples();
  readonly window = new Samples();

  constructor(private readonly t0: number, private readonly windowMs: [number, number]) {}

  add(sentAt: number, receivedAt: number): void {
    const ms = receivedAt - sentAt;
    this.all.add(ms);
    const at = sentAt - this.t0;
    if (at >= this.windowMs[0] && at < this.windowMs[1]) this.window.add(ms);
  }
}

/** Connects a consumer per queue, subscribed with client-individual ACKs; counts what arrives. */
async function consumers(
  opts: SteadyOptions, runId: number, trackers: SeqTracker[], book: () => LatencyBook, errors: string[],
): Promise<StompClient[]> {
  const clients = await connectAll(opts.pairs, opts.conn);
  for (const [i, c] of clients.entries()) {
    c.onError = (err) => errors.push(`consumer ${i}: ${err.message}`);
    c.onMessage = (frame) => {
      c.ack(frame);
      const stamp = readStamp(frame.body, runId);
      if (stamp.kind !== 'ours') return; // an earlier run's, acknowledged so the queue empties
      book().add(stamp.sentAt, performance.now());
      trackers[i].add(stamp.seq);
    };
    await c.subscribe(`/queue/${opts.prefix}.${i}`, { ack: 'client-individual', prefetch: opts.prefetch });
  }
  return clients;
}

/** Opens a connection every `probeEveryMs` until `until` and records whether CONNECTED came in time. */
async function probe(opts: SteadyOptions, t0: number, until: number): Promise<ProbeReport> {
  const report: ProbeReport = { tried: 0, failed: 0, worstMs: 0, failures: [] };
  const pending: Promise<void>[] = [];
  for (let next = performance.now(); next < until; next += opts.probeEveryMs) {
    await sleep(Math.max(0, next - performance.now()));
    report.tried++;
    const startedAt = performance.now();
    pending.push(StompClient.connect({ ...opts.conn, timeoutMs: opts.probeTimeoutMs }).then((c) => {
      report.worstMs = Math.max(report.worstMs, performance.now() - startedAt);
      void c.disconnect(1000).catch(() => {}).finally(() => c.destroy());
    }, (err: Error) => {
      report.failed++;
      report.failures.push({ atMs: Math.round(startedAt - t0), reason: err.message });
    }));
  }
  await Promise.all(pending);
  report.worstMs = report.failed < report.tried ? r3(report.worstMs) : NaN; // NaN: no probe was served
  return report;
}

/** Runs the well-behaved load once; `onStart` is called when the producers start (time 0). */
export async function runSteadyLoad(opts: SteadyOptions, onStart: () => void = () => {}): Promise<SteadyReport> {
  const errors: string[] = [];
  const trackers = Array.from({ length: opts.pairs }, () => new SeqTracker());
  let book = new LatencyBook(performance.now(), opts.windowMs);
  const runId = newRunId();
  const cons = await consumers(opts, runId, trackers, () => book, errors);
  const prods = await connectAll(opts.pairs, opts.conn);
  prods.forEach((p, i) => (p.onError = (err) => errors.push(`producer ${i}: ${err.message}`)));
  const t0 = performance.now();
  book = new LatencyBook(t0, opts.windowMs);
  onStart();
  const probing = probe(opts, t0, t0 + opts.durationMs);
  const perProducer = Math.round((opts.rate / opts.pairs) * (opts.durationMs / 1000));
  const sent = await Promise.all(prods.map((p, i) => paced(perProducer, opts.rate / opts.pairs, t0 + opts.durationMs,
    (seq) => { if (!p.isClosed) p.send(`/queue/${opts.prefix}.${i}`, makeBody(opts.size, seq, runId)); })));
  const drainUntil = performance.now() + opts.drainMs;
  while (trackers.some((t, i) => t.unique < sent[i]) && performance.now() < drainUntil) await sleep(20);
  const probes = await probing;
  await closeAll([...prods, ...cons]);
  return reportOf(sent, trackers, book, errors, probes);
}

function reportOf(sent: number[], trackers: SeqTracker[], book: LatencyBook, errors: string[], probes: ProbeReport)
  : SteadyReport {
  let lost = 0;
  let duplicates = 0;
  trackers.forEach((t, i) => {
    lost += t.lost(sent[i]);
    duplicates += t.duplicates + t.beyond(sent[i]);
  });
  const all = book.all.summary();
  return {
    sent: sent.reduce((a, b) => a + b, 0), received: trackers.reduce((a, t) => a + t.received, 0), lost, duplicates,
    p50Ms: all.p50Ms ?? NaN, p99Ms: all.p99Ms ?? NaN, maxMs: all.maxMs ?? NaN,
    windowP50Ms: r3(book.window.percentile(50)), windowP99Ms: r3(book.window.percentile(99)), errors, probes,
  };
}
