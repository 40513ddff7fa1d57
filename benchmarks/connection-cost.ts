/**
 * The price of one process per client, on OUR broker only. Starts the broker itself on a free port
 * with its own temporary data directory, measures, stops it.
 *
 *   node dist/benchmarks/connection-cost.js [--bin bin/stomp-broker] [--prefork 4] [--warm 20]
 *     [--cold 5] [--burst 100]
 *
 * (a) time from TCP connect to CONNECTED with an idle pre-forked session ready (warm), and for the
 *     client that arrives when the pool is exhausted (cold: prefork+1 clients connect at once);
 * (b) sessions started per second, and CPU per session start, under a burst of --burst connections;
 * (c) memory of one idle session process, and of one serving a connected, subscribed, idle client
 *     (RSS, and PSS/USS, since most of a forked Node's RSS is shared pages of the node binary);
 * (d) hub RSS idle and with the burst's clients connected;
 * (e) broker CPU (hub + sessions) while the burst's clients sit connected and silent.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectTimings, StompClient } from './client.js';
import { childrenOf, type Memory, memoryOf, processCpuMs } from './proc.js';

interface Options {
  bin: string;
  prefork: number;
  warm: number;
  cold: number;
  burst: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !['bin', 'prefork', 'warm', 'cold', 'burst'].includes(m[1])) {
      process.stderr.write(`usage: node dist/benchmarks/connection-cost.js [--bin PATH] [--prefork N] `
        + `[--warm K] [--cold K] [--burst N]\n`);
      process.exit(2);
    }
    flags.set(m[1], m[2] ?? argv[++i] ?? '');
  }
  const int = (name: string, fallback: number) => {
    const n = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`--${name} must be a positive integer\n`);
      process.exit(2);
    }
    return n;
  };
  // dist/benchmarks/connection-cost.js → <repo>/bin/stomp-broker
  const defaultBin = fileURLToPath(new URL('../../bin/stomp-broker', import.meta.url));
  return {
    bin: path.resolve(flags.get('bin') ?? defaultBin), prefork: int('prefork', 4), warm: int('warm', 20),
    cold: int('cold', 5), burst: int('burst', 100),
  };
}

// ------------------------------------------------------------------------------------------------
// The broker under test
// ------------------------------------------------------------------------------------------------

interface Broker {
  child: ChildProcess;
  pid: number;
  port: number;
  dataDir: string;
  startMs: number;
}

async function startBroker(opts: Options): Promise<Broker> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [opts.bin, 'start', '--port', '0', '--data-dir', dataDir,
    '--prefork', String(opts.prefork), '--max-connections', String(Math.max(1000, opts.burst * 2))],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not listen within 60 s:\n${log}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code}) before listening:\n${log}`));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /listening on (\S+):(\d+) \(pid (\d+)\)/.exec(log);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stderr!.removeAllListeners('data');
      child.stderr!.resume(); // keep draining
      resolve({ child, pid: Number(m[3]), port: Number(m[2]), dataDir, startMs: performance.now() - t0 });
    });
  });
}

async function stopBroker(broker: Broker): Promise<void> {
  const exited = new Promise<void>((r) => {
    if (broker.child.exitCode !== null) r();
    else broker.child.once('exit', () => r());
  });
  broker.child.kill('SIGTERM');
  const timer = setTimeout(() => broker.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  fs.rmSync(broker.dataDir, { recursive: true, force: true });
}

interface PoolStatus {
  connections: number;
  idleSessions: number;
}

/** Asks the broker through its own CLI (`status --json`). */
function status(opts: Options, broker: Broker): Promise<PoolStatus> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [opts.bin, 'status', '--json', '--data-dir', broker.dataDir], { timeout: 10_000 },
      (err, stdout) => {
        if (err) return reject(err);
        const s = JSON.parse(stdout) as PoolStatus;
        resolve({ connections: s.connections, idleSessions: s.idleSessions });
      });
  });
}

/** Waits until the pool has `prefork` idle sessions and `connections` busy ones. */
async function poolSettled(opts: Options, broker: Broker, connections = 0, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  await sleep(300);
  for (;;) {
    const s = await status(opts, broker);
    if (s.idleSessions >= opts.prefork && s.connections === connections) return;
    if (performance.now() > deadline) {
      throw new Error(`pool did not settle: ${JSON.stringify(s)}, wanted ${opts.prefork} idle, ${connections} busy`);
    }
    await sleep(300);
  }
}

// ------------------------------------------------------------------------------------------------
// /proc
// ------------------------------------------------------------------------------------------------

/**
 * CPU time used by the hub and its live sessions, ms, keyed by pid so that an interval can be
 * measured across processes that start during it (sessions that exit in between are not counted).
 */
function brokerCpu(hubPid: number): Map<number, number> {
  const cpu = new Map<number, number>([[hubPid, processCpuMs(hubPid)]]);
  for (const pid of childrenOf(hubPid)) cpu.set(pid, processCpuMs(pid));
  return cpu;
}

/** Broker CPU ms between two snapshots (processes new in `after` count from zero). */
function cpuBetween(hubPid: number, before: Map<number, number>, after: Map<number, number>): {
  total: number; hub: number;
} {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return { total, hub: (after.get(hubPid) ?? 0) - (before.get(hubPid) ?? 0) };
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function sessionPid(client: StompClient): number | null {
  const m = /^session-(\d+)-/.exec(client.connectedHeaders.session ?? '');
  return m ? Number(m[1]) : null;
}

// ------------------------------------------------------------------------------------------------
// Measurements
// ------------------------------------------------------------------------------------------------

async function connectTimed(port: number): Promise<{ client: StompClient; t: ConnectTimings }> {
  const t: ConnectTimings = { tcp: NaN, connected: NaN };
  const client = await StompClient.connect({ host: '127.0.0.1', port, timeoutMs: 60_000 }, t);
  return { client, t };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const broker = await startBroker(opts);
  const rows: [string, string][] = [];
  const json: Record<string, number> = { prefork: opts.prefork };
  const add = (label: string, value: string, key?: string, n?: number) => {
    rows.push([label, value]);
    if (key !== undefined && n !== undefined) json[key] = Math.round(n * 100) / 100;
  };
  const kb = (m: number) => `${(m / 1024).toFixed(1)} MiB`;
  try {
    add('broker start (spawn → listening, incl. prefork)', `${broker.startMs.toFixed(0)} ms`, 'startMs', broker.startMs);
    await poolSettled(opts, broker);

    // (c) idle sessions, (d) idle hub
    const idle = childrenOf(broker.pid).map(memoryOf).filter((m): m is Memory => m !== null);
    const hubIdle = memoryOf(broker.pid)!;
    add(`idle session RSS (median of ${idle.length})`, kb(median(idle.map((m) => m.rssKb))),
      'idleSessionRssKb', median(idle.map((m) => m.rssKb)));
    add('idle session PSS / USS', `${kb(median(idle.map((m) => m.pssKb)))} / ${kb(median(idle.map((m) => m.ussKb)))}`,
      'idleSessionUssKb', median(idle.map((m) => m.ussKb)));
    add('hub RSS, no clients', kb(hubIdle.rssKb), 'hubIdleRssKb', hubIdle.rssKb);

    // (a) warm: one client at a time, pool full each time
    const warmTcp: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < opts.warm; i++) {
      const { client, t } = await connectTimed(broker.port);
      warmTcp.push(t.tcp);
      warm.push(t.connected - t.tcp);
      if (i === 0) {
        // (c) a session serving one connected, subscribed, idle client
        await client.subscribe('/queue/bench.idle', { ack: 'client-individual' });
        await sleep(500);
        const pid = sessionPid(client);
        const m = pid ? memoryOf(pid) : null;
        add('session RSS, 1 client connected + subscribed', m ? kb(m.rssKb) : 'n/a', 'busySessionRssKb', m?.rssKb ?? NaN);
        add('  PSS / USS', m ? `${kb(m.pssKb)} / ${kb(m.ussKb)}` : 'n/a', 'busySessionUssKb', m?.ussKb ?? NaN);
      }
      await client.disconnect();
      client.destroy();
      await poolSettled(opts, broker);
    }
    add(`warm: TCP connect (p50, ${opts.warm} runs)`, `${median(warmTcp).toFixed(2)} ms`, 'warmTcpMs', median(warmTcp));
    add('warm: TCP connected → CONNECTED p50 / max',
      `${median(warm).toFixed(2)} / ${Math.max(...warm).toFixed(2)} ms`, 'warmConnectedP50Ms', median(warm));

    // (a) cold: prefork+1 clients at once; the last one waits for a fork
    const cold: number[] = [];
    const warmInBurst: number[] = [];
    for (let i = 0; i < opts.cold; i++) {
      const results = await Promise.all(Array.from({ length: opts.prefork + 1 }, () => connectTimed(broker.port)));
      const times = results.map((r) => r.t.connected).sort((a, b) => a - b);
      cold.push(times[times.length - 1]);
      warmInBurst.push(...times.slice(0, -1));
      await Promise.all(results.map((r) => r.client.disconnect()));
      for (const r of results) r.client.destroy();
      await poolSettled(opts, broker);
    }
    add(`cold: ${opts.prefork + 1} at once, the ${opts.prefork}+1th (p50 / max, ${opts.cold} runs)`,
      `${median(cold).toFixed(1)} / ${Math.max(...cold).toFixed(1)} ms`, 'coldConnectedP50Ms', median(cold));
    add('  the others in that burst (p50)', `${median(warmInBurst).toFixed(2)} ms`, 'warmInBurstP50Ms', median(warmInBurst));

    // (b) burst of N connections
    const cpu0 = brokerCpu(broker.pid);
    const t0 = performance.now();
    const burst = await Promise.all(Array.from({ length: opts.burst }, () => connectTimed(broker.port)));
    const burstMs = performance.now() - t0;
    const burstCpu = cpuBetween(broker.pid, cpu0, brokerCpu(broker.pid));
    const times = burst.map((r) => r.t.connected);
    const forked = Math.max(1, opts.burst - opts.prefork);
    add(`burst: ${opts.burst} clients, all CONNECTED after`, `${burstMs.toFixed(0)} ms`, 'burstMs', burstMs);
    add('  CONNECTED p50 / p99', `${pct(times, 50).toFixed(0)} / ${pct(times, 99).toFixed(0)} ms`,
      'burstP99Ms', pct(times, 99));
    add('  sessions started per second', `${((forked / burstMs) * 1000).toFixed(1)} /s`,
      'forksPerSec', (forked / burstMs) * 1000);
    add('  broker CPU per session started (hub share)',
      `${(burstCpu.total / forked).toFixed(0)} ms (${(burstCpu.hub / forked).toFixed(1)} ms)`,
      'cpuMsPerFork', burstCpu.total / forked);
    await poolSettled(opts, broker, opts.burst);
    const busy = burst.map((r) => sessionPid(r.client)).filter((p): p is number => p !== null)
      .map(memoryOf).filter((m): m is Memory => m !== null);
    const sum = (f: (m: Memory) => number) => busy.reduce((a, m) => a + f(m), 0);
    add(`${busy.length} connected sessions: total RSS / PSS`, `${kb(sum((m) => m.rssKb))} / ${kb(sum((m) => m.pssKb))}`,
      'burstTotalPssKb', sum((m) => m.pssKb));
    add('  per client (PSS)', kb(sum((m) => m.pssKb) / Math.max(1, busy.length)),
      'perClientPssKb', sum((m) => m.pssKb) / Math.max(1, busy.length));
    const hubBusy = memoryOf(broker.pid)!;
    add(`hub RSS, ${opts.burst} clients connected`, kb(hubBusy.rssKb), 'hubBusyRssKb', hubBusy.rssKb);
    // What the idle processes cost: broker CPU over 5 s with every client connected and silent,
    // right after the burst (fresh processes still settle: GC, lazy compilation) and 15 s later.
    for (const [when, key, waitMs] of [['just after the burst', 'idleCpuPctFresh', 0],
      ['15 s later', 'idleCpuPct', 15_000]] as const) {
      await sleep(waitMs);
      const idleCpu0 = brokerCpu(broker.pid);
      await sleep(5000);
      const idleCpu = cpuBetween(broker.pid, idleCpu0, brokerCpu(broker.pid));
      add(`broker CPU, ${opts.burst} clients idle, ${when} (hub)`,
        `${(idleCpu.total / 50).toFixed(1)} % of one core (${(idleCpu.hub / 50).toFixed(1)} %)`, key, idleCpu.total / 50);
    }
    await Promise.all(burst.map((r) => r.client.disconnect()));
    for (const r of burst) r.client.destroy();
  } finally {
    await stopBroker(broker);
  }
  const width = Math.max(...rows.map(([l]) => l.length));
  process.stdout.write(`connection cost, prefork ${opts.prefork}, ${os.cpus().length} CPUs, node ${process.version}\n`);
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
  process.stdout.write(JSON.stringify(json) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
