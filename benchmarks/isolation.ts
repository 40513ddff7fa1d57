/**
 * `npm run bench:isolation`: what a hostile client does to well-behaved ones, per broker.
 *
 *   npm run bench:isolation -- --target ours --target rabbitmq=127.0.0.1:61623 --target activemq=127.0.0.1:61614
 *     [--kinds big-sends,churn] [--duration 20] [--window 5,15] [--rate 2000] [--pairs 4] [--warmup 5]
 *     [--ours-args '--max-frame-size 100M'] [--out DIR]
 *
 * For each hostile kind (hostile.ts), for each target: start the target alone (brokers.sh; one already
 * listening is used as it is), a discarded warm-up of the well-behaved load, a quiet run (the load
 * alone) and a hostile run (the load, and the hostile client in its own process during the window),
 * stop. The load (steady-load.ts): 4 producers → 4 queues → 4 consumers, client-individual ACKs,
 * 2,000 msgs/s in all of 100 B, for 20 s, and a probe connecting every 500 ms that must get
 * CONNECTED within 1 s. Broker memory: PSS of the listening process and its descendants, every second.
 * Writes `<out>/isolation-<yyyy-mm-dd>-<commit>.json` and `.md`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { HOSTILE_KINDS, type HostileKind, type HostileReport } from './hostile.js';
import { isolationMarkdown, type IsolationFile, type IsolationRun, type MeasuredRun } from './isolation-report.js';
import { busyness, commitOf, machineInfo, REPO_ROOT, RESULTS_DIR, today, writeResults } from './machine.js';
import { MemorySampler } from './memory-sampler.js';
import { runSteadyLoad, type SteadyOptions } from './steady-load.js';
import { parseTargets, type Running, startTarget, stopOnInterrupt, stopTarget, type Target } from './targets.js';

interface Options {
  targets: Target[];
  kinds: HostileKind[];
  durationS: number;
  windowS: [number, number];
  rate: number;
  pairs: number;
  warmupS: number;
  oursArgs: string;
  out: string;
}

const USAGE = `usage: npm run bench:isolation -- --target ours --target rabbitmq=127.0.0.1:61623 ...
  --target T        ours, rabbitmq, activemq, activemq-nio, or NAME=HOST:PORT (repeatable, or comma-separated)
  --kinds LIST      among ${HOSTILE_KINDS.join(', ')} (all)
  --duration S      well-behaved load per run (20)       --window A,B   hostile client acts from A to B s (5,15)
  --rate R          well-behaved msgs/s in all (2000)    --pairs N      producers = consumers = queues (4)
  --warmup S        discarded warm-up of the load after each start (5; 0 = none)
  --ours-args ARGS  extra flags for our broker when this script starts it
  --out DIR         where the result files go (benchmarks/results)`;

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string[]>();
  const known = ['target', 'targets', 'kinds', 'duration', 'window', 'rate', 'pairs', 'warmup', 'ours-args', 'out'];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !known.includes(m[1])) {
      process.stderr.write(`unexpected argument '${argv[i]}'\n${USAGE}\n`);
      process.exit(2);
    }
    const name = m[1] === 'targets' ? 'target' : m[1];
    flags.set(name, [...(flags.get(name) ?? []), m[2] ?? argv[++i] ?? '']);
  }
  const one = (name: string) => flags.get(name)?.at(-1);
  const kinds = (one('kinds')?.split(',').filter(Boolean) ?? [...HOSTILE_KINDS]) as HostileKind[];
  for (const k of kinds) if (!HOSTILE_KINDS.includes(k)) throw new Error(`unknown hostile kind '${k}'`);
  const [a, b] = (one('window') ?? '5,15').split(',').map(Number);
  return {
    targets: parseTargets(flags.get('target') ?? ['ours']), kinds, durationS: Number(one('duration') ?? 20),
    windowS: [a, b], rate: Number(one('rate') ?? 2000), pairs: Number(one('pairs') ?? 4),
    warmupS: Number(one('warmup') ?? 5), oursArgs: one('ours-args') ?? '', out: path.resolve(one('out') ?? RESULTS_DIR),
  };
}

function steadyOptions(opts: Options, target: Target, durationS: number): SteadyOptions {
  return {
    conn: target.conn, pairs: opts.pairs, rate: opts.rate, size: 100, durationMs: durationS * 1000,
    windowMs: [opts.windowS[0] * 1000, opts.windowS[1] * 1000], prefetch: 100, probeEveryMs: 500,
    probeTimeoutMs: 1000, prefix: 'iso.load', drainMs: 10_000,
  };
}

/** Starts hostile-cli.js for the window's length; resolves with its report (or what went wrong). */
function hostileChild(kind: HostileKind, target: Target, durationMs: number): Promise<HostileReport> {
  const c = target.conn;
  const args = [path.join(REPO_ROOT, 'dist', 'benchmarks', 'hostile-cli.js'), '--kind', kind, '--host', c.host,
    '--port', String(c.port), '--vhost', c.vhost ?? '/', '--duration-ms', String(durationMs),
    ...(c.login !== undefined ? ['--login', c.login] : []), ...(c.passcode !== undefined ? ['--passcode', c.passcode] : []),
    ...(target.kind === 'ours' ? ['--ours'] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=4096', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), durationMs + 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      resolve(line ? JSON.parse(line) as HostileReport
        : { kind, actions: 0, detail: {}, errors: [`hostile client exited ${code ?? signal}: ${err.trim().slice(-300)}`] });
    });
  });
}

/** One measured run of the well-behaved load, with the hostile client in the window when `kind` is set. */
async function measuredRun(opts: Options, running: Running, kind: HostileKind | null): Promise<MeasuredRun> {
  const busy = await busyness();
  const sampler = new MemorySampler(running.pid);
  sampler.start();
  const hostile: { report?: Promise<HostileReport> } = {};
  const windowMs = (opts.windowS[1] - opts.windowS[0]) * 1000;
  const steady = await runSteadyLoad(steadyOptions(opts, running.target, opts.durationS), () => {
    if (!kind) return;
    hostile.report = new Promise((resolve) => setTimeout(() =>
      resolve(hostileChild(kind, running.target, windowMs)), opts.windowS[0] * 1000));
  });
  const hostileReport = hostile.report ? await hostile.report : undefined;
  return { ...busy, steady, memory: await sampler.stop(), hostile: hostileReport };
}

/** The target being measured, so that Ctrl-C stops it. */
let current: Running | null = null;

async function onePair(opts: Options, kind: HostileKind, target: Target): Promise<IsolationRun> {
  const base = { kind, target: target.name, address: `${target.conn.host}:${target.conn.port}` };
  try {
    current = await startTarget(target, opts.oursArgs);
  } catch (err) {
    return { ...base, managed: true, error: (err as Error).message };
  }
  const running = current;
  try {
    if (opts.warmupS > 0) await runSteadyLoad(steadyOptions(opts, target, opts.warmupS)).catch(() => {});
    const quiet = await measuredRun(opts, running, null);
    const hostile = await measuredRun(opts, running, kind);
    return { ...base, managed: running.managed, quiet, hostile };
  } catch (err) {
    return { ...base, managed: running.managed, error: (err as Error).message };
  } finally {
    await stopTarget(running).catch((err) => process.stderr.write(`${(err as Error).message}\n`));
    current = null;
  }
}

function progress(r: IsolationRun): string {
  if (r.error || !r.quiet || !r.hostile) return `${r.kind} ${r.target}: FAILED: ${r.error}\n`;
  const q = r.quiet.steady;
  const h = r.hostile.steady;
  return `${r.kind.padEnd(15)} ${r.target.padEnd(10)} p50 ${q.p50Ms} → ${h.p50Ms} ms, p99 ${q.p99Ms} → ${h.p99Ms} ms, `
    + `lost ${q.lost}/${h.lost}, probes failed ${q.probes.failed}/${h.probes.failed}, `
    + `memory peak ${r.quiet.memory.peakMiB} → ${r.hostile.memory.peakMiB} MiB; hostile ${JSON.stringify(r.hostile.hostile?.detail)}\n`;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  stopOnInterrupt(() => current);
  const { commit, dirty } = commitOf();
  const machine = machineInfo();
  const runs: IsolationRun[] = [];
  for (const kind of opts.kinds) {
    for (const target of opts.targets) {
      const r = await onePair(opts, kind, target);
      runs.push(r);
      process.stderr.write(progress(r));
    }
  }
  const file: IsolationFile = {
    kind: 'isolation', date: today(), commit, dirty, command: `npm run bench:isolation -- ${process.argv.slice(2).join(' ')}`,
    machine, targets: opts.targets.map((t) => t.name),
    load: { pairs: opts.pairs, rate: opts.rate, size: 100, durationS: opts.durationS, windowS: opts.windowS },
    runs,
  };
  const markdown = isolationMarkdown(file);
  const base = writeResults(opts.out, `isolation-${file.date}-${commit}`, { json: JSON.stringify(file, null, 1) + '\n', md: markdown });
  process.stdout.write(markdown);
  process.stderr.write(`wrote ${base}.json, .md\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
