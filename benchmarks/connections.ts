/**
 * `npm run bench:connections`: the connection goals, per target (each started alone, as in matrix.ts).
 *
 *   npm run bench:connections -- --target ours --target rabbitmq --target activemq
 *     [--sequential 200] [--at-once 200] [--churn 5000] [--burst 50] [--load-duration 20] [--ours-args ARGS] [--out DIR]
 *
 * 1. memory idle: PSS of the broker's processes (ours: hub + idle sessions, and each apart);
 * 2. `--sequential` connections one after another (CONNECT → CONNECTED → DISCONNECT): conn/s;
 * 3. `--at-once` connections opened together: all CONNECTED within 10 s? how many refused; the
 *    broker's PSS with them connected and idle, and per connection;
 * 4. ours only: a burst of `--burst` connections past the idle session pool — sessions started per
 *    second — against the floor measured in the same run: how fast this machine starts empty
 *    `node -e 0` children, one at a time and `--burst` at a time;
 * 5. `--churn` connect/abort cycles (hostile.ts `churn`, its own process) while the well-behaved load
 *    of the isolation benchmark runs: cycles/s, and the load's latency, losses and probes.
 * Writes `<out>/connections-<yyyy-mm-dd>-<commit>.json` and `.md`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { StompClient } from './client.js';
import { connectionsMarkdown, type ConnectionsFile, type TargetConnections } from './connections-report.js';
import type { HostileReport } from './hostile.js';
import { commitOf, machineInfo, REPO_ROOT, RESULTS_DIR, today, writeResults } from './machine.js';
import { childrenOf, memoryOf, treePss } from './proc.js';
import { Samples, sleep } from './scenarios.js';
import { runSteadyLoad } from './steady-load.js';
import { parseTargets, type Running, startTarget, stopTarget, type Target } from './targets.js';

interface Options {
  targets: Target[];
  sequential: number;
  atOnce: number;
  churn: number;
  burst: number;
  loadDurationS: number;
  oursArgs: string;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string[]>();
  const known = ['target', 'targets', 'sequential', 'at-once', 'churn', 'burst', 'load-duration', 'ours-args', 'out'];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !known.includes(m[1])) throw new Error(`unexpected argument '${argv[i]}' (options: ${known.join(', ')})`);
    const name = m[1] === 'targets' ? 'target' : m[1];
    flags.set(name, [...(flags.get(name) ?? []), m[2] ?? argv[++i] ?? '']);
  }
  const one = (name: string) => flags.get(name)?.at(-1);
  const int = (name: string, fallback: number) => Math.max(0, Math.floor(Number(one(name) ?? fallback)));
  return {
    targets: parseTargets(flags.get('target') ?? ['ours']), sequential: int('sequential', 200), atOnce: int('at-once', 200),
    churn: int('churn', 5000), burst: int('burst', 50), loadDurationS: int('load-duration', 20),
    oursArgs: one('ours-args') ?? '', out: path.resolve(one('out') ?? RESULTS_DIR),
  };
}

const MiB = (kb: number) => Math.round((kb / 1024) * 10) / 10;
const r2 = (n: number) => Math.round(n * 100) / 100;

/** Memory of the idle broker: everything, and for ours the hub and the median idle session. */
function idleMemory(running: Running): TargetConnections['idle'] {
  if (running.pid === null) return undefined;
  const total = treePss(running.pid);
  const hub = memoryOf(running.pid);
  const sessions = running.target.kind === 'ours'
    ? childrenOf(running.pid).map((p) => memoryOf(p)?.pssKb ?? NaN).filter(Number.isFinite).sort((a, b) => a - b) : [];
  return { totalPssMiB: MiB(total.pssKb), processes: total.processes, mainPssMiB: MiB(hub?.pssKb ?? NaN),
    idleSessionPssMiB: sessions.length ? MiB(sessions[Math.floor(sessions.length / 2)]) : undefined };
}

/** `n` connections one after another: CONNECT → CONNECTED → DISCONNECT (receipt) → close. */
async function sequential(target: Target, n: number): Promise<TargetConnections['sequential']> {
  const latency = new Samples();
  const t0 = performance.now();
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    try {
      const c = await StompClient.connect({ ...target.conn, timeoutMs: 10_000 });
      latency.add(performance.now() - t);
      await c.disconnect(3000);
      c.destroy();
    } catch {
      failed++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { n, failed, seconds: r2(s), perSec: r2(n / s), ...latency.summary() };
}

/** `n` connections opened together; counts CONNECTED within 10 s and refusals, measures PSS with them. */
async function atOnce(target: Target, running: Running, n: number): Promise<TargetConnections['atOnce']> {
  const t0 = performance.now();
  const times: number[] = [];
  const reasons = new Map<string, number>();
  const attempts = Array.from({ length: n }, () => StompClient.connect({ ...target.conn, timeoutMs: 10_000 })
    .then((c) => {
      times.push(performance.now() - t0);
      return c;
    }, (err: Error) => {
      const reason = err.message.slice(0, 120);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      return null;
    }));
  const clients = (await Promise.all(attempts)).filter((c): c is StompClient => c !== null);
  await sleep(1000);
  const pss = running.pid === null ? NaN : treePss(running.pid).pssKb;
  await Promise.all(clients.map((c) => c.disconnect(3000).catch(() => {})));
  for (const c of clients) c.destroy();
  return { n, connected: clients.length, refusedOrTimedOut: n - clients.length,
    reasons: Object.fromEntries(reasons), allWithin10s: clients.length === n,
    lastConnectedMs: Math.round(Math.max(0, ...times)), pssConnectedMiB: MiB(pss) };
}

/** Time to start `n` empty node children, `parallel` at a time; per second. */
async function nodeStartRate(n: number, parallel: number): Promise<number> {
  const one = () => new Promise<void>((resolve) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
    .once('exit', () => resolve()));
  const t0 = performance.now();
  for (let started = 0; started < n; started += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, n - started) }, one));
  }
  return r2(n / ((performance.now() - t0) / 1000));
}

/** Waits until ours' hub has had the same number of children for 2 s (the pool is settled). */
async function poolSettled(hubPid: number): Promise<number> {
  let last = -1;
  let since = performance.now();
  for (const deadline = performance.now() + 60_000; performance.now() < deadline; await sleep(250)) {
    const n = childrenOf(hubPid).length;
    if (n !== last) {
      last = n;
      since = performance.now();
    } else if (performance.now() - since >= 2000) break;
  }
  return last;
}

/** Ours: a burst of `burst` connections past the idle pool, against the node start floor. */
async function burstPastPool(target: Target, running: Running, burst: number): Promise<TargetConnections['burst']> {
  if (target.kind !== 'ours' || running.pid === null) return undefined;
  const floorOneAtATime = await nodeStartRate(20, 1);
  const floorParallel = await nodeStartRate(burst, burst);
  const idle = await poolSettled(running.pid);
  const n = idle + burst;
  const t0 = performance.now();
  const clients = await Promise.all(Array.from({ length: n }, () =>
    StompClient.connect({ ...target.conn, timeoutMs: 60_000 }).catch(() => null)));
  const seconds = (performance.now() - t0) / 1000;
  const ok = clients.filter((c): c is StompClient => c !== null);
  await Promise.all(ok.map((c) => c.disconnect(3000).catch(() => {})));
  for (const c of ok) c.destroy();
  const perSec = r2(burst / seconds);
  return { idleSessions: idle, connections: n, connected: ok.length, seconds: r2(seconds), sessionStartsPerSec: perSec,
    nodeFloorOneAtATimePerSec: floorOneAtATime, nodeFloorParallelPerSec: floorParallel,
    ofParallelFloor: r2(perSec / floorParallel) };
}

/** The churn hostile client in its own process for `durationMs`. */
function churnChild(target: Target, cycles: number, durationMs: number): Promise<HostileReport | null> {
  const c = target.conn;
  const args = [path.join(REPO_ROOT, 'dist', 'benchmarks', 'hostile-cli.js'), '--kind', 'churn', '--count', String(cycles),
    '--host', c.host, '--port', String(c.port), '--duration-ms', String(durationMs)];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      resolve(line ? JSON.parse(line) as HostileReport : null);
    });
  });
}

/** `cycles` connect/abort cycles while the isolation benchmark's well-behaved load runs. */
async function churnUnderLoad(target: Target, o: Options): Promise<TargetConnections['churn']> {
  const durationMs = o.loadDurationS * 1000;
  let churn: Promise<HostileReport | null> = Promise.resolve(null);
  const steady = await runSteadyLoad({
    conn: target.conn, pairs: 4, rate: 2000, size: 100, durationMs, windowMs: [1000, durationMs - 1000], prefetch: 100,
    probeEveryMs: 500, probeTimeoutMs: 1000, prefix: 'conn.load', drainMs: 10_000,
  }, () => (churn = churnChild(target, o.churn, durationMs - 2000)));
  const report = await churn;
  return { cycles: Number(report?.detail.cycles ?? 0), seconds: Number(report?.detail.seconds ?? NaN),
    failed: Number(report?.detail.failed ?? NaN), errors: report?.errors ?? ['churn client gave no report'], steady };
}

async function measure(o: Options, target: Target): Promise<TargetConnections> {
  const base = { target: target.name, address: `${target.conn.host}:${target.conn.port}` };
  let running: Running;
  try {
    running = await startTarget(target, o.oursArgs);
  } catch (err) {
    return { ...base, managed: true, error: (err as Error).message };
  }
  try {
    await sleep(2000);
    const idle = idleMemory(running);
    const seq = await sequential(target, o.sequential);
    const together = await atOnce(target, running, o.atOnce);
    const burst = await burstPastPool(target, running, o.burst);
    const churn = o.churn > 0 ? await churnUnderLoad(target, o) : undefined;
    return { ...base, managed: running.managed, idle, sequential: seq, atOnce: together, burst, churn };
  } catch (err) {
    return { ...base, managed: running.managed, error: (err as Error).message };
  } finally {
    await stopTarget(running).catch((err) => process.stderr.write(`${(err as Error).message}\n`));
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const { commit, dirty } = commitOf();
  const results: TargetConnections[] = [];
  for (const target of o.targets) {
    results.push(await measure(o, target));
    process.stderr.write(`${target.name}: ${JSON.stringify(results.at(-1)).slice(0, 600)}\n`);
  }
  const file: ConnectionsFile = {
    kind: 'connections', date: today(), commit, dirty, command: `npm run bench:connections -- ${process.argv.slice(2).join(' ')}`,
    machine: machineInfo(), options: { sequential: o.sequential, atOnce: o.atOnce, churn: o.churn, burst: o.burst,
      loadDurationS: o.loadDurationS }, results,
  };
  const markdown = connectionsMarkdown(file);
  const base = writeResults(o.out, `connections-${file.date}-${commit}`, { json: JSON.stringify(file, null, 1) + '\n', md: markdown });
  process.stdout.write(markdown);
  process.stderr.write(`wrote ${base}.json, .md\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
