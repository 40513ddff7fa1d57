/**
 * Side-by-side table from run.js output: reads files (or stdin) holding its JSON lines, groups runs
 * by scenario and shape (producers, consumers, size, count), and prints the median rate and
 * latencies per broker label as a Markdown table. `persistent` rows show "persisted (receipts/s) →
 * consumed (msgs/s)" and the end-to-end p50/p99.
 *
 *   node dist/benchmarks/table.js ours.txt rabbitmq.txt [activemq.txt]
 */
import fs from 'node:fs';

interface Row {
  label: string;
  scenario: string;
  producers: number;
  consumers: number;
  size: number;
  messages: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  timedOut: boolean;
  error?: string;
  /** persistent: SEND receipts/s (msgsPerSec is then the consumed rate). */
  persistedPerSec?: number;
}

function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main(): void {
  const files = process.argv.slice(2);
  const text = files.length > 0 ? files.map((f) => fs.readFileSync(f, 'utf8')).join('\n') : fs.readFileSync(0, 'utf8');
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      rows.push(JSON.parse(line) as Row);
    } catch {
      // not ours
    }
  }
  const labels = [...new Set(rows.map((r) => r.label || '(none)'))];
  const shapeOf = (r: Row) => (r.scenario === 'connect' ? `connect ×${r.messages}`
    : `${r.scenario} P${r.producers}/C${r.consumers} ${r.size}B ×${r.messages}`);
  const shapes = [...new Set(rows.filter((r) => !r.error).map(shapeOf))];
  const unit = (scenario: string) => (scenario === 'topic' ? 'deliv/s' : scenario === 'receipts' ? 'rcpt/s'
    : scenario === 'connect' ? 'conn/s' : 'msg/s');
  const header = ['scenario', ...labels.flatMap((l) => [`${l} rate`, `${l} p50/p99 ms`])];
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const shape of shapes) {
    const cells = [shape];
    for (const label of labels) {
      const runs = rows.filter((r) => !r.error && (r.label || '(none)') === label && shapeOf(r) === shape);
      if (runs.length === 0) {
        cells.push('–', '–');
        continue;
      }
      const rate = median(runs.map((r) => r.msgsPerSec));
      const mb = median(runs.map((r) => r.mbPerSec));
      const timedOut = runs.some((r) => r.timedOut) ? ' (timeout)' : '';
      const persisted = runs[0].scenario === 'persistent'
        ? `${Math.round(median(runs.map((r) => r.persistedPerSec ?? NaN))).toLocaleString('en-US')} rcpt/s → ` : '';
      cells.push(`${persisted}${Math.round(rate).toLocaleString('en-US')} ${unit(runs[0].scenario)}`
        + `${runs[0].size >= 1024 ? ` (${mb} MB/s)` : ''}${timedOut} [n=${runs.length}]`);
      const p50 = median(runs.map((r) => r.p50Ms ?? NaN));
      const p99 = median(runs.map((r) => r.p99Ms ?? NaN));
      cells.push(Number.isFinite(p50) ? `${p50.toFixed(2)} / ${p99.toFixed(2)}` : '–');
    }
    out.push(`| ${cells.join(' | ')} |`);
  }
  const errors = rows.filter((r) => r.error);
  process.stdout.write(out.join('\n') + '\n');
  for (const e of errors) process.stdout.write(`failed: ${e.label} ${e.scenario}: ${e.error}\n`);
}

main();
