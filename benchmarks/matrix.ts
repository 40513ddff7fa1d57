/**
 * `npm run bench`: every scenario of matrix-scenarios.ts against every target, repeated, interleaved.
 *
 *   npm run bench -- --targets ours,rabbitmq,activemq,activemq-nio --reps 3
 *     [--scenarios queue,latency-1k] [--scale 1] [--warmup 0.1] [--duration 120] [--ours-args '--prefork 8']
 *     [--out DIR]
 *
 * Order: for each repetition, for each scenario, for each target: start the target alone (brokers.sh;
 * a target already listening is used as it is), a discarded warm-up run at `--warmup` × the size,
 * the machine's 1-minute load average and idle CPU over one second, the measured run (run.js in its
 * own process), stop. Writes `<out>/<yyyy-mm-dd>-<commit>.json` (every run, the machine), `.md`
 * (medians of the valid runs; ours ÷ best other) and `.svg` (vega-lite chart).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chartSvg } from './chart.js';
import { busyness, commitOf, machineInfo, REPO_ROOT, RESULTS_DIR, today, writeResults } from './machine.js';
import { MATRIX, type MatrixScenario, runArgs } from './matrix-scenarios.js';
import { type MatrixFile, markdownOf, mediansOf, type RunRecord } from './report.js';
import type { ScenarioResult } from './scenarios.js';
import { parseTargets, type Running, startTarget, stopOnInterrupt, stopTarget, type Target } from './targets.js';

interface Options {
  targets: Target[];
  reps: number;
  scenarios: MatrixScenario[];
  scale: number;
  warmup: number;
  durationS: number;
  oursArgs: string;
  out: string;
}

const USAGE = `usage: npm run bench -- --targets ours,rabbitmq,activemq,activemq-nio [--reps 3]
  --targets LIST     names (ours, rabbitmq, activemq, activemq-nio) or NAME=HOST:PORT, comma-separated
  --reps N           repetitions (3)
  --scenarios LIST   ids among: ${MATRIX.map((s) => s.id).join(', ')} (all)
  --scale X          multiply every message count by X (1)
  --warmup X         discarded warm-up run at X × the size before each run (0.1; 0 = none)
  --duration S       time limit of one run (120)
  --ours-args ARGS   extra flags for our broker when this script starts it
  --out DIR          where the result files go (benchmarks/results)`;

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !['targets', 'target', 'reps', 'scenarios', 'scale', 'warmup', 'duration', 'ours-args', 'out'].includes(m[1])) {
      process.stderr.write(`unexpected argument '${argv[i]}'\n${USAGE}\n`);
      process.exit(2);
    }
    const name = m[1] === 'target' ? 'targets' : m[1];
    flags.set(name, [...(flags.get(name) ?? []), m[2] ?? argv[++i] ?? '']);
  }
  const one = (name: string) => flags.get(name)?.at(-1);
  const num = (name: string, fallback: number) => {
    const n = Number(one(name) ?? fallback);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
    return n;
  };
  const ids = one('scenarios')?.split(',').filter(Boolean);
  const scenarios = ids ? ids.map((id) => {
    const s = MATRIX.find((x) => x.id === id);
    if (!s) throw new Error(`unknown scenario '${id}'`);
    return s;
  }) : MATRIX;
  return {
    targets: parseTargets(flags.get('targets') ?? ['ours']), reps: Math.max(1, Math.floor(num('reps', 3))), scenarios,
    scale: num('scale', 1), warmup: num('warmup', 0.1), durationS: num('duration', 120),
    oursArgs: one('ours-args') ?? '', out: path.resolve(one('out') ?? RESULTS_DIR),
  };
}

/** Runs run.js once in its own process; resolves with its JSON result or rejects with why not. */
function runChild(s: MatrixScenario, target: Target, scale: number, durationS: number, label: string): Promise<ScenarioResult> {
  const c = target.conn;
  const args = [path.join(REPO_ROOT, 'dist', 'benchmarks', 'run.js'), ...runArgs(s, scale), '--host', c.host,
    '--port', String(c.port), '--vhost', c.vhost ?? '/', '--duration', String(durationS), '--label', label,
    ...(c.login !== undefined ? ['--login', c.login] : []), ...(c.passcode !== undefined ? ['--passcode', c.passcode] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (durationS + 60) * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const json = out.split('\n').filter((l) => l.startsWith('{')).at(-1);
      const parsed = json ? JSON.parse(json) as ScenarioResult & { error?: string } : null;
      if (parsed && !parsed.error) resolve(parsed);
      else reject(new Error(parsed?.error ?? `run.js exited ${code ?? signal}: ${out.trim().slice(-300)}`));
    });
  });
}

/** The target being measured, so that Ctrl-C stops it. */
let current: Running | null = null;

async function oneRun(opts: Options, rep: number, s: MatrixScenario, target: Target): Promise<RunRecord> {
  const base = { rep, scenario: s.id, target: target.name, address: `${target.conn.host}:${target.conn.port}` };
  const startedAt = new Date().toISOString();
  try {
    current = await startTarget(target, opts.oursArgs);
  } catch (err) {
    return { ...base, managed: true, startedAt, loadAvg1: NaN, idleCpuPct: NaN, error: (err as Error).message, valid: false };
  }
  const running = current;
  try {
    if (opts.warmup > 0) await runChild(s, target, opts.scale * opts.warmup, opts.durationS, 'warmup').catch(() => {});
    const busy = await busyness();
    const record = { ...base, managed: running.managed, startedAt, ...busy };
    try {
      const result = await runChild(s, target, opts.scale, opts.durationS, target.name);
      return { ...record, result, valid: result.valid };
    } catch (err) {
      return { ...record, error: (err as Error).message, valid: false };
    }
  } finally {
    await stopTarget(running).catch((err) => process.stderr.write(`${(err as Error).message}\n`));
    current = null;
  }
}

function progress(r: RunRecord): string {
  const what = r.result
    ? `${r.result.msgsPerSec.toLocaleString('en-US')}/s p50 ${r.result.p50Ms ?? '–'} p99 ${r.result.p99Ms ?? '–'} ms`
    + `${r.valid ? '' : ` INVALID (${r.result.notes})`}`
    : `FAILED: ${r.error}`;
  return `rep ${r.rep} ${r.scenario.padEnd(11)} ${r.target.padEnd(13)} load ${r.loadAvg1} idle ${r.idleCpuPct}%: ${what}\n`;
}

async function writeFiles(file: MatrixFile, out: string): Promise<string> {
  return writeResults(out, `${file.date}-${file.commit}`,
    { json: JSON.stringify(file, null, 1) + '\n', md: markdownOf(file), svg: await chartSvg(file) });
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  stopOnInterrupt(() => current);
  const { commit, dirty } = commitOf();
  const machine = machineInfo();
  const runs: RunRecord[] = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const s of opts.scenarios) {
      for (const target of opts.targets) {
        const record = await oneRun(opts, rep, s, target);
        runs.push(record);
        process.stderr.write(progress(record));
      }
    }
  }
  const targets = opts.targets.map((t) => t.name);
  const file: MatrixFile = {
    kind: 'matrix', date: today(), commit, dirty, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    machine, targets, reps: opts.reps, scenarios: opts.scenarios, runs, medians: mediansOf(runs, targets, opts.scenarios),
  };
  const base = await writeFiles(file, opts.out);
  process.stdout.write(markdownOf(file));
  process.stderr.write(`wrote ${base}.json, .md, .svg\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
