/**
 * The scenarios `npm run bench` (matrix.ts) runs against every target, what each counts, and which
 * of its figures the table and the chart show. The CI smoke test runs the same list at a tiny size.
 */
import type { ScenarioName, ScenarioOptions, ScenarioResult } from './scenarios.js';

/** A figure of a result shown in the table and chart. */
export interface Metric {
  /** Field of ScenarioResult. */
  key: 'msgsPerSec' | 'mbPerSec' | 'persistedPerSec' | 'p50Ms' | 'p99Ms';
  unit: string;
  /** Which way is better: for the "ours ÷ best other" column. */
  better: 'higher' | 'lower';
}

/** One scenario of the matrix. */
export interface MatrixScenario {
  /** Short id used in file names, the JSON and the chart. */
  id: string;
  title: string;
  scenario: ScenarioName;
  /** Options beyond the defaults (run.js flags by the same names). */
  options: Partial<Pick<ScenarioOptions, 'messages' | 'size' | 'producers' | 'consumers' | 'rate' | 'window'
    | 'prefetch'>>;
  metrics: Metric[];
}

const RATE: Metric = { key: 'msgsPerSec', unit: 'msgs/s', better: 'higher' };

/** The matrix, in the order it runs. */
export const MATRIX: MatrixScenario[] = [
  { id: 'queue', title: 'queue 1→1, 100 B, ack auto', scenario: 'queue', options: { messages: 100_000 },
    metrics: [RATE] },
  { id: 'queue-ack', title: 'queue 1→1, 100 B, client-individual acks (prefetch 100)', scenario: 'queue-ack',
    options: { messages: 50_000 }, metrics: [RATE] },
  { id: 'queue-4x4', title: 'queue 4→4, 100 B, ack auto', scenario: 'queue',
    options: { messages: 100_000, producers: 4, consumers: 4 }, metrics: [RATE] },
  { id: 'topic-1x10', title: 'topic 1→10 subscribers, 100 B (deliveries/s)', scenario: 'topic',
    options: { messages: 20_000, consumers: 10 }, metrics: [{ ...RATE, unit: 'deliveries/s' }] },
  { id: 'persistent', title: 'persistent 1 KiB, receipt per SEND (window 100), client-individual acks',
    scenario: 'persistent', options: { messages: 20_000, size: 1024 }, metrics: [RATE] },
  { id: 'large-64k', title: 'queue 1→1, 64 KiB bodies, ack auto', scenario: 'queue',
    options: { messages: 5_000, size: 65_536 },
    metrics: [RATE, { key: 'mbPerSec', unit: 'MB/s', better: 'higher' }] },
  { id: 'latency-1k', title: 'latency at a fixed 1,000 msgs/s, 100 B, 1→1', scenario: 'latency',
    options: { messages: 10_000, rate: 1000 },
    metrics: [{ key: 'p50Ms', unit: 'ms p50', better: 'lower' }, { key: 'p99Ms', unit: 'ms p99', better: 'lower' }] },
];

/** The value of a metric in a result (NaN when absent). */
export function metricValue(result: ScenarioResult, metric: Metric): number {
  const v = result[metric.key];
  return typeof v === 'number' ? v : NaN;
}

/** run.js arguments for a matrix scenario, `messages` scaled by `scale` (at least 1). */
export function runArgs(s: MatrixScenario, scale = 1): string[] {
  const args: string[] = [s.scenario];
  for (const [k, v] of Object.entries(s.options)) {
    const value = k === 'messages' ? Math.max(1, Math.round((v as number) * scale)) : v;
    args.push(`--${k}`, String(value));
  }
  return args;
}
