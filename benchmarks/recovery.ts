/**
 * How long OUR broker takes to come back with a data directory full of persistent messages, and what
 * they cost in the hub's memory.
 *
 *   node dist/benchmarks/recovery.js [--messages 1000000] [--size 100] [--queues 4] [--batch 10000]
 *     [--drain 50000] [--prefetch 100] [--runs 1] [--cache cold|warm|both] [--bin bin/stomp-broker]
 *     [--tmp DIR] [--timeout 900] [--cpu-prof DIR] [--keep]
 *
 * 1. fill: a fresh data directory is filled by writing straight into the store, with the broker's own
 *    `openStore({ kind: 'lmdb', dataDir })` (from the checkout `--bin` belongs to: <bin>/../dist/src/store/store.js),
 *    `--batch` messages per write() (one synced lmdb commit each). `--messages` messages of `--size`
 *    bytes, interleaved over `--queues` queues `/queue/recovery.q<i>` plus `--drain` of them on
 *    `/queue/recovery.drain`, stored as a `persistent:true` SEND would store them.
 * 2. baseline: `stomp-broker start --port 0 --data-dir <empty dir> --prefork 1`, spawn → "listening on",
 *    hub RSS: what a start costs with nothing to recover.
 * 3. recovery: the same command on the filled directory: spawn → "recovered N stored messages" and
 *    spawn → "listening on"; hub RSS (VmRSS) and peak RSS (VmHWM) right after, hub CPU used so far.
 *    `--cache cold` first drops the store file from the page cache (`dd iflag=nocache count=0` on
 *    that file only: no root, nothing else on the machine is touched) — what a start after a reboot
 *    reads; `warm` starts with it cached (right after a previous start); `both` does cold then warm.
 * 4. drain (after the last start of a run; `--drain 0` skips it): one consumer subscribes
 *    `ack:client-individual` with `--prefetch` to `/queue/recovery.drain` and ACKs every message;
 *    time to the first MESSAGE and until all `--drain` were received, then DISCONNECT (receipt).
 *    Then the same for `--drain` messages of the deep queue `/queue/recovery.q0` (messages / queues
 *    deep): the dispatch rate from a deep queue next to the shallow one's, in the same broker (the
 *    order of the two alternates from run to run, so neither always runs on a colder JIT).
 * 5. the broker is stopped (SIGTERM); the store is opened again to check it holds what was not
 *    drained (the ACKs reached the disk), and the shallow queue's messages are written back for the
 *    next run (the deep queue is only `--drain` shorter).
 *
 * With `--runs K` steps 2-5 are repeated K times on the same directory; the table shows medians.
 * Prints one line per measurement, a table and one JSON line; removes the data directories unless --keep.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { openStore as openStoreType } from '../src/store/open.js';
import type { StoredMessage } from '../src/store/store.js';
import { StompClient } from './client.js';

// ------------------------------------------------------------------------------------------------
// The store, loaded from the checkout under test (not compiled in: benchmarks build without src/)
// ------------------------------------------------------------------------------------------------

// Types only: the code itself is loaded from the checkout under test (`--bin`), which may be another build.
type OpenStore = typeof openStoreType;

async function loadOpenStore(bin: string): Promise<OpenStore> {
  const file = path.resolve(path.dirname(bin), '../dist/src/store/open.js');
  if (!fs.existsSync(file)) throw new Error(`${file} not found: build the broker first (npm run build)`);
  const mod = (await import(pathToFileURL(file).href)) as { openStore: OpenStore };
  return mod.openStore;
}

// ------------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------------

interface Options {
  messages: number;
  size: number;
  queues: number;
  batch: number;
  drain: number;
  prefetch: number;
  runs: number;
  cache: 'cold' | 'warm' | 'both';
  bin: string;
  tmp: string;
  timeoutS: number;
  cpuProf: string;
  keep: boolean;
}

const USAGE = `usage: node dist/benchmarks/recovery.js [options]
  --messages N   messages in the data directory (1000000)   --size BYTES   body size (100)
  --queues Q     queues they are spread over (4)            --batch N      messages per store write (10000)
  --drain N      of them on /queue/recovery.drain, drained by one consumer after recovery, and as many
                 from the deep /queue/recovery.q0 (50000; 0 = no drain)
  --prefetch N   the drain consumer's prefetch (100)        --runs K       repeat the starts K times (1)
  --cache MODE   cold | warm | both (both): page cache state of the store file at start
  --bin PATH     the broker (bin/stomp-broker of this checkout)
  --tmp DIR      where the data directories go (os.tmpdir())
  --timeout S    limit for one start and for the drain (900)
  --cpu-prof DIR hub CPU profiles (node --cpu-prof) of the starts with data, written at stop
  --keep         keep the data directories`;

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string>();
  const known = ['messages', 'size', 'queues', 'batch', 'drain', 'prefetch', 'runs', 'cache', 'bin', 'tmp',
    'timeout', 'cpu-prof', 'keep'];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (m?.[1] === 'help' || !m || !known.includes(m[1])) {
      process.stderr.write(`${m?.[1] === 'help' ? '' : `unexpected argument '${argv[i]}'\n`}${USAGE}\n`);
      process.exit(m?.[1] === 'help' ? 0 : 2);
    }
    flags.set(m[1], m[1] === 'keep' ? 'true' : (m[2] ?? argv[++i] ?? ''));
  }
  const int = (name: string, fallback: number, min = 0) => {
    const n = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`--${name} must be an integer >= ${min}\n`);
      process.exit(2);
    }
    return n;
  };
  const cache = flags.get('cache') ?? 'both';
  if (!['cold', 'warm', 'both'].includes(cache)) {
    process.stderr.write('--cache must be cold, warm or both\n');
    process.exit(2);
  }
  const messages = int('messages', 1_000_000, 1);
  const opts: Options = {
    messages, size: int('size', 100), queues: int('queues', 4, 1), batch: int('batch', 10_000, 1),
    drain: Math.min(messages, int('drain', Math.min(50_000, messages))), prefetch: int('prefetch', 100, 1),
    runs: int('runs', 1, 1), cache: cache as Options['cache'],
    // dist/benchmarks/recovery.js → <repo>/bin/stomp-broker
    bin: path.resolve(flags.get('bin') ?? fileURLToPath(new URL('../../bin/stomp-broker', import.meta.url))),
    tmp: path.resolve(flags.get('tmp') ?? os.tmpdir()), timeoutS: int('timeout', 900, 1),
    cpuProf: flags.get('cpu-prof') ? path.resolve(flags.get('cpu-prof')!) : '', keep: flags.has('keep'),
  };
  if (opts.drain > 0 && Math.floor((messages - opts.drain) / opts.queues) < opts.drain * opts.runs) {
    process.stderr.write('--drain: the deep queue /queue/recovery.q0 must hold --drain messages for every run\n');
    process.exit(2);
  }
  return opts;
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const DRAIN_QUEUE = '/queue/recovery.drain';
/** The first of the deep queues (fill() spreads the other messages over them round robin). */
const DEEP_QUEUE = '/queue/recovery.q0';

function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface ProcMemory {
  rssKb: number;
  hwmKb: number;
  /** RSS of anonymous memory (heap, buffers): what the hub holds, as opposed to lmdb's mapped file pages. */
  anonKb: number;
}

function memoryOf(pid: number): ProcMemory {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM'), anonKb: field('RssAnon') };
  } catch {
    return { rssKb: NaN, hwmKb: NaN, anonKb: NaN };
  }
}

/** CPU time (user+system, ms) used so far by one process. */
function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime; USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Bytes on disk (allocated blocks) under `dir`. */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += diskBytes(p);
    else if (entry.isFile()) total += fs.statSync(p).blocks * 512;
  }
  return total;
}

/** Drops the store's data file from the page cache (only that file; no root needed). */
function dropFromCache(dataDir: string): void {
  const file = path.join(dataDir, 'store', 'data.mdb');
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

// ------------------------------------------------------------------------------------------------
// Fill
// ------------------------------------------------------------------------------------------------

function queueName(i: number): string {
  return `/queue/recovery.q${i}`;
}

function message(id: number, dest: string, size: number): StoredMessage {
  const body = Buffer.alloc(size, 0x78); // 'x'
  if (size >= 8) body.writeDoubleLE(id, 0);
  // As the router stores a persistent SEND without other headers (src/hub/router.ts toStored).
  return {
    id, dest, headers: { persistent: 'true' }, body, redeliveries: 0, priority: 4, deliverAt: 0, expiresAt: 0,
    queue: dest,
  };
}

/** Writes the directory's messages; the drain queue's are spread evenly among the others. */
async function fill(openStore: OpenStore, dataDir: string, opts: Options): Promise<{ seconds: number }> {
  const store = await openStore({ kind: 'lmdb', dataDir });
  const t0 = performance.now();
  const stride = opts.drain > 0 ? Math.max(1, Math.floor(opts.messages / opts.drain)) : Infinity;
  let drainLeft = opts.drain;
  let rr = 0;
  let batch: StoredMessage[] = [];
  for (let id = 1; id <= opts.messages; id++) {
    const toDrain = drainLeft > 0 && (id % stride === 0 || opts.messages - id < drainLeft);
    if (toDrain) drainLeft--;
    batch.push(message(id, toDrain ? DRAIN_QUEUE : queueName(rr++ % opts.queues), opts.size));
    if (batch.length >= opts.batch) {
      await store.write({ put: batch });
      batch = [];
    }
  }
  if (batch.length > 0) await store.write({ put: batch });
  const seconds = (performance.now() - t0) / 1000;
  if (store.count() !== opts.messages) throw new Error(`store holds ${store.count()} messages, wrote ${opts.messages}`);
  await store.close();
  return { seconds };
}

/** After a drain: checks that the ACKs reached the disk, then writes the drained messages back. */
async function refill(openStore: OpenStore, dataDir: string, opts: Options, drained: boolean): Promise<number> {
  const store = await openStore({ kind: 'lmdb', dataDir });
  const count = store.count();
  if (drained) {
    let id = store.maxId();
    for (let left = opts.drain; left > 0;) {
      const n = Math.min(left, opts.batch);
      await store.write({ put: Array.from({ length: n }, () => message(++id, DRAIN_QUEUE, opts.size)) });
      left -= n;
    }
  }
  await store.close();
  return count;
}

// ------------------------------------------------------------------------------------------------
// The broker
// ------------------------------------------------------------------------------------------------

interface Started {
  child: ChildProcess;
  pid: number;
  port: number;
  /** spawn → "recovered N stored messages" (NaN when nothing was recovered). */
  recoveredMs: number;
  recovered: number;
  /** spawn → "listening on". */
  listeningMs: number;
  rssKb: number;
  hwmKb: number;
  anonKb: number;
  /** Hub CPU (user+system) from its start to "listening on". */
  cpuMs: number;
  log: string[];
}

async function startBroker(opts: Options, dataDir: string, profile: boolean): Promise<Started> {
  const args = [opts.bin, 'start', '--port', '0', '--data-dir', dataDir, '--prefork', '1'];
  if (profile && opts.cpuProf) args.unshift('--cpu-prof', '--cpu-prof-dir', opts.cpuProf);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  let recoveredMs = NaN;
  let recovered = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not listen within ${opts.timeoutS} s:\n${log.join('\n')}`));
    }, opts.timeoutS * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${signal ?? code}) before listening:\n${log.join('\n')}`));
    });
    let pending = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const at = performance.now() - t0;
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const r = /recovered (\d+) stored messages/.exec(line);
        if (r) {
          recoveredMs = at;
          recovered = Number(r[1]);
        }
        const m = /listening on (\S+):(\d+) \(pid (\d+)\)/.exec(line);
        if (!m) continue;
        const pid = Number(m[3]);
        const mem = memoryOf(pid);
        const cpuMs = cpuMsOf(pid);
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stderr!.removeAllListeners('data');
        child.stderr!.on('data', (more: Buffer) => log.push(...more.toString().split('\n').filter(Boolean)));
        resolve({
          child, pid, port: Number(m[2]), recoveredMs, recovered, listeningMs: at, rssKb: mem.rssKb, anonKb: mem.anonKb,
          hwmKb: mem.hwmKb, cpuMs, log,
        });
        return;
      }
    });
  });
}

/** SIGTERM, then waits for the exit (SIGKILL after 30 s); returns the ms it took. */
async function stopBroker(broker: Started): Promise<number> {
  const t0 = performance.now();
  const exited = new Promise<void>((r) => {
    if (broker.child.exitCode !== null || broker.child.signalCode !== null) r();
    else broker.child.once('exit', () => r());
  });
  broker.child.kill('SIGTERM');
  const timer = setTimeout(() => broker.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  return performance.now() - t0;
}

let running: Started | null = null;

// ------------------------------------------------------------------------------------------------
// Drain
// ------------------------------------------------------------------------------------------------

interface Drained {
  firstMs: number;
  seconds: number;
  count: number;
  msgsPerSec: number;
  rssKb: number;
  anonKb: number;
}

/** One consumer takes `--drain` messages of `queue`, ACKing each. */
async function drain(broker: Started, opts: Options, queue: string): Promise<Drained> {
  const client = await StompClient.connect({ host: '127.0.0.1', port: broker.port, timeoutMs: 60_000 });
  let count = 0;
  let firstAt = NaN;
  let lastAt = NaN;
  client.onMessage = (frame) => {
    // Messages still in flight once --drain were taken stay unacknowledged: they go back to the queue
    // at DISCONNECT, and the store check counts only what was acknowledged.
    if (count >= opts.drain) return;
    client.ack(frame);
    lastAt = performance.now();
    if (count++ === 0) firstAt = lastAt;
  };
  const t0 = performance.now();
  await client.subscribe(queue, { ack: 'client-individual', prefetch: opts.prefetch });
  const deadline = t0 + opts.timeoutS * 1000;
  while (count < opts.drain && performance.now() < deadline) await sleep(10);
  await client.disconnect(30_000);
  client.destroy();
  const seconds = (lastAt - t0) / 1000;
  if (count < opts.drain) process.stdout.write(`  drain TIMED OUT: ${count} of ${opts.drain} received\n`);
  return {
    firstMs: firstAt - t0, seconds, count, msgsPerSec: count / seconds, rssKb: memoryOf(broker.pid).rssKb, anonKb: memoryOf(broker.pid).anonKb,
  };
}

// ------------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------------

interface Measure {
  /** Row label, value formatter and JSON key. */
  label: string;
  key: string;
  unit: 'ms' | 's' | 'MiB' | '/s' | 'B' | 'n' | 'x';
  values: number[];
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const openStore = await loadOpenStore(opts.bin);
  if (opts.cpuProf) fs.mkdirSync(opts.cpuProf, { recursive: true });
  fs.mkdirSync(opts.tmp, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(opts.tmp, 'stomp-recovery-'));
  const dirs = [dataDir];
  const cleanup = () => {
    if (running) running.child.kill('SIGKILL');
    if (!opts.keep) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const measures = new Map<string, Measure>();
  const record = (key: string, label: string, unit: Measure['unit'], value: number) => {
    if (!measures.has(key)) measures.set(key, { key, label, unit, values: [] });
    measures.get(key)!.values.push(value);
  };
  const loads: string[] = [];
  process.stdout.write(`recovery: ${opts.messages} messages of ${opts.size} B over ${opts.queues} queues`
    + ` (+${opts.drain} on ${DRAIN_QUEUE}), ${opts.runs} run(s), cache ${opts.cache}; ${os.cpus().length} CPUs,`
    + ` node ${process.version}, load average ${loadAverage()}\n`);
  try {
    // 1. fill
    const filled = await fill(openStore, dataDir, opts);
    const bytes = diskBytes(path.join(dataDir, 'store'));
    process.stdout.write(`fill: ${opts.messages} messages in ${filled.seconds.toFixed(2)} s `
      + `(${Math.round(opts.messages / filled.seconds).toLocaleString('en-US')} msgs/s, ${opts.batch} per write); `
      + `store on disk ${(bytes / 2 ** 20).toFixed(1)} MiB (${Math.round(bytes / opts.messages)} B/message)\n`);
    record('fillSeconds', 'fill (direct store writes)', 's', filled.seconds);
    record('fillPerSec', 'fill rate', '/s', opts.messages / filled.seconds);
    record('storeMiB', 'store on disk', 'MiB', bytes / 2 ** 20);

    const modes: Array<'cold' | 'warm'> = opts.cache === 'both' ? ['cold', 'warm'] : [opts.cache];
    // Messages of the deep queue (fill() gives it every queues-th message that is not the drain queue's).
    const deepFilled = Math.ceil((opts.messages - opts.drain) / opts.queues);
    let deepDrained = 0;
    for (let run = 1; run <= opts.runs; run++) {
      loads.push(loadAverage());
      // 2. baseline: an empty directory
      const emptyDir = fs.mkdtempSync(path.join(opts.tmp, 'stomp-recovery-empty-'));
      dirs.push(emptyDir);
      running = await startBroker(opts, emptyDir, false);
      const base = running;
      await stopBroker(base);
      running = null;
      fs.rmSync(emptyDir, { recursive: true, force: true });
      process.stdout.write(`run ${run} (load ${loads[loads.length - 1]}): empty dir: listening after `
        + `${base.listeningMs.toFixed(0)} ms, hub RSS ${(base.rssKb / 1024).toFixed(1)} MiB\n`);
      record('emptyListeningMs', 'empty dir: spawn → listening', 'ms', base.listeningMs);
      record('emptyRssMiB', 'empty dir: hub RSS', 'MiB', base.rssKb / 1024);

      // 3. recovery, cold and/or warm; 4. drain after the last start
      let drained = false;
      for (const [i, mode] of modes.entries()) {
        if (mode === 'cold') dropFromCache(dataDir);
        const b = await startBroker(opts, dataDir, true);
        running = b;
        if (b.recovered !== opts.messages - deepDrained) {
          process.stdout.write(`  WARNING: recovered ${b.recovered}, expected ${opts.messages - deepDrained}\n`);
        }
        const perMsg = ((b.rssKb - base.rssKb) * 1024) / opts.messages;
        process.stdout.write(`  ${mode}: recovered ${b.recovered} after ${b.recoveredMs.toFixed(0)} ms, listening after `
          + `${b.listeningMs.toFixed(0)} ms (${(b.listeningMs - base.listeningMs).toFixed(0)} ms more than empty); `
          + `hub RSS ${(b.rssKb / 1024).toFixed(1)} MiB (peak ${(b.hwmKb / 1024).toFixed(1)}; `
          + `${perMsg.toFixed(0)} B/message over empty), hub CPU ${b.cpuMs} ms\n`);
        record(`${mode}RecoveredMs`, `${mode}: spawn → "recovered N"`, 'ms', b.recoveredMs);
        record(`${mode}ListeningMs`, `${mode}: spawn → "listening on"`, 'ms', b.listeningMs);
        record(`${mode}ExtraMs`, `${mode}: listening, minus the empty start`, 'ms', b.listeningMs - base.listeningMs);
        record(`${mode}PerSec`, `${mode}: messages recovered per second (over the extra time)`, '/s',
          (opts.messages / (b.listeningMs - base.listeningMs)) * 1000);
        record(`${mode}HubCpuMs`, `${mode}: hub CPU until listening`, 'ms', b.cpuMs);
        record(`${mode}RssMiB`, `${mode}: hub RSS after recovery`, 'MiB', b.rssKb / 1024);
        record(`${mode}HwmMiB`, `${mode}: hub peak RSS (VmHWM)`, 'MiB', b.hwmKb / 1024);
        record(`${mode}AnonMiB`, `${mode}: hub anonymous RSS after recovery (RSS less lmdb's mapped file)`, 'MiB', b.anonKb / 1024);
        record(`${mode}BytesPerMsg`, `${mode}: hub RSS per message (over empty)`, 'B', perMsg);
        if (i === modes.length - 1 && opts.drain > 0) {
          // Shallow first in odd runs, deep first in even ones.
          const order = run % 2 === 1 ? [DRAIN_QUEUE, DEEP_QUEUE] : [DEEP_QUEUE, DRAIN_QUEUE];
          const rates = new Map<string, number>();
          for (const queue of order) {
            const deep = queue === DEEP_QUEUE;
            const depth = deep ? deepFilled - deepDrained : opts.drain;
            const d = await drain(b, opts, queue);
            if (deep) deepDrained += d.count;
            else drained = true;
            rates.set(queue, d.msgsPerSec);
            process.stdout.write(`  drain: ${d.count} from ${queue} (${depth.toLocaleString('en-US')} deep; ack client-individual, `
              + `prefetch ${opts.prefetch}) in ${d.seconds.toFixed(2)} s = ${Math.round(d.msgsPerSec).toLocaleString('en-US')} msgs/s, `
              + `first after ${d.firstMs.toFixed(0)} ms; hub RSS then ${(d.rssKb / 1024).toFixed(1)} MiB `
              + `(anonymous ${(d.anonKb / 1024).toFixed(1)} MiB)\n`);
            const name = deep ? 'deep' : 'drain';
            const what = `${deep ? 'deep drain' : 'drain'} (${depth.toLocaleString('en-US')} deep)`;
            record(`${name}FirstMs`, `${what}: SUBSCRIBE → first MESSAGE`, 'ms', d.firstMs);
            record(`${name}Seconds`, `${what}: ${opts.drain} messages`, 's', d.seconds);
            record(`${name}PerSec`, `${what}: rate (each ACKed)`, '/s', d.msgsPerSec);
            record(`${name}RssMiB`, `hub RSS after the ${what}`, 'MiB', d.rssKb / 1024);
            record(`${name}AnonMiB`, `hub anonymous RSS after the ${what}`, 'MiB', d.anonKb / 1024);
          }
          const ratio = rates.get(DEEP_QUEUE)! / rates.get(DRAIN_QUEUE)!;
          process.stdout.write(`  deep ÷ shallow dispatch rate: ${ratio.toFixed(2)}\n`);
          record('deepRatio', 'deep ÷ shallow drain rate', 'x', ratio);
        }
        const stopMs = await stopBroker(b);
        running = null;
        record('stopMs', 'stop (SIGTERM → exit)', 'ms', stopMs);
      }
      // 5. the store must hold what was not drained; put the drained messages back
      const left = await refill(openStore, dataDir, opts, drained && run < opts.runs);
      const expected = opts.messages - deepDrained - (drained ? opts.drain : 0);
      if (left !== expected) process.stdout.write(`  WARNING: store holds ${left} messages after the run, expected ${expected}\n`);
      else process.stdout.write(`  store after the run: ${left} messages, as expected\n`);
    }
  } finally {
    cleanup();
  }

  // Table of medians and the JSON line
  const fmt = (m: Measure, v: number) => (m.unit === 'ms' ? `${v.toFixed(0)} ms` : m.unit === 's' ? `${v.toFixed(2)} s`
    : m.unit === 'MiB' ? `${v.toFixed(1)} MiB` : m.unit === '/s' ? `${Math.round(v).toLocaleString('en-US')} /s`
      : m.unit === 'B' ? `${v.toFixed(0)} B` : m.unit === 'x' ? `${v.toFixed(2)}×` : String(v));
  // The stop times (every start's) last.
  const ordered = [...measures.values()].sort((a, b) => Number(a.key === 'stopMs') - Number(b.key === 'stopMs'));
  const rows = ordered.map((m) => {
    const med = median(m.values);
    const range = m.values.length > 1
      ? `${fmt(m, Math.min(...m.values))} … ${fmt(m, Math.max(...m.values))}` : '';
    return [m.label, fmt(m, med), range];
  });
  process.stdout.write(`\n| measure (${opts.messages} messages × ${opts.size} B; median of ${opts.runs}) | median | range |\n|---|---|---|\n`);
  for (const [label, med, range] of rows) process.stdout.write(`| ${label} | ${med} | ${range} |\n`);
  const json: Record<string, unknown> = {
    benchmark: 'recovery', messages: opts.messages, size: opts.size, queues: opts.queues, drain: opts.drain,
    runs: opts.runs, cache: opts.cache, loadAverages: loads,
  };
  for (const m of measures.values()) {
    json[m.key] = Math.round(median(m.values) * 100) / 100;
    if (m.values.length > 1) json[`${m.key}Runs`] = m.values.map((v) => Math.round(v * 100) / 100);
  }
  process.stdout.write(JSON.stringify(json) + '\n');
  process.exit(0);
}

main().catch((err) => {
  if (running) running.child.kill('SIGKILL');
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
