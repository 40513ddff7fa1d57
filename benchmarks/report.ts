/**
 * The result file of `npm run bench` (matrix.ts) and what is made of it: medians over the valid runs,
 * and a Markdown table with "ours ÷ best other" per figure, the machine, and every invalid run.
 */
import type { MachineInfo } from './machine.js';
import { MATRIX, type MatrixScenario, type Metric, metricValue } from './matrix-scenarios.js';
import type { ScenarioResult } from './scenarios.js';

/** One run of one scenario against one target. */
export interface RunRecord {
  rep: number;
  /** MatrixScenario id. */
  scenario: string;
  target: string;
  address: string;
  /** Started (and stopped) by the benchmark, alone on the machine; false: found already running. */
  managed: boolean;
  startedAt: string;
  /** 1-minute load average just before the run. */
  loadAvg1: number;
  /** Idle CPU of the machine over the second before the run, % of all cores. */
  idleCpuPct: number;
  result?: ScenarioResult;
  /** Why there is no result (the run failed). */
  error?: string;
  /** A result with no loss, no duplicate and no time-out. */
  valid: boolean;
}

/** The whole result file. */
export interface MatrixFile {
  kind: 'matrix';
  date: string;
  commit: string;
  dirty: boolean;
  command: string;
  machine: MachineInfo;
  targets: string[];
  reps: number;
  scenarios: MatrixScenario[];
  runs: RunRecord[];
  medians: MedianRow[];
}

/** Medians of one figure of one scenario, per target. */
export interface MedianRow {
  scenario: string;
  title: string;
  metric: Metric;
  /** Per target: median over valid runs (NaN: none) and how many valid runs it is of. */
  byTarget: Record<string, { median: number; n: number; values: number[] }>;
  /** ours ÷ the best other target (highest rate, lowest latency); NaN without both. */
  oursOverBestOther: number;
}

function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Medians of every figure of every scenario over the valid runs. */
export function mediansOf(runs: RunRecord[], targets: string[], scenarios: MatrixScenario[] = MATRIX): MedianRow[] {
  const rows: MedianRow[] = [];
  for (const s of scenarios) {
    for (const metric of s.metrics) {
      const byTarget: MedianRow['byTarget'] = {};
      for (const t of targets) {
        const values = runs.filter((r) => r.valid && r.scenario === s.id && r.target === t && r.result)
          .map((r) => metricValue(r.result!, metric)).filter(Number.isFinite);
        byTarget[t] = { median: median(values), n: values.length, values };
      }
      rows.push({ scenario: s.id, title: s.title, metric, byTarget, oursOverBestOther: ratio(byTarget, metric) });
    }
  }
  return rows;
}

function ratio(byTarget: MedianRow['byTarget'], metric: Metric): number {
  const ours = byTarget.ours?.median;
  const others = Object.entries(byTarget).filter(([t, v]) => t !== 'ours' && Number.isFinite(v.median))
    .map(([, v]) => v.median);
  if (ours === undefined || !Number.isFinite(ours) || others.length === 0) return NaN;
  const best = metric.better === 'higher' ? Math.max(...others) : Math.min(...others);
  return best > 0 ? ours / best : NaN;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function cell(v: { median: number; n: number }): string {
  return v.n === 0 ? 'no valid run' : `${fmt(v.median)} [${v.n}]`;
}

/** The Markdown report of a result file. */
export function markdownOf(file: MatrixFile): string {
  const m = file.machine;
  const loads = file.runs.map((r) => r.loadAvg1);
  const idles = file.runs.map((r) => r.idleCpuPct);
  const lines = [
    `# Benchmarks ${file.date}, commit ${file.commit}${file.dirty ? ' (with uncommitted changes)' : ''}`, '',
    `\`${file.command}\` — ${file.reps} repetition(s), targets interleaved per scenario and repetition.`, '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. `
      + `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. `
      + 'The load generator (one Node process) and the broker share the cores.', '',
    `Before the runs: 1-minute load average ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))} `
      + `(median ${fmt(median(loads))}), idle CPU ${fmt(Math.min(...idles))}–${fmt(Math.max(...idles))} % `
      + `(median ${fmt(median(idles))} %).`, '',
    ...tableOf(file), '',
    'Medians of the valid runs, [n] = how many. *ours ÷ best other*: ours divided by the best other target '
      + '(highest rate, lowest latency), so above 1 is better for rates and below 1 is better for latencies.', '',
    ...invalidRuns(file),
  ];
  return lines.join('\n') + '\n';
}

function tableOf(file: MatrixFile): string[] {
  const head = `| scenario | figure | ${file.targets.join(' | ')} | ours ÷ best other |`;
  const sep = `|---|---|${file.targets.map(() => '---:').join('|')}|---:|`;
  const body = file.medians.map((row) => `| ${row.title} | ${row.metric.unit} | `
    + `${file.targets.map((t) => cell(row.byTarget[t] ?? { median: NaN, n: 0 })).join(' | ')} | `
    + `${Number.isFinite(row.oursOverBestOther) ? row.oursOverBestOther.toFixed(2) + '×' : '–'} |`);
  return [head, sep, ...body];
}

function invalidRuns(file: MatrixFile): string[] {
  const bad = file.runs.filter((r) => !r.valid);
  if (bad.length === 0) return ['Every run was valid: no message lost or duplicated, no time-out.'];
  return [`Invalid runs (excluded from the medians): ${bad.length} of ${file.runs.length}.`, '',
    ...bad.map((r) => `- rep ${r.rep}, ${r.scenario}, ${r.target}: ${r.error ?? describeInvalid(r.result!)}`)];
}

function describeInvalid(r: ScenarioResult): string {
  const why = [r.timedOut ? 'timed out' : '', r.lost ? `${r.lost} lost` : '', r.duplicates ? `${r.duplicates} duplicated` : '']
    .filter(Boolean).join(', ');
  return `${why} (${r.count} counted of ${r.sent} sent)`;
}
