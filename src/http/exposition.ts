/**
 * The Prometheus text format (0.0.4) for the metrics with a series per destination and per session.
 * prom-client hashes and validates the labels of every value it is given, which costs tens of
 * microseconds per series: a broker with ten thousand queues would stall its event loop for a second
 * per scrape. These families are written here instead, straight to text, a chunk of destinations
 * per event-loop turn; prom-client keeps the broker-wide metrics, the histogram and its defaults.
 */

/** One metric family: its samples, written as `# HELP`, `# TYPE` and one line per series. */
export class Family<T> {
  private readonly lines: string[] = [];

  constructor(
    readonly name: string,
    private readonly type: 'gauge' | 'counter',
    private readonly help: string,
    /** The value of this family for one item; null: the item has no series in it. */
    readonly valueOf: (item: T) => number | null,
  ) {}

  /** Adds the series of `item` under `labels` (already written by `labelText`). */
  add(labels: string, item: T): void {
    const value = this.valueOf(item);
    if (value !== null) this.lines.push(`${this.name}{${labels}} ${formatValue(value)}`);
  }

  /** The family as text (nothing when it has no series). */
  text(): string {
    if (this.lines.length === 0) return '';
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n${this.lines.join('\n')}\n`;
  }
}

/** `name="value",…` with the values escaped as the text format wants (backslash, quote, newline). */
export function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
}

/** A label value escaped for the text format. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

/** Items added per event-loop turn. */
const CHUNK = 500;

/** Adds every item of `items` to every family, yielding to the event loop every CHUNK items; the families' text. */
export async function writeFamilies<T>(items: Iterable<T>, labelsOf: (item: T) => string, families: Array<Family<T>>): Promise<string> {
  let n = 0;
  for (const item of items) {
    const labels = labelsOf(item);
    for (const f of families) f.add(labels, item);
    if (++n % CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return families.map((f) => f.text()).join('');
}
