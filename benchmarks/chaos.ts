/**
 * Chaos driver: producers of persistent messages (a receipt each) and client-individual consumers
 * (ACKs with receipts) run while session processes are SIGKILLed at random and, with --kill-hub, the
 * hub too (restarted on the same data directory and port). Then the queues are drained and the
 * clients' own records are checked: nothing receipted lost, nothing unsent delivered, nothing
 * delivered again after its ACK was receipted.
 *
 *   node dist/benchmarks/chaos.js [--seconds 30] [--kill-hub] [--producers 2] [--consumers 2] [--queues 2]
 *        [--window 10] [--prefetch 20] [--session-kill-ms 500,1500] [--hub-kill-ms 3000,6000]
 *        [--drain-seconds 120] [--seed N] [--out FILE] [--bin PATH] [--quiet]
 *
 * Prints a JSON summary (and writes it to --out); exits 1 on a violation. See benchmarks/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ClientContext, Consumer, Producer } from './chaos/clients.js';
import { Killer } from './chaos/killer.js';
import { Ledger, type LedgerReport } from './chaos/ledger.js';
import { queueStates, type QueueState } from './chaos/status.js';
import { BrokerProcess, REPO_ROOT } from './fuzz/broker-process.js';
import { runEnvironment } from './fuzz/machine.js';
import { Random } from './fuzz/random.js';

/** Command-line options. */
interface Options {
  seconds: number;
  killHub: boolean;
  producers: number;
  consumers: number;
  queues: number;
  window: number;
  prefetch: number;
  sessionKillMs: [number, number];
  hubKillMs: [number, number];
  drainSeconds: number;
  seed: number;
  out: string | undefined;
  bin: string | undefined;
  quiet: boolean;
}

function range(value: string): [number, number] {
  const [a, b] = value.split(',').map(Number);
  if (!Number.isFinite(a) || !Number.isFinite(b ?? a)) throw new Error(`bad range ${value}`);
  return [a, b ?? a];
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 30, killHub: false, producers: 2, consumers: 2, queues: 2, window: 10, prefetch: 20,
    sessionKillMs: [500, 1500], hubKillMs: [3000, 6000], drainSeconds: 120, seed: Math.floor(Math.random() * 2 ** 31),
    out: undefined, bin: undefined, quiet: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${flag} needs a value`); return v; };
    switch (flag) {
      case '--kill-hub': o.killHub = true; break;
      case '--quiet': o.quiet = true; break;
      case '--seconds': o.seconds = Number(next()); break;
      case '--producers': o.producers = Number(next()); break;
      case '--consumers': o.consumers = Number(next()); break;
      case '--queues': o.queues = Number(next()); break;
      case '--window': o.window = Number(next()); break;
      case '--prefetch': o.prefetch = Number(next()); break;
      case '--session-kill-ms': o.sessionKillMs = range(next()); break;
      case '--hub-kill-ms': o.hubKillMs = range(next()); break;
      case '--drain-seconds': o.drainSeconds = Number(next()); break;
      case '--seed': o.seed = Number(next()); break;
      case '--out': o.out = next(); break;
      case '--bin': o.bin = next(); break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return o;
}

/** Everything running during a chaos run. */
interface Run {
  broker: BrokerProcess;
  ctx: ClientContext;
  producers: Producer[];
  consumers: Consumer[];
  killer: Killer;
}

function startRun(opts: Options, broker: BrokerProcess, rnd: Random): Run {
  const ctx: ClientContext = {
    host: broker.host, port: () => broker.port, ledger: new Ledger(), sessionPids: new Set(), errors: [],
    queues: Array.from({ length: opts.queues }, (_, i) => `/queue/chaos.${i}`),
  };
  const producers = Array.from({ length: opts.producers }, (_, i) => new Producer(ctx, `p${i}`, opts.window));
  const consumers = Array.from({ length: opts.consumers }, (_, i) => new Consumer(ctx, `c${i}`, opts.prefetch));
  for (const c of [...consumers, ...producers]) c.start();
  const killer = new Killer(broker, ctx.sessionPids, rnd.fork(), {
    sessionEveryMs: opts.sessionKillMs, hubEveryMs: opts.killHub ? opts.hubKillMs : null,
  });
  killer.start();
  return { broker, ctx, producers, consumers, killer };
}

/** One progress line on stderr every 10 s. */
function progress(run: Run, startedAt: number): NodeJS.Timeout {
  return setInterval(() => {
    const r = run.killer.report;
    const s = (Date.now() - startedAt) / 1000;
    process.stderr.write(`chaos ${s.toFixed(0)} s: ${r.sessionKills} session kills, ${r.hubKills} hub kills, `
      + `${run.ctx.ledger.undelivered()} receipted not yet delivered\n`);
  }, 10_000);
}

/**
 * Stops the chaos and the producers, then lets the consumers drain the queues: until every receipted
 * message came, nothing came for 3 s and the broker reports the queues empty, or `drainSeconds` pass.
 */
async function drain(run: Run, opts: Options, dataDir: string): Promise<Record<string, QueueState> | null> {
  await run.killer.stop();
  for (const p of run.producers) p.sending = false;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await Promise.all(run.producers.map((p) => p.stop()));
  const deadline = Date.now() + opts.drainSeconds * 1000;
  let states: Record<string, QueueState> | null = null;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const quiet = performance.now() - run.ctx.ledger.lastDeliveryAt > 3000;
    if (run.ctx.ledger.undelivered() > 0 || !quiet) continue;
    states = await queueStates(dataDir, run.ctx.queues, opts.bin);
    if (states && Object.values(states).every((q) => q.depth === 0 && q.inFlight === 0)) break;
  }
  await Promise.all(run.consumers.map((c) => c.stop()));
  return states;
}

/** The violations among the results. */
function violationsOf(m: LedgerReport, run: Run, states: Record<string, QueueState> | null, opts: Options): string[] {
  const v: string[] = [];
  if (m.lost > 0) v.push(`${m.lost} receipted messages never delivered (e.g. ${m.examples.lost.join(', ')})`);
  if (m.phantom > 0) v.push(`${m.phantom} deliveries of messages never sent or with another body`);
  if (m.deliveredAfterAck > 0) {
    v.push(`${m.deliveredAfterAck} messages delivered again after their ACK was receipted (e.g. ${m.examples.deliveredAfterAck.join(', ')})`);
  }
  if (!opts.killHub && run.killer.report.unexpectedHubExits > 0) v.push(`the hub exited ${run.killer.report.unexpectedHubExits} times unasked`);
  if (opts.killHub && run.killer.report.unexpectedHubExits > 0) v.push(`the hub exited ${run.killer.report.unexpectedHubExits} times between kills`);
  if (!states) v.push('the broker did not report its queues at the end of the drain');
  else if (Object.values(states).some((q) => q.depth > 0 || q.inFlight > 0)) v.push(`queues not drained: ${JSON.stringify(states)}`);
  return v;
}

/** The JSON summary of a finished run, with its violations. */
function summarize(opts: Options, run: Run, states: Record<string, QueueState> | null, stopExit: string | null,
  startedAt: number): { summary: Record<string, unknown>; violations: string[] } {
  const messages = run.ctx.ledger.report();
  const violations = violationsOf(messages, run, states, opts);
  if (stopExit !== '0') violations.push(`the hub exited ${stopExit} at SIGTERM`);
  const clients = [...run.producers, ...run.consumers];
  const summary = {
    tool: 'chaos', mode: opts.killHub ? 'kill-hub' : 'kill-sessions', date: new Date().toISOString(),
    ...runEnvironment(REPO_ROOT), seed: opts.seed, options: { ...opts, out: undefined, quiet: undefined },
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
    kills: run.killer.report,
    clients: {
      producerConnections: run.producers.reduce((n, p) => n + p.connections, 0),
      consumerConnections: run.consumers.reduce((n, c) => n + c.connections, 0),
      stuckConnections: clients.reduce((n, c) => n + c.stuck, 0),
      errorFrames: run.ctx.errors.length, firstErrors: run.ctx.errors.slice(0, 10),
    },
    messages, queuesAtEnd: states, hubExitAtStop: stopExit,
    sessionExits: run.broker.stats.sessionExits,
    brokerErrorLog: { count: run.broker.stats.errorCount, first: run.broker.stats.errorLines.slice(0, 40) },
    violations,
  };
  return { summary, violations };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-chaos-'));
  const broker = new BrokerProcess({ bin: opts.bin, dataDir });
  const cleanUp = async () => {
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await broker.start();
    const startedAt = Date.now();
    const run = startRun(opts, broker, new Random(opts.seed));
    const ticker = opts.quiet ? null : progress(run, startedAt);
    await new Promise((resolve) => setTimeout(resolve, opts.seconds * 1000));
    const states = await drain(run, opts, dataDir);
    if (ticker) clearInterval(ticker);
    const { summary, violations } = summarize(opts, run, states, await broker.stop(), startedAt);
    const json = JSON.stringify(summary, null, 2);
    if (opts.out) fs.writeFileSync(opts.out, json + '\n');
    process.stdout.write(json + '\n');
    process.exitCode = violations.length > 0 ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

main().catch((err) => {
  process.stderr.write(`chaos: ${(err as Error).stack}\n`);
  process.exit(2);
});
