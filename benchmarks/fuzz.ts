/**
 * Fuzz driver: throws mutated STOMP frames at the broker from many short-lived connections while a
 * control client keeps a persistent queue going, and checks that only the guilty connection suffers.
 *
 *   node dist/benchmarks/fuzz.js [--frames 5000] [--mutated 0] [--concurrency 6] [--streams 2]
 *        [--seed N] [--out FILE] [--host H --port P] [--max-seconds S] [--mutation-rate 0.3]
 *        [--stream-mutation-rate 0.002] [--probe-rate 0.05] [--quiet]
 *
 * Without --port it starts `bin/stomp-broker` on a fresh data directory (removed at the end). Prints a
 * JSON summary (and writes it to --out); exits 1 on any violation. See benchmarks/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrokerLogStats, BrokerProcess, REPO_ROOT } from './fuzz/broker-process.js';
import { captureCorpus, type CorpusFrame } from './fuzz/corpus.js';
import { ControlClient, type ControlReport, Sink } from './fuzz/control.js';
import { type EpisodeContext, runEpisode } from './fuzz/episode.js';
import { runEnvironment } from './fuzz/machine.js';
import { Random } from './fuzz/random.js';
import { Tally } from './fuzz/tally.js';

/** Command-line options. */
interface Options {
  frames: number;
  mutated: number;
  concurrency: number;
  streams: number;
  seed: number;
  host: string;
  port: number;
  bin: string | undefined;
  maxSeconds: number;
  mutationRate: number;
  streamMutationRate: number;
  probeRate: number;
  out: string | undefined;
  quiet: boolean;
}

const DEFAULTS: Options = {
  frames: 5000, mutated: 0, concurrency: 6, streams: 2, seed: 0, host: '127.0.0.1', port: 0, bin: undefined,
  maxSeconds: 3 * 3600, mutationRate: 0.3, streamMutationRate: 0.002, probeRate: 0.05, out: undefined, quiet: false,
};

/** Flags and the option each sets; numeric unless listed in STRING_FLAGS. */
const FLAGS: Record<string, keyof Options> = {
  '--frames': 'frames', '--mutated': 'mutated', '--concurrency': 'concurrency', '--streams': 'streams',
  '--seed': 'seed', '--host': 'host', '--port': 'port', '--bin': 'bin', '--max-seconds': 'maxSeconds',
  '--mutation-rate': 'mutationRate', '--stream-mutation-rate': 'streamMutationRate', '--probe-rate': 'probeRate',
  '--out': 'out',
};
const STRING_FLAGS = new Set(['--host', '--bin', '--out']);

function parseArgs(argv: string[]): Options {
  const opts: Options = { ...DEFAULTS, seed: Math.floor(Math.random() * 2 ** 31) };
  const set = opts as unknown as Record<string, unknown>;
  for (let i = 2; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quiet') {
      opts.quiet = true;
      continue;
    }
    const key = FLAGS[flag];
    const value = argv[++i];
    if (!key || value === undefined) throw new Error(`unknown option or missing value: ${flag}`);
    if (STRING_FLAGS.has(flag)) set[key] = value;
    else if (Number.isFinite(Number(value))) set[key] = Number(value);
    else throw new Error(`${flag} needs a number`);
  }
  return opts;
}

/** The target: our own broker process, or an address given on the command line. */
interface Target {
  host: string;
  port: number;
  broker: BrokerProcess | null;
  dataDir: string | null;
}

async function startTarget(opts: Options): Promise<Target> {
  if (opts.port) return { host: opts.host, port: opts.port, broker: null, dataDir: null };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-fuzz-'));
  const broker = new BrokerProcess({ bin: opts.bin, dataDir });
  await broker.start();
  return { host: broker.host, port: broker.port, broker, dataDir };
}

/**
 * Runs the connection loops until the frame and mutated-frame targets or the time limit: `concurrency`
 * mutation loops (short connections, many mutated frames, bounded by how fast the broker can start
 * session processes) and `streams` stream loops (long connections of mostly valid frames: the volume).
 */
async function fuzz(opts: Options, target: Target, corpus: CorpusFrame[], tally: Tally, rnd: Random): Promise<void> {
  const endAt = Date.now() + opts.maxSeconds * 1000;
  const done = () => (tally.frames >= opts.frames && tally.mutatedFrames >= opts.mutated)
    || Date.now() >= endAt || (target.broker !== null && !target.broker.alive);
  const base = { host: target.host, port: target.port, corpus, tally, probeRate: opts.probeRate, done };
  const mutation: EpisodeContext = { ...base, mutationRate: opts.mutationRate, preConnectRate: 0.15, maxFramesPerConnection: 200 };
  const stream: EpisodeContext = { ...base, mutationRate: opts.streamMutationRate, preConnectRate: 0, maxFramesPerConnection: 20_000 };
  const loop = async (ctx: EpisodeContext, r: Random) => {
    while (!ctx.done()) await runEpisode(ctx, r.fork());
  };
  await Promise.all([
    ...Array.from({ length: opts.concurrency }, () => loop(mutation, rnd.fork())),
    ...Array.from({ length: opts.streams }, () => loop(stream, rnd.fork())),
  ]);
}

/** One progress line on stderr every 10 s. */
function progress(tally: Tally, target: Target, startedAt: number): NodeJS.Timeout {
  return setInterval(() => {
    const s = (Date.now() - startedAt) / 1000;
    process.stderr.write(`fuzz ${s.toFixed(0)} s: ${tally.frames} frames (${tally.mutatedFrames} mutated, `
      + `${(tally.frames / s).toFixed(0)}/s), ${tally.connections} connections, ${tally.violationCount} violations`
      + `${target.broker ? `, hub ${(target.broker.rssKb() / 1024).toFixed(0)} MiB` : ''}\n`);
  }, 10_000);
}

/** Sorted copy of a count table, largest first, at most `n` rows. */
function top(counts: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, n));
}

/** Checks the bystanders and the hub; adds violations to the tally. */
function judge(tally: Tally, control: ControlReport, sink: { errors: string[] }, target: Target, hubAlive: boolean,
  log: BrokerLogStats | null): void {
  const add = (kind: string, detail: string) => tally.violation({ kind, detail });
  if (!hubAlive) add('hub-died', `hub exited (${target.broker?.lastExit}) during the run`);
  for (const e of control.errors) add('control', e);
  if (control.duplicates > 0) add('control', `${control.duplicates} messages delivered twice`);
  if (control.outOfOrder > 0) add('control', `${control.outOfOrder} messages out of order`);
  if (control.redelivered > 0) add('control', `${control.redelivered} messages flagged redelivered`);
  for (const e of sink.errors) add('sink', e);
  for (const [status, n] of Object.entries(log?.sessionExits ?? {})) {
    if (status !== '0') add('session-crash', `${n} session(s) exited with ${status}`);
  }
  if (log && log.errorCount > 0) add('broker-error-log', `${log.errorCount} error lines or stack traces in the broker's log`);
}

/** What a finished run saw, beside the tally. */
interface RunEnd {
  corpusFrames: number;
  startedAt: number;
  hubAlive: boolean;
  log: BrokerLogStats | null;
  control: ControlReport;
  sink: { received: number; errors: string[] };
  rssStartKb: number;
  rssEndKb: number;
  stopExit: string | null;
}

/** The JSON summary of a run. */
function summarize(opts: Options, target: Target, tally: Tally, end: RunEnd): Record<string, unknown> {
  return {
    tool: 'fuzz', date: new Date().toISOString(), ...runEnvironment(REPO_ROOT), seed: opts.seed,
    options: { ...opts, out: undefined, quiet: undefined, target: target.broker ? 'own broker (bin/stomp-broker, defaults)' : `${opts.host}:${opts.port}` },
    seconds: Math.round((Date.now() - end.startedAt) / 100) / 10,
    frames: { total: tally.frames, valid: tally.validFrames, mutated: tally.mutatedFrames, probes: tally.probes, bytes: tally.bytesSent },
    corpusFrames: end.corpusFrames,
    connections: { total: tally.connections, mutatedBeforeConnect: tally.preConnectConnections },
    phaseSeconds: Object.fromEntries(Object.entries(tally.phaseMs).map(([k, v]) => [k, Math.round(v / 100) / 10])),
    outcomes: tally.outcomes, byOperator: tally.byOperator, errorTitles: top(tally.errorTitles, 40),
    hub: { alive: end.hubAlive, exitAtStop: end.stopExit, rssStartMiB: Math.round(end.rssStartKb / 1024), rssEndMiB: Math.round(end.rssEndKb / 1024) },
    sessionExits: end.log?.sessionExits ?? null,
    brokerErrorLog: end.log ? { count: end.log.errorCount, first: end.log.errorLines.slice(0, 40) } : null,
    control: end.control, sink: end.sink,
    violations: { count: tally.violationCount, byKind: tally.violationsByKind, first: tally.violations },
  };
}

/** Captures the corpus, runs the bystanders and the connection loops, then stops and judges. */
async function run(opts: Options, target: Target, tally: Tally): Promise<RunEnd> {
  const startedAt = Date.now();
  const rssStartKb = target.broker?.rssKb() ?? 0;
  const corpus = await captureCorpus(target.host, target.port);
  const control = await ControlClient.start(target.host, target.port);
  const sink = await Sink.start(target.host, target.port);
  const ticker = opts.quiet ? null : progress(tally, target, startedAt);
  await fuzz(opts, target, corpus, tally, new Random(opts.seed));
  if (ticker) clearInterval(ticker);
  const hubAlive = target.broker ? target.broker.alive : true;
  // What the log said during the run; the stop itself (SIGTERM to sessions still forking) is not judged.
  const log: BrokerLogStats | null = target.broker ? structuredClone(target.broker.stats) : null;
  const end: RunEnd = {
    corpusFrames: corpus.length, startedAt, hubAlive, log, control: await control.finish(), sink: await sink.stop(),
    rssStartKb, rssEndKb: target.broker?.rssKb() ?? 0, stopExit: await target.broker?.stop() ?? null,
  };
  if (target.broker && end.stopExit !== '0') tally.violation({ kind: 'hub-stop', detail: `hub exited ${end.stopExit} at SIGTERM` });
  judge(tally, end.control, end.sink, target, hubAlive, log);
  return end;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  const target = await startTarget(opts);
  const tally = new Tally();
  tally.onViolation = (v) => process.stderr.write(`VIOLATION ${v.kind}: ${v.detail}${v.operator ? ` (${v.operator}, ${v.version})` : ''}\n`);
  const cleanUp = async () => {
    await target.broker?.stop();
    if (target.dataDir) fs.rmSync(target.dataDir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const end = await run(opts, target, tally);
    const json = JSON.stringify(summarize(opts, target, tally, end), null, 2);
    if (opts.out) fs.writeFileSync(opts.out, json + '\n');
    process.stdout.write(json + '\n');
    process.exitCode = tally.violationCount > 0 ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

main().catch((err) => {
  process.stderr.write(`fuzz: ${(err as Error).stack}\n`);
  process.exit(2);
});
