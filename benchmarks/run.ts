/**
 * Load generator for any STOMP broker (ours, RabbitMQ's STOMP plugin, ActiveMQ).
 *
 *   node dist/benchmarks/run.js <queue|queue-ack|topic|latency|receipts|connect|persistent|all>
 *     [--host 127.0.0.1] [--port 61613] [--login guest] [--passcode guest] [--vhost /] [--messages N]
 *     [--size BYTES] [--producers P] [--consumers C] [--duration S] [--window W] [--prefetch N]
 *     [--ack-receipt N] [--prefix NAME] [--label NAME]
 *
 * `connect` opens and closes N connections one after the other (the price of a connection).
 * `persistent` is a durable job queue: `persistent:true` SENDs with a receipt each (pipelined), consumers
 * with client-individual ACKs; it is not part of `all`.
 * Prints one human line per scenario and one JSON line (starting with `{`). Every scenario is bounded
 * by its message count and by --duration seconds, and stops by itself. Bodies of 16 bytes or more
 * carry a send timestamp, a run id and a sequence number, so consumers measure end-to-end latency
 * and ignore messages left on a queue by an earlier, interrupted run.
 */
import { randomInt } from 'node:crypto';
import { type ConnectOptions, StompClient, type StompFrame } from './client.js';

type Scenario = 'queue' | 'queue-ack' | 'topic' | 'latency' | 'receipts' | 'connect' | 'persistent';
/** What `all` runs (persistent is left out: it writes to the brokers' disks and has its own suite). */
const ALL_SCENARIOS: Scenario[] = ['queue', 'queue-ack', 'topic', 'latency', 'receipts', 'connect'];
const SCENARIOS: Scenario[] = [...ALL_SCENARIOS, 'persistent'];

/** Default message counts per scenario (overridden by --messages). */
const DEFAULT_MESSAGES: Record<Scenario, number> = {
  queue: 100_000, 'queue-ack': 20_000, topic: 20_000, latency: 5_000, receipts: 50_000, connect: 200,
  persistent: 20_000,
};
/** Body size of `persistent` unless --size is given (the others default to 100 bytes). */
const PERSISTENT_SIZE = 1024;

interface Options {
  conn: ConnectOptions;
  messages?: number;
  size: number;
  /** Whether --size was given (else `persistent` uses PERSISTENT_SIZE). */
  sizeGiven: boolean;
  producers: number;
  consumers?: number;
  durationS: number;
  window: number;
  prefetch: number;
  /** persistent: ask for a receipt on every Nth ACK of each consumer (0 = never). */
  ackReceipt: number;
  prefix: string;
  label: string;
}

interface Result {
  label: string;
  scenario: Scenario;
  broker: string;
  messages: number;
  size: number;
  producers: number;
  consumers: number;
  /** Messages (or deliveries, for topic) counted. */
  count: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** Client process CPU use over the measured interval, % of one core. */
  clientCpuPct: number;
  timedOut: boolean;
  notes?: string;
  /** persistent: SEND receipts per second (messages the broker declared stored). */
  persistedPerSec?: number;
  /** persistent: SEND → RECEIPT percentiles. */
  receiptP50Ms?: number;
  receiptP99Ms?: number;
  /** persistent: the per-producer receipt window and the ACK receipt interval (0 = none). */
  window?: number;
  ackReceipt?: number;
}

// ------------------------------------------------------------------------------------------------
// Bodies: [0..8) float64 send time (performance.now), [8..12) run id, [12..16) sequence number.
// ------------------------------------------------------------------------------------------------

const STAMP_BYTES = 16;
const RUN_ID = randomInt(1, 0x7fffffff);

function makeBody(size: number, seq: number): Buffer {
  const body = Buffer.allocUnsafe(size);
  body.fill(0x78); // 'x'
  if (size >= STAMP_BYTES) {
    body.writeDoubleLE(performance.now(), 0);
    body.writeUInt32LE(RUN_ID, 8);
    body.writeUInt32LE(seq, 12);
  }
  return body;
}

/** The send time of a message of this run, NaN for an unstamped one, null for another run's. */
function stampOf(body: Buffer): number | null {
  if (body.length < STAMP_BYTES) return NaN;
  if (body.readUInt32LE(8) !== RUN_ID) return null;
  return body.readDoubleLE(0);
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Latency samples in ms, grown as needed. */
class Samples {
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

  summary(): { p50Ms?: number; p99Ms?: number; maxMs?: number } {
    if (this.length === 0) return {};
    const sorted = this.data.slice(0, this.length).sort();
    return {
      p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1]),
    };
  }
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
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

async function connectAll(n: number, opts: Options): Promise<StompClient[]> {
  const clients: StompClient[] = [];
  for (let i = 0; i < n; i++) clients.push(await StompClient.connect(opts.conn));
  return clients;
}

async function closeAll(clients: StompClient[]): Promise<void> {
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
  client: StompClient, dest: string, count: number, size: number, firstSeq: number, deadline: number,
): Promise<number> {
  let sent = 0;
  while (sent < count) {
    if (!client.writable) await client.drain();
    client.send(dest, makeBody(size, firstSeq + sent));
    sent++;
    if (sent % 256 === 0) {
      await yieldTurn();
      if (performance.now() >= deadline) break;
    }
  }
  client.flush();
  return sent;
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

// ------------------------------------------------------------------------------------------------
// Scenarios
// ------------------------------------------------------------------------------------------------

/** P producers → one queue → C consumers; auto ack, or client-individual with a prefetch. */
async function queueScenario(opts: Options, ack: boolean): Promise<Result> {
  const scenario: Scenario = ack ? 'queue-ack' : 'queue';
  const n = opts.messages ?? DEFAULT_MESSAGES[scenario];
  const consumersN = opts.consumers ?? 1;
  const dest = `/queue/${opts.prefix}.${scenario}`;
  const consumers = await connectAll(consumersN, opts);
  const producers = await connectAll(opts.producers, opts);
  const latency = new Samples();
  let received = 0;
  let stale = 0;
  let lastAt = 0;
  for (const c of consumers) {
    c.onMessage = (frame: StompFrame) => {
      if (ack) c.ack(frame);
      const sentAt = stampOf(frame.body);
      if (sentAt === null) {
        stale++;
        return;
      }
      lastAt = performance.now();
      if (!Number.isNaN(sentAt)) latency.add(lastAt - sentAt);
      received++;
    };
    await c.subscribe(dest, ack ? { ack: 'client-individual', prefetch: opts.prefetch } : { ack: 'auto' });
  }
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  let seq = 0;
  const sends = split(n, producers.length).map((count, i) => {
    const first = seq;
    seq += count;
    return produce(producers[i], dest, count, opts.size, first, deadline);
  });
  const sentTotal = (await Promise.all(sends)).reduce((a, b) => a + b, 0);
  const sendSeconds = watch.seconds();
  const timedOut = await waitFor(() => received >= sentTotal, deadline);
  const seconds = watch.seconds(received >= sentTotal ? lastAt : performance.now());
  const cpu = watch.cpuPct();
  await closeAll([...producers, ...consumers]);
  const notes = [`sent in ${sendSeconds.toFixed(2)} s`];
  if (stale) notes.push(`${stale} stale messages from an earlier run skipped`);
  if (sentTotal < n) notes.push(`only ${sentTotal} sent before the deadline`);
  return result(opts, scenario, n, consumersN, received, seconds, latency, cpu, timedOut, notes);
}

/** 1 producer → one topic → C subscribers; counts deliveries. */
async function topicScenario(opts: Options): Promise<Result> {
  const n = opts.messages ?? DEFAULT_MESSAGES.topic;
  const consumersN = opts.consumers ?? 4;
  const dest = `/topic/${opts.prefix}.topic`;
  const subscribers = await connectAll(consumersN, opts);
  const [producer] = await connectAll(1, opts);
  const latency = new Samples();
  const counts = new Array<number>(consumersN).fill(0);
  let delivered = 0;
  let lastAt = 0;
  for (const [i, c] of subscribers.entries()) {
    c.onMessage = (frame) => {
      const sentAt = stampOf(frame.body);
      if (sentAt === null) return;
      lastAt = performance.now();
      if (!Number.isNaN(sentAt)) latency.add(lastAt - sentAt);
      counts[i]++;
      delivered++;
    };
    await c.subscribe(dest, { ack: 'auto' });
  }
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  const sent = await produce(producer, dest, n, opts.size, 0, deadline);
  const expected = sent * consumersN;
  // Topics may drop for slow subscribers: stop 3 s after the last delivery.
  const timedOut = await waitFor(() => delivered >= expected, deadline,
    () => lastAt > 0 && performance.now() - lastAt > 3000);
  const seconds = watch.seconds(lastAt || performance.now());
  const cpu = watch.cpuPct();
  await closeAll([producer, ...subscribers]);
  const notes = [`${sent} published`];
  if (delivered < expected) notes.push(`${expected - delivered} deliveries missing (per subscriber: ${counts.join(',')})`);
  return result(opts, 'topic', n, consumersN, delivered, seconds, latency, cpu, timedOut, notes);
}

/** One message at a time, producer → queue → consumer, on two connections. */
async function latencyScenario(opts: Options): Promise<Result> {
  const n = opts.messages ?? DEFAULT_MESSAGES.latency;
  const dest = `/queue/${opts.prefix}.latency`;
  const [consumer, producer] = await connectAll(2, opts);
  let waiter: (() => void) | null = null;
  consumer.onMessage = (frame) => {
    if (stampOf(frame.body) === null) return; // an earlier run's
    const w = waiter;
    waiter = null;
    w?.();
  };
  await consumer.subscribe(dest, { ack: 'auto' });
  const size = Math.max(opts.size, STAMP_BYTES);
  const roundTrip = (seq: number) => new Promise<void>((resolve) => {
    waiter = resolve;
    producer.send(dest, makeBody(size, seq));
  });
  const deadline = performance.now() + opts.durationS * 1000;
  for (let i = 0; i < Math.min(200, n); i++) await roundTrip(i); // warm-up, not counted
  const latency = new Samples();
  const watch = new Stopwatch();
  let done = 0;
  let timedOut = false;
  while (done < n) {
    if (performance.now() >= deadline) {
      timedOut = true;
      break;
    }
    const t = performance.now();
    const timeout = sleep(Math.max(0, deadline - t)).then(() => 'timeout' as const);
    if ((await Promise.race([roundTrip(done), timeout])) === 'timeout') {
      timedOut = true;
      break;
    }
    latency.add(performance.now() - t);
    done++;
  }
  const seconds = watch.seconds();
  const cpu = watch.cpuPct();
  await closeAll([producer, consumer]);
  return result({ ...opts, size }, 'latency', n, 1, done, seconds, latency, cpu, timedOut, ['200 warm-up round trips']);
}

/** SEND with a receipt each, at most `window` unanswered; a consumer drains the queue. */
async function receiptsScenario(opts: Options): Promise<Result> {
  const n = opts.messages ?? DEFAULT_MESSAGES.receipts;
  const dest = `/queue/${opts.prefix}.receipts`;
  const [drainer, producer] = await connectAll(2, opts);
  let drained = 0;
  drainer.onMessage = (frame) => {
    if (stampOf(frame.body) !== null) drained++;
  };
  await drainer.subscribe(dest, { ack: 'auto' });
  const latency = new Samples();
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  let sent = 0;
  let answered = 0;
  let lastAt = 0;
  const sendOne = () => {
    const t = performance.now();
    producer.send(dest, makeBody(opts.size, sent++), null, () => {
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
  await waitFor(() => drained >= answered, performance.now() + 5000);
  await closeAll([producer, drainer]);
  return result(opts, 'receipts', n, 1, answered, seconds, latency, cpu, timedOut,
    [`window ${opts.window}`, `${drained} drained by the consumer`]);
}

/**
 * A durable job queue. P producers SEND `persistent:true` messages to `/queue/<prefix>.persistent`
 * (RabbitMQ: a durable queue; ActiveMQ: a persistent message) with a receipt each, at most `window`
 * unanswered per producer; C consumers subscribe `ack:client-individual` with `prefetch` and ACK every
 * message, asking for a receipt on every `ackReceipt`-th ACK (0: never). Counts receipts/s (messages
 * the broker says it has stored), consumed messages/s (both from the first SEND), SEND → RECEIPT and
 * end-to-end (SEND → MESSAGE) latency.
 */
async function persistentScenario(opts: Options): Promise<Result> {
  const n = opts.messages ?? DEFAULT_MESSAGES.persistent;
  const consumersN = opts.consumers ?? 1;
  const dest = `/queue/${opts.prefix}.persistent`;
  const consumers = await connectAll(consumersN, opts);
  const producers = await connectAll(opts.producers, opts);
  const endToEnd = new Samples();
  const receiptLatency = new Samples();
  let received = 0;
  let stale = 0;
  let lastMessageAt = 0;
  let ackReceiptsAsked = 0;
  let ackReceiptsAnswered = 0;
  let lastAckReceiptAt = 0;
  for (const c of consumers) {
    let acks = 0;
    c.onMessage = (frame: StompFrame) => {
      if (opts.ackReceipt > 0 && ++acks % opts.ackReceipt === 0) {
        ackReceiptsAsked++;
        c.ack(frame, () => {
          ackReceiptsAnswered++;
          lastAckReceiptAt = performance.now();
        });
      } else {
        c.ack(frame);
      }
      const sentAt = stampOf(frame.body);
      if (sentAt === null) {
        stale++; // an earlier run's (acknowledged all the same, so the queue empties)
        return;
      }
      lastMessageAt = performance.now();
      if (!Number.isNaN(sentAt)) endToEnd.add(lastMessageAt - sentAt);
      received++;
    };
    await c.subscribe(dest, { ack: 'client-individual', prefetch: opts.prefetch });
  }
  const persistentHeader = { persistent: 'true' };
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  let seq = 0;
  let sentTotal = 0;
  let answered = 0;
  let lastReceiptAt = 0;
  /** Largest number of messages stored (receipt seen) but not yet received by a consumer. */
  let maxBacklog = 0;
  for (const [i, quota] of split(n, producers.length).entries()) {
    const producer = producers[i];
    let sent = 0;
    const sendOne = () => {
      const t = performance.now();
      sent++;
      sentTotal++;
      producer.send(dest, makeBody(opts.size, seq++), persistentHeader, () => {
        lastReceiptAt = performance.now();
        receiptLatency.add(lastReceiptAt - t);
        answered++;
        if (answered - received > maxBacklog) maxBacklog = answered - received;
        if (sent < quota && lastReceiptAt < deadline) sendOne();
      });
    };
    for (let k = 0; k < Math.min(opts.window, quota); k++) sendOne();
  }
  const timedOut = await waitFor(() => answered >= n && received >= n, deadline);
  const end = performance.now();
  const persistSeconds = watch.seconds(answered >= n ? lastReceiptAt : end);
  const consumeSeconds = watch.seconds(received >= n ? lastMessageAt : end);
  const cpu = watch.cpuPct();
  if (opts.ackReceipt > 0) {
    await waitFor(() => ackReceiptsAnswered >= ackReceiptsAsked, performance.now() + 10_000);
  }
  await closeAll([...producers, ...consumers]);
  const notes = [
    `window ${opts.window}/producer`, `prefetch ${opts.prefetch}`,
    opts.ackReceipt > 0
      ? `ACK receipt every ${opts.ackReceipt}: ${ackReceiptsAnswered}/${ackReceiptsAsked} answered, last at `
        + `${watch.seconds(lastAckReceiptAt || end).toFixed(2)} s`
      : 'ACKs without receipts',
    `${answered} persisted in ${persistSeconds.toFixed(2)} s`, `max backlog ${maxBacklog}`,
  ];
  if (stale) notes.push(`${stale} stale messages from an earlier run acked and skipped`);
  if (sentTotal < n) notes.push(`only ${sentTotal} sent before the deadline`);
  const r = result(opts, 'persistent', n, consumersN, received, consumeSeconds, endToEnd, cpu, timedOut, notes);
  const rcpt = receiptLatency.summary();
  return {
    ...r, persistedPerSec: persistSeconds > 0 ? Math.round(answered / persistSeconds) : 0,
    receiptP50Ms: rcpt.p50Ms, receiptP99Ms: rcpt.p99Ms, window: opts.window, ackReceipt: opts.ackReceipt,
  };
}

/**
 * Connection setup, one at a time: TCP connect → CONNECTED → DISCONNECT (with receipt) → close,
 * N times. Rate is connections/s; latency is TCP connect start → CONNECTED.
 */
async function connectScenario(opts: Options): Promise<Result> {
  const n = opts.messages ?? DEFAULT_MESSAGES.connect;
  const latency = new Samples();
  const watch = new Stopwatch();
  const deadline = performance.now() + opts.durationS * 1000;
  let done = 0;
  while (done < n && performance.now() < deadline) {
    const t = { tcp: NaN, connected: NaN };
    const client = await StompClient.connect({ ...opts.conn, timeoutMs: Math.max(1000, deadline - performance.now()) }, t);
    latency.add(t.connected);
    await client.disconnect(3000);
    client.destroy();
    done++;
  }
  const seconds = watch.seconds();
  const cpu = watch.cpuPct();
  return result({ ...opts, size: 0 }, 'connect', n, 0, done, seconds, latency, cpu, done < n, ['sequential']);
}

function result(
  opts: Options, scenario: Scenario, messages: number, consumers: number, count: number, seconds: number,
  latency: Samples, clientCpuPct: number, timedOut: boolean, notes: string[],
): Result {
  const rate = seconds > 0 ? count / seconds : 0;
  return {
    label: opts.label, scenario, broker: `${opts.conn.host}:${opts.conn.port}`, messages, size: opts.size,
    producers: scenario === 'queue' || scenario === 'queue-ack' || scenario === 'persistent' ? opts.producers
      : scenario === 'connect' ? 0 : 1,
    consumers,
    count, seconds: round(seconds), msgsPerSec: Math.round(rate), mbPerSec: round((rate * opts.size) / 1e6, 2),
    ...latency.summary(), clientCpuPct, timedOut, notes: notes.join('; '),
  };
}

function formatLine(r: Result): string {
  if (r.scenario === 'persistent') {
    const e2e = r.p50Ms !== undefined ? `end-to-end p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms!.toFixed(2)} ms` : '';
    const rcpt = r.receiptP50Ms !== undefined
      ? `receipt p50 ${r.receiptP50Ms.toFixed(2)} ms p99 ${r.receiptP99Ms!.toFixed(2)} ms` : '';
    return `${r.label ? r.label + ' ' : ''}persistent P=${r.producers} C=${r.consumers} n=${r.messages} ${r.size}B: `
      + `${(r.persistedPerSec ?? 0).toLocaleString('en-US')} persisted/s (${rcpt}), `
      + `${r.msgsPerSec.toLocaleString('en-US')} consumed msgs/s ${r.mbPerSec} MB/s, ${e2e}`
      + `  (${r.count} consumed in ${r.seconds.toFixed(2)} s, client CPU ${r.clientCpuPct}%`
      + `${r.timedOut ? ', TIMED OUT' : ''}${r.notes ? '; ' + r.notes : ''})`;
  }
  const lat = r.p50Ms !== undefined
    ? `  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms!.toFixed(2)} ms  max ${r.maxMs!.toFixed(1)} ms` : '';
  const what = r.scenario === 'topic' ? 'deliveries/s' : r.scenario === 'receipts' ? 'receipts/s'
    : r.scenario === 'connect' ? 'connections/s' : 'msgs/s';
  const shape = r.scenario === 'connect' ? `n=${r.messages}` : `P=${r.producers} C=${r.consumers} n=${r.messages} ${r.size}B`;
  const mb = r.scenario === 'connect' ? '' : `  ${r.mbPerSec} MB/s`;
  return `${r.label ? r.label + ' ' : ''}${r.scenario.padEnd(9)} ${shape}: `
    + `${r.msgsPerSec.toLocaleString('en-US')} ${what}${mb}${lat}`
    + `  (${r.count} in ${r.seconds.toFixed(2)} s, client CPU ${r.clientCpuPct}%`
    + `${r.timedOut ? ', TIMED OUT' : ''}${r.notes ? '; ' + r.notes : ''})`;
}

// ------------------------------------------------------------------------------------------------
// CLI
// ------------------------------------------------------------------------------------------------

const USAGE = `usage: node dist/benchmarks/run.js <${[...SCENARIOS, 'all'].join('|')}> [options]
  (all = ${ALL_SCENARIOS.join(', ')})
  --host H          broker host (127.0.0.1)      --port P        STOMP port (61613)
  --login L         CONNECT login (none)         --passcode X    CONNECT passcode (none)
  --vhost V         CONNECT host header (/)
  --messages N      messages (queue 100000, queue-ack 20000, topic 20000, latency 5000, receipts 50000,
                    persistent 20000; connect: connections, 200)
  --size BYTES      body size (100; persistent 1024)             --duration S    time limit per scenario (60)
  --producers P     queue/persistent producers (1)               --consumers C   consumers (queue 1, topic 4)
  --window W        receipts in flight (100; persistent: per producer)
  --prefetch N      queue-ack/persistent prefetch (100)
  --ack-receipt N   persistent: receipt on every Nth ACK per consumer (0 = none, the default)
  --prefix NAME     destination name prefix (bench)
  --label NAME      tag for the output lines`;

function parseArgs(argv: string[]): { scenarios: Scenario[]; opts: Options } {
  const [scenarioArg, ...rest] = argv;
  if (!scenarioArg || scenarioArg === '-h' || scenarioArg === '--help') {
    process.stdout.write(USAGE + '\n');
    process.exit(scenarioArg ? 0 : 2);
  }
  const scenarios = scenarioArg === 'all' ? ALL_SCENARIOS : [scenarioArg as Scenario];
  if (!scenarios.every((s) => SCENARIOS.includes(s))) {
    process.stderr.write(`unknown scenario '${scenarioArg}'\n${USAGE}\n`);
    process.exit(2);
  }
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]);
    if (!m) {
      process.stderr.write(`unexpected argument '${rest[i]}'\n${USAGE}\n`);
      process.exit(2);
    }
    flags.set(m[1], m[2] ?? rest[++i] ?? '');
  }
  const num = (name: string, fallback: number): number => {
    const v = flags.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      process.stderr.write(`--${name} must be a non-negative number\n`);
      process.exit(2);
    }
    return n;
  };
  const known = ['host', 'port', 'login', 'passcode', 'vhost', 'messages', 'size', 'producers', 'consumers',
    'duration', 'window', 'prefetch', 'ack-receipt', 'prefix', 'label'];
  for (const name of flags.keys()) {
    if (!known.includes(name)) {
      process.stderr.write(`unknown option --${name}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return {
    scenarios,
    opts: {
      conn: {
        host: flags.get('host') ?? '127.0.0.1', port: num('port', 61613), login: flags.get('login'),
        passcode: flags.get('passcode'), vhost: flags.get('vhost') ?? '/',
      },
      messages: flags.has('messages') ? num('messages', 0) : undefined,
      size: num('size', 100),
      sizeGiven: flags.has('size'),
      producers: Math.max(1, num('producers', 1)),
      consumers: flags.has('consumers') ? Math.max(1, num('consumers', 1)) : undefined,
      durationS: num('duration', 60),
      window: Math.max(1, num('window', 100)),
      prefetch: num('prefetch', 100),
      ackReceipt: Math.floor(num('ack-receipt', 0)),
      prefix: flags.get('prefix') ?? 'bench',
      label: flags.get('label') ?? '',
    },
  };
}

async function main(): Promise<void> {
  const { scenarios, opts } = parseArgs(process.argv.slice(2));
  let failed = false;
  for (const scenario of scenarios) {
    try {
      const r = scenario === 'persistent'
        ? await persistentScenario(opts.sizeGiven ? opts : { ...opts, size: PERSISTENT_SIZE })
        : scenario === 'queue' ? await queueScenario(opts, false)
        : scenario === 'queue-ack' ? await queueScenario(opts, true)
          : scenario === 'topic' ? await topicScenario(opts)
            : scenario === 'latency' ? await latencyScenario(opts)
              : scenario === 'connect' ? await connectScenario(opts)
                : await receiptsScenario(opts);
      process.stdout.write(formatLine(r) + '\n' + JSON.stringify(r) + '\n');
      if (r.timedOut) failed = true;
    } catch (err) {
      failed = true;
      process.stdout.write(`${opts.label ? opts.label + ' ' : ''}${scenario}: FAILED: ${(err as Error).message}\n`);
      process.stdout.write(JSON.stringify({ label: opts.label, scenario, error: (err as Error).message }) + '\n');
    }
    if (scenarios.length > 1) await sleep(1000);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
