/**
 * The result file of the isolation benchmark (isolation.ts) and its Markdown table: per hostile kind
 * and target, the well-behaved clients' latency quiet → hostile, losses, broker memory, whether new
 * clients were served throughout, and what the hostile client did.
 */
import type { HostileReport } from './hostile.js';
import type { MachineInfo } from './machine.js';
import type { MemoryReport } from './memory-sampler.js';
import type { SteadyReport } from './steady-load.js';

/** One run of the well-behaved load (quiet, or with the hostile client). */
export interface MeasuredRun {
  /** 1-minute load average before the run. */
  loadAvg1: number;
  /** Idle CPU of the machine over the second before the run, %. */
  idleCpuPct: number;
  steady: SteadyReport;
  memory: MemoryReport;
  hostile?: HostileReport;
}

/** A hostile kind against one target: its quiet run and its hostile run. */
export interface IsolationRun {
  kind: string;
  target: string;
  address: string;
  managed: boolean;
  quiet?: MeasuredRun;
  hostile?: MeasuredRun;
  error?: string;
}

/** The whole result file. */
export interface IsolationFile {
  kind: 'isolation';
  date: string;
  commit: string;
  dirty: boolean;
  command: string;
  machine: MachineInfo;
  targets: string[];
  load: { pairs: number; rate: number; size: number; durationS: number; windowS: [number, number] };
  runs: IsolationRun[];
}

/** What each hostile kind does, for the table's legend. */
const KIND_TEXT: Record<string, string> = {
  'big-sends': '(a) 20 SENDs of 64 MiB to a queue nobody reads',
  'slow-subscriber': '(b) a subscriber that never reads a 20k msgs/s 1 KiB topic',
  slowloris: '(c) 200 connections that send part of a CONNECT and stall',
  churn: '(d) 5,000 connect/abort cycles',
  'kill-mid-frame': '(e) a client killed mid-frame every 500 ms (ours: SIGKILL of its session process)',
  'topic-reader': '(f) control: the 20k msgs/s topic with a reader that keeps up',
};

function num(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '–';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && a > 0 ? `${(b / a).toFixed(1)}×` : '–';
}

function served(q: SteadyReport, h: SteadyReport): string {
  const one = (s: SteadyReport) => `${s.probes.tried - s.probes.failed}/${s.probes.tried}`;
  const yes = h.probes.failed === 0 ? 'yes' : '**no**';
  return `${yes} (${one(q)} → ${one(h)}; slowest ${num(h.probes.worstMs, 0)} ms)`;
}

/** Whether the quiet run carried the load: nothing lost, every probe served. */
function baselineHeld(q: SteadyReport): boolean {
  return q.lost === 0 && q.duplicates === 0 && q.probes.failed === 0;
}

function row(r: IsolationRun): string {
  if (r.error || !r.quiet || !r.hostile) return `| ${r.kind} | ${r.target} | failed: ${r.error ?? '?'} ||||||`;
  const q = r.quiet.steady;
  const h = r.hostile.steady;
  const lost = `${q.lost} / **${h.lost}**${h.duplicates + q.duplicates ? ` (dup ${q.duplicates}/${h.duplicates})` : ''}`;
  const errors = h.errors.length ? `; well-behaved clients' errors: ${h.errors.slice(0, 2).join('; ')}` : '';
  return `| ${r.kind} | ${r.target}${baselineHeld(q) ? '' : ' ⚠'} | ${num(q.p50Ms)} → ${num(h.p50Ms)} (${ratio(q.p50Ms, h.p50Ms)}) `
    + `| ${num(q.p99Ms)} → ${num(h.p99Ms)} (${ratio(q.p99Ms, h.p99Ms)}) | ${num(h.windowP99Ms)} | ${lost} `
    + `| ${num(r.quiet.memory.peakMiB, 0)} → ${num(r.hostile.memory.peakMiB, 0)} | ${served(q, h)} `
    + `| ${hostileText(r.hostile.hostile)}${errors} |`;
}

function hostileText(h: HostileReport | undefined): string {
  if (!h) return '–';
  const detail = Object.entries(h.detail).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${detail}${h.errors.length ? `; errors: ${h.errors.slice(0, 2).join('; ').replace(/\n/g, ' ')}` : ''}`;
}

/** The Markdown report of an isolation result file. */
export function isolationMarkdown(file: IsolationFile): string {
  const m = file.machine;
  const l = file.load;
  return [
    `# Isolation benchmark ${file.date}, commit ${file.commit}${file.dirty ? ' (with uncommitted changes)' : ''}`, '',
    `\`${file.command}\``, '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. `
      + `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '',
    `Well-behaved load: ${l.pairs} producers → ${l.pairs} queues → ${l.pairs} consumers (client-individual ACKs), `
      + `${l.rate.toLocaleString('en-US')} msgs/s in all of ${l.size} B for ${l.durationS} s; the hostile client acts `
      + `from ${l.windowS[0]} s to ${l.windowS[1]} s of the hostile run. A probe connects every 500 ms and must get `
      + 'CONNECTED within 1 s. Memory: PSS of the broker\'s processes (ours: hub + every session), peak of 1 s samples.', '',
    '| hostile | target | p50 ms quiet → hostile | p99 ms quiet → hostile | p99 ms in the window | lost quiet / hostile '
      + '| memory MiB quiet → hostile (peak) | new clients served throughout | what the hostile client did |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
    ...file.runs.map(row), '',
    ...Object.entries(KIND_TEXT).map(([k, v]) => `- \`${k}\`: ${v}`), '',
    ...(file.runs.some((r) => r.quiet && !baselineHeld(r.quiet.steady))
      ? ['⚠: the quiet run already lost messages or failed probes — the broker did not carry the well-behaved load '
        + 'on this machine at that moment, so its quiet → hostile comparison says little.', '']
      : []),
    'Load before each run (1-minute average, idle CPU over the second before): '
      + file.runs.filter((r) => r.quiet && r.hostile)
        .map((r) => `${r.kind}/${r.target} ${num(r.quiet!.loadAvg1)}, ${num(r.quiet!.idleCpuPct, 0)} % → `
          + `${num(r.hostile!.loadAvg1)}, ${num(r.hostile!.idleCpuPct, 0)} %`).join('; ') + '.', '',
  ].join('\n');
}
