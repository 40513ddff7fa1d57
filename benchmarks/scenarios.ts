/**
 * The load scenarios, runnable against any STOMP broker (ours, RabbitMQ's STOMP plugin, ActiveMQ).
 * Each is bounded by its message count and by `durationS`, stops by itself, and checks every message
 * by sequence number: a run that lost or duplicated one, or timed out, is not `valid`.
 * `run.ts` is their command line; `matrix.ts` runs them across brokers; the CI smoke test runs them small.
 */
import { type ConnectOptions, StompClient, type StompFrame } from './client.js';
import { lossOf, makeBody, newRunId, readStamp, STAMP_BYTES, SeqTracker } from './sequence.js';

/** A scenario's name. */
export type ScenarioName = 'queue' | 'queue-ack' | 'topic' | 'latency' | 'receipts' | 'connect' | 'persistent';
/** Every scenario. */
export const SCENARIOS: ScenarioName[] = ['queue', 'queue-ack', 'topic', 'latency', 'receipts', 'connect', 'persistent'];

/** Default message counts per scenario (`messages` overrides). */
export const DEFAULT_MESSAGES: Record<ScenarioName, number> = {
  queue: 100_000, 'queue-ack': 20_000, topic: 20_000, latency: 5_000, receipts: 50_000, connect: 200,
  persistent: 20_000,
};

/** How one scenario runs. */
export interface ScenarioOptions {
  conn: ConnectOptions;
  /** Messages (connect: connections); DEFAULT_MESSAGES when absent. */
  messages?: number;
  size: number;
  producers: number;
  /** Consumers (topic: subscribers); 1 (topic: 4) when absent. */
  consumers?: number;
  durationS: number;
  /** Receipts in flight (persistent: per producer). */
  window: number;
  prefetch: number;
  /** persistent: ask for a receipt on every Nth ACK of each consumer (0 = never). */
  ackReceipt: number;
  /** latency: messages per second sent regardless of replies; 0 = one round trip at a time. */
  rate: number;
  prefix: string;
  label: string;
}

/** ScenarioOptions with the run id stamped into every body (runScenario draws a fresh one per run). */
type RunOptions = ScenarioOptions & { runId: number };

/** What one run measured. */
export interface ScenarioResult {
  label: string;
  scenario: ScenarioName;
  broker: string;
  messages: number;
  size: number;
  producers: number;
  consumers: number;
  /** Messages (topic: deliveries; connect: connections) counted. */
  count: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** Client process CPU over the measured interval, % of one core. */
  clientCpuPct: number;
  timedOut: boolean;
  /** Messages sent by this run (topic: published, each owed to every subscriber). */
  sent: number;
  /** Sent messages (topic: deliveries) never received. */
  lost: number;
  /** Receptions of a message already received. */
  duplicates: number;
  /** No loss, no duplicate, no time-out. */
  valid: boolean;
  notes?: string;
  /** latency: the fixed send rate (0 = one at a time). */
  rate?: number;
  /** persistent: SEND receipts per second (messages the broker declared stored). */
  persistedPerSec?: number;
  /** persistent: SEND → RECEIPT percentiles. */
  receiptP50Ms?: number;
  receiptP99Ms?: number;
  window?: number;
  ackReceipt?: number;
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Latency samples in ms, grown as needed. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  add(ms: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = ms;
  }

  /** The p-th percentile (0-100), NaN without samples. */
  percentile(p: number): number {
    if (this.length === 0) return NaN;
    const sorted = this.data.slice(0, this.length).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  }

  summary(): { p50Ms?: number; p99Ms?: number; maxMs?: number } {
    if (this.length === 0) return {};
    const sorted = this.data.slice(0, this.length).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    return { p50Ms: round(at(50)), p99Ms: round(at(99)), maxMs: round(sorted[sorted.length - 1]) };
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/** Measures the interval's wall time and this process's CPU. */
class Stopwatch {
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();

  seconds(at = performance.now()): number {
    return (at - this.t0) / 1000;
  }

  cpuPct(): number {
    const cpu = process.cpuUsage(this.cpu0);
    const wall = performance.now() - this.t0;
    return wall > 0 ? round(((cpu.user + cpu.system) / 1000 / wall) * 100, 1) : 0;
  }
}

/** Opens `n` connections one after another. */
export async function connectAll(n: number, conn: ConnectOptions): Promise<StompClient[]> {
  const clients: StompClient[] = [];
  for (let i = 0; i < n; i++) clients.push(await StompClient.connect(conn));
  return clients;
}

/** DISCONNECTs (receipted) every client, then closes them. */
export async function closeAll(clients: StompClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.disconnect(3000).catch(() => c.destroy())));
  for (const c of clients) c.destroy();
}

/** Resolves when `done()` is true (polled), or at the deadline; returns whether it timed out. */
async function waitFor(done: () => boolean, deadline: number, idle?: () => boolean): Promise<boolean> {
  while (!done()) {
    if (performance.now() >= deadline) return true;
    if (idle?.()) return false;
    await sleep(5);
  }
  return false;
}

/**
 * Sends `count` messages as fast as the socket takes them, yielding every few hundred so that
 * consumers in this process get their turn; stops early at the deadline. Returns messages sent.
 */
async function produce(
  client: StompClient, dest: string, count: number, size: number, firstSeq: number, deadline: number, runId: number,
): Promise<number> {
  let sent = 0;
  while (sent < count) {
    if (!client.writable) await client.drain();
    client.send(dest, makeBody(size, firstSeq + sent, runId));
    sent++;
    if (sent % 256 === 0) {
      await yieldTurn();
      if (performance.now() >= deadline) break;
    }
  }
  client.flush();
  return sent;
}

/** `total` split into `parts` near-equal whole parts. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Counts what arrives on one stream: latency of this run's messages, their sequence numbers, stale ones. */
class Receiver {
  readonly tracker = new SeqTracker();
  readonly latency: Samples;
  stale = 0;
  lastAt = 0;

  constructor(private readonly runId: number, latency = new Samples()) {
    this.latency = latency;
  }

  /** Records a MESSAGE body; false when it belongs to another run. */
  take(body: Buffer): boolean {
    const stamp = readStamp(body, this.runId);
    if (stamp.kind === 'stale') {
      this.stale++;
      return false;
    }
    this.lastAt = performance.now();
    if (stamp.kind === 'ours') {
      this.latency.add(this.lastAt - stamp.sentAt);
      this.tracker.add(stamp.seq);
    } else {
      this.tracker.received++;
    }
    return true;
  }

  /** Distinct messages of this run (or, unstamped, every message) received. */
  get count(): number {
    return this.tracker.unique || this.tracker.received;
  }
}

/** Loss accounting; unstamped bodies (smaller than STAMP_BYTES) can only be counted, not checked. */
function checkLoss(receivers: Receiver[], sent: number, size: number): { lost: number; duplicates: number } {
  if (size >= STAMP_BYTES) return lossOf(receivers.map((r) => r.tracker), sent);
  const got = receivers.reduce((a, r) => a + r.tracker.received, 0);
  return { lost: Math.max(0, sent * receivers.length - got), duplicates: Math.max(0, got - sent * receivers.length) };
}

// ------------------------------------------------------------------------------------------------
// Scenarios
// ------------------------------------------------------------------------------------------------

/** P producers → one queue → C consumers; auto ack, or client-individual with a prefetch. */
async function queueScenario(opts: RunOptions, ack: boolean): Promise<ScenarioResult> {
  const scenario: ScenarioName = ack ? 'queue-ack' : 'queue';
  const n = opts.messages ?? DEFAULT_MESSAGES[scenario];
  const consumersN = opts.consumers ?? 1;
  const dest = `/queue/${opts.prefix}.${scenario}`;
  const consumers = await connectAll(consumersN, opts.conn);
  const producers = await connectAll(opts.producers, opts.conn);
  const rx = new Receiver(opts.runId);
  for (const c of consumers) {
    c.onMessage = (frame: StompFrame) => {
      if (ack) c.ack(frame);
      rx.take(frame.body);
    };
    await c.subscribe(dest, ack ? { ack: 'client-individual', prefetch: opts.prefetch } : { ack: 'auto' });
  }
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  const firsts = split(n, producers.length).map((_, i, parts) => parts.slice(0, i).reduce((a, b) => a + b, 0));
  const sent = (await Promise.all(split(n, producers.length).map((count, i) =>
    produce(producers[i], dest, count, opts.size, firsts[i], deadline, opts.runId)))).reduce((a, b) => a + b, 0);
  const sendSeconds = watch.seconds();
  const timedOut = await waitFor(() => rx.count >= sent, deadline);
  const seconds = watch.seconds(rx.count >= sent ? rx.lastAt : performance.now());
  const cpu = watch.cpuPct();
  await closeAll([...producers, ...consumers]);
  const notes = [`sent in ${sendSeconds.toFixed(2)} s`];
  if (rx.stale) notes.push(`${rx.stale} stale messages from an earlier run skipped`);
  if (sent < n) notes.push(`only ${sent} sent before the deadline`);
  return result(opts, scenario, { messages: n, consumers: consumersN, count: rx.count, seconds, latency: rx.latency,
    cpu, timedOut, sent, ...checkLoss([rx], sent, opts.size), notes });
}

/** 1 producer → one topic → C subscribers; counts deliveries. */
async function topicScenario(opts: RunOptions): Promise<ScenarioResult> {
  const n = opts.messages ?? DEFAULT_MESSAGES.topic;
  const consumersN = opts.consumers ?? 4;
  const dest = `/topic/${opts.prefix}.topic`;
  const subscribers = await connectAll(consumersN, opts.conn);
  const [producer] = await connectAll(1, opts.conn);
  const latency = new Samples();
  const rxs = subscribers.map(() => new Receiver(opts.runId, latency));
  for (const [i, c] of subscribers.entries()) {
    c.onMessage = (frame) => rxs[i].take(frame.body);
    await c.subscribe(dest, { ack: 'auto' });
  }
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  const sent = await produce(producer, dest, n, opts.size, 0, deadline, opts.runId);
  const delivered = () => rxs.reduce((a, r) => a + r.count, 0);
  const lastAt = () => Math.max(...rxs.map((r) => r.lastAt));
  // Topics may drop for slow subscribers: stop 3 s after the last delivery.
  const timedOut = await waitFor(() => delivered() >= sent * consumersN, deadline,
    () => lastAt() > 0 && performance.now() - lastAt() > 3000);
  const seconds = watch.seconds(lastAt() || performance.now());
  const cpu = watch.cpuPct();
  await closeAll([producer, ...subscribers]);
  const loss = checkLoss(rxs, sent, opts.size);
  const notes = [`${sent} published`];
  if (loss.lost) notes.push(`${loss.lost} deliveries missing (per subscriber: ${rxs.map((r) => r.count).join(',')})`);
  return result(opts, 'topic', { messages: n, consumers: consumersN, count: delivered(), seconds, latency, cpu,
    timedOut, sent, ...loss, notes });
}

/** One message at a time, producer → queue → consumer, on two connections; 200 warm-up round trips. */
async function roundTripScenario(opts: RunOptions): Promise<ScenarioResult> {
  const n = opts.messages ?? DEFAULT_MESSAGES.latency;
  const dest = `/queue/${opts.prefix}.latency`;
  const [consumer, producer] = await connectAll(2, opts.conn);
  const rx = new Receiver(opts.runId, new Samples());
  let waiter: (() => void) | null = null;
  consumer.onMessage = (frame) => {
    if (!rx.take(frame.body)) return; // an earlier run's
    const w = waiter;
    waiter = null;
    w?.();
  };
  await consumer.subscribe(dest, { ack: 'auto' });
  const size = Math.max(opts.size, STAMP_BYTES);
  let seq = 0;
  const roundTrip = () => new Promise<void>((resolve) => {
    waiter = resolve;
    producer.send(dest, makeBody(size, seq++, opts.runId));
  });
  const deadline = performance.now() + opts.durationS * 1000;
  const warmUp = Math.min(200, n);
  for (let i = 0; i < warmUp; i++) await roundTrip();
  const latency = new Samples();
  const watch = new Stopwatch();
  const timedOut = await timedRoundTrips(n, deadline, roundTrip, latency);
  const seconds = watch.seconds();
  const cpu = watch.cpuPct();
  await closeAll([producer, consumer]);
  return result({ ...opts, size }, 'latency', { messages: n, consumers: 1, count: rx.count - warmUp, seconds, latency,
    cpu, timedOut, sent: seq, ...checkLoss([rx], seq, size), notes: ['one at a time', `${warmUp} warm-up round trips`] });
}

/** Runs round trips until `n` are done or the deadline passes; returns whether it timed out. */
async function timedRoundTrips(
  n: number, deadline: number, roundTrip: () => Promise<void>, latency: Samples,
): Promise<boolean> {
  for (let done = 0; done < n; done++) {
    const t = performance.now();
    if (t >= deadline) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), deadline - t)));
    const outcome = await Promise.race([roundTrip(), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') return true;
    latency.add(performance.now() - t);
  }
  return false;
}

/** Producer → queue → consumer at a fixed rate, whatever the replies: latency under a steady load. */
async function pacedLatencyScenario(opts: RunOptions): Promise<ScenarioResult> {
  const n = opts.messages ?? DEFAULT_MESSAGES.latency;
  const dest = `/queue/${opts.prefix}.latency`;
  const [consumer, producer] = await connectAll(2, opts.conn);
  const rx = new Receiver(opts.runId);
  consumer.onMessage = (frame) => rx.take(frame.body);
  await consumer.subscribe(dest, { ack: 'auto' });
  const size = Math.max(opts.size, STAMP_BYTES);
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  const sent = await paced(n, opts.rate, deadline, (seq) => producer.send(dest, makeBody(size, seq, opts.runId)));
  const timedOut = await waitFor(() => rx.count >= sent, deadline);
  const seconds = watch.seconds(rx.count >= sent ? rx.lastAt : performance.now());
  const cpu = watch.cpuPct();
  await closeAll([producer, consumer]);
  const notes = [`${opts.rate} msgs/s fixed`];
  if (rx.stale) notes.push(`${rx.stale} stale messages from an earlier run skipped`);
  return { ...result({ ...opts, size }, 'latency', { messages: n, consumers: 1, count: rx.count, seconds,
    latency: rx.latency, cpu, timedOut, sent, ...checkLoss([rx], sent, size), notes }), rate: opts.rate };
}

/** Calls `send(seq)` for seq 0..n-1 at `rate` per second (caught up every millisecond or so). */
export async function paced(n: number, rate: number, deadline: number, send: (seq: number) => void): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    const now = performance.now();
    if (now >= deadline) break;
    const due = Math.min(n, Math.floor(((now - t0) * rate) / 1000) + 1);
    while (sent < due) send(sent++);
    await sleep(1);
  }
  return sent;
}

/** SEND with a receipt each, at most `window` unanswered; a consumer drains the queue. */
async function receiptsScenario(opts: RunOptions): Promise<ScenarioResult> {
  const n = opts.messages ?? DEFAULT_MESSAGES.receipts;
  const dest = `/queue/${opts.prefix}.receipts`;
  const [drainer, producer] = await connectAll(2, opts.conn);
  const rx = new Receiver(opts.runId, new Samples());
  drainer.onMessage = (frame) => rx.take(frame.body);
  await drainer.subscribe(dest, { ack: 'auto' });
  const latency = new Samples();
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  let sent = 0;
  let answered = 0;
  let lastAt = 0;
  const sendOne = () => {
    const t = performance.now();
    producer.send(dest, makeBody(opts.size, sent++, opts.runId), null, () => {
      lastAt = performance.now();
      latency.add(lastAt - t);
      answered++;
      if (sent < n && lastAt < deadline) sendOne();
    });
  };
  for (let i = 0; i < Math.min(opts.window, n); i++) sendOne();
  const timedOut = await waitFor(() => answered >= n, deadline);
  const seconds = watch.seconds(answered >= n ? lastAt : performance.now());
  const cpu = watch.cpuPct();
  const drainTimedOut = await waitFor(() => rx.count >= sent, performance.now() + 10_000);
  await closeAll([producer, drainer]);
  return result(opts, 'receipts', { messages: n, consumers: 1, count: answered, seconds, latency, cpu,
    timedOut: timedOut || drainTimedOut, sent, ...checkLoss([rx], sent, opts.size),
    notes: [`window ${opts.window}`, `${rx.count} drained by the consumer`] });
}

/**
 * A durable job queue. P producers SEND `persistent:true` messages with a receipt each, at most
 * `window` unanswered per producer; C consumers subscribe `ack:client-individual` with `prefetch` and
 * ACK every message (a receipt on every `ackReceipt`-th). Counts receipts/s, consumed messages/s (both
 * from the first SEND), SEND → RECEIPT and end-to-end latency.
 */
async function persistentScenario(opts: RunOptions): Promise<ScenarioResult> {
  const n = opts.messages ?? DEFAULT_MESSAGES.persistent;
  const consumersN = opts.consumers ?? 1;
  const dest = `/queue/${opts.prefix}.persistent`;
  const consumers = await connectAll(consumersN, opts.conn);
  const producers = await connectAll(opts.producers, opts.conn);
  const rx = new Receiver(opts.runId);
  const acks = new AckReceipts(opts.ackReceipt);
  for (const c of consumers) {
    c.onMessage = (frame: StompFrame) => {
      acks.ack(c, frame);
      rx.take(frame.body); // an earlier run's is acknowledged all the same, so the queue empties
    };
    await c.subscribe(dest, { ack: 'client-individual', prefetch: opts.prefetch });
  }
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  const senders = new ReceiptedSenders(dest, opts, rx, deadline);
  split(n, producers.length).forEach((quota, i) => senders.start(producers[i], quota));
  const timedOut = await waitFor(() => senders.answered >= n && rx.count >= n, deadline);
  const end = performance.now();
  const persistSeconds = watch.seconds(senders.answered >= n ? senders.lastReceiptAt : end);
  const seconds = watch.seconds(rx.count >= n ? rx.lastAt : end);
  const cpu = watch.cpuPct();
  if (opts.ackReceipt > 0) await waitFor(() => acks.answered >= acks.asked, performance.now() + 10_000);
  await closeAll([...producers, ...consumers]);
  const notes = [`window ${opts.window}/producer`, `prefetch ${opts.prefetch}`, acks.describe(watch, end),
    `${senders.answered} persisted in ${persistSeconds.toFixed(2)} s`, `max backlog ${senders.maxBacklog}`];
  if (rx.stale) notes.push(`${rx.stale} stale messages from an earlier run acked and skipped`);
  const r = result(opts, 'persistent', { messages: n, consumers: consumersN, count: rx.count, seconds,
    latency: rx.latency, cpu, timedOut, sent: senders.sent, ...checkLoss([rx], senders.sent, opts.size), notes });
  const rcpt = senders.latency.summary();
  return { ...r, persistedPerSec: persistSeconds > 0 ? Math.round(senders.answered / persistSeconds) : 0,
    receiptP50Ms: rcpt.p50Ms, receiptP99Ms: rcpt.p99Ms, window: opts.window, ackReceipt: opts.ackReceipt };
}

/** persistent: ACKs every message, asking for a receipt on every Nth of each consumer. */
class AckReceipts {
  asked = 0;
  answered = 0;
  lastAt = 0;
  private readonly perConsumer = new Map<StompClient, number>();

  constructor(private readonly every: number) {}

  ack(c: StompClient, frame: StompFrame): void {
    const k = (this.perConsumer.get(c) ?? 0) + 1;
    this.perConsumer.set(c, k);
    if (this.every <= 0 || k % this.every !== 0) return c.ack(frame);
    this.asked++;
    c.ack(frame, () => {
      this.answered++;
      this.lastAt = performance.now();
    });
  }

  describe(watch: Stopwatch, end: number): string {
    if (this.every <= 0) return 'ACKs without receipts';
    return `ACK receipt every ${this.every}: ${this.answered}/${this.asked} answered, last at `
      + `${watch.seconds(this.lastAt || end).toFixed(2)} s`;
  }
}

/** persistent: each producer keeps `window` receipted SENDs in flight until its quota is sent. */
class ReceiptedSenders {
  sent = 0;
  answered = 0;
  lastReceiptAt = 0;
  /** Largest number of messages stored (receipt seen) but not yet received by a consumer. */
  maxBacklog = 0;
  readonly latency = new Samples();
  private readonly headers = { persistent: 'true' };

  constructor(private readonly dest: string, private readonly opts: RunOptions,
    private readonly rx: Receiver, private readonly deadline: number) {}

  start(producer: StompClient, quota: number): void {
    let mine = 0;
    const sendOne = () => {
      const t = performance.now();
      mine++;
      producer.send(this.dest, makeBody(this.opts.size, this.sent++, this.opts.runId), this.headers, () => {
        this.lastReceiptAt = performance.now();
        this.latency.add(this.lastReceiptAt - t);
        this.answered++;
        this.maxBacklog = Math.max(this.maxBacklog, this.answered - this.rx.count);
        if (mine < quota && this.lastReceiptAt < this.deadline) sendOne();
      });
    };
    for (let k = 0; k < Math.min(this.opts.window, quota); k++) sendOne();
  }
}

/**
 * Connection setup, one at a time: TCP connect → CONNECTED → DISCONNECT (with receipt) → close,
 * N times. Rate is connections/s; latency is TCP connect start → CONNECTED.
 */
async function connectScenario(opts: RunOptions): Promise<ScenarioResult> {
  const n = opts.messages ?? DEFAULT_MESSAGES.connect;
  const latency = new Samples();
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  let done = 0;
  while (done < n && performance.now() < deadline) {
    const t = { tcp: NaN, connected: NaN };
    const timeoutMs = Math.max(1000, deadline - performance.now());
    const client = await StompClient.connect({ ...opts.conn, timeoutMs }, t);
    latency.add(t.connected);
    await client.disconnect(3000);
    client.destroy();
    done++;
  }
  const seconds = watch.seconds();
  return result({ ...opts, size: 0 }, 'connect', { messages: n, consumers: 0, count: done, seconds, latency,
    cpu: watch.cpuPct(), timedOut: done < n, sent: 0, lost: 0, duplicates: 0, notes: ['sequential'] });
}

/** The measured facts of one run, before they are shaped into a ScenarioResult. */
interface Measured {
  messages: number;
  consumers: number;
  count: number;
  seconds: number;
  latency: Samples;
  cpu: number;
  timedOut: boolean;
  sent: number;
  lost: number;
  duplicates: number;
  notes: string[];
}

function result(opts: ScenarioOptions, scenario: ScenarioName, m: Measured): ScenarioResult {
  const rate = m.seconds > 0 ? m.count / m.seconds : 0;
  const producers = scenario === 'queue' || scenario === 'queue-ack' || scenario === 'persistent'
    ? opts.producers : scenario === 'connect' ? 0 : 1;
  const problems = [m.timedOut ? 'timed out' : '', m.lost ? `${m.lost} lost` : '',
    m.duplicates ? `${m.duplicates} duplicated` : ''].filter(Boolean);
  return {
    label: opts.label, scenario, broker: `${opts.conn.host}:${opts.conn.port}`, messages: m.messages,
    size: opts.size, producers, consumers: m.consumers, count: m.count, seconds: round(m.seconds),
    msgsPerSec: Math.round(rate), mbPerSec: round((rate * opts.size) / 1e6, 2), ...m.latency.summary(),
    clientCpuPct: m.cpu, timedOut: m.timedOut, sent: m.sent, lost: m.lost, duplicates: m.duplicates,
    valid: problems.length === 0, notes: [...m.notes, ...problems.map((p) => `INVALID: ${p}`)].join('; '),
  };
}

/** Runs one scenario. */
export function runScenario(scenario: ScenarioName, options: ScenarioOptions): Promise<ScenarioResult> {
  const opts = { ...options, runId: newRunId() };
  switch (scenario) {
    case 'queue': return queueScenario(opts, false);
    case 'queue-ack': return queueScenario(opts, true);
    case 'topic': return topicScenario(opts);
    case 'latency': return opts.rate > 0 ? pacedLatencyScenario(opts) : roundTripScenario(opts);
    case 'receipts': return receiptsScenario(opts);
    case 'connect': return connectScenario(opts);
    case 'persistent': return persistentScenario(opts);
  }
}
