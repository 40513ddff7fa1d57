/** Helpers of the management API's tests: its URL from the broker's log, JSON calls, metrics text. */
import type { Broker } from './broker.js';

/** The management server's base URL (no trailing slash), from the broker's `http-listening` log event. */
export function managementUrl(broker: Broker): string {
  for (const line of broker.logs().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { event?: string; url?: string };
    if (entry.event === 'http-listening' && entry.url) return entry.url.replace(/\/$/, '');
  }
  throw new Error(`no management URL in the broker's log:\n${broker.logs()}`);
}

/** An answer of the API: status, JSON body (or text), headers. */
export interface Answer<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** GET `path` (or POST with `body` as JSON when given). */
export async function call<T = any>(base: string, path: string, body?: unknown,
  init: RequestInit = {}): Promise<Answer<T>> {
  const request: RequestInit = body === undefined ? { ...init } : {
    method: 'POST', ...init, headers: { 'content-type': 'application/json', ...init.headers }, body: JSON.stringify(body),
  };
  const res = await fetch(base + path, request);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text stays
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** The API path of a destination. */
export function destPath(name: string): string {
  return `/api/destinations/${encodeURIComponent(name)}`;
}

/** One sample of the Prometheus text format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4): every sample line with its labels
 * (escapes `\\`, `\"`, `\n` undone); throws on a line that is none of sample, comment or blank.
 */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a metrics line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = m[2] ? m[2].slice(1, -1) : '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let l: RegExpExecArray | null;
    let read = 0;
    while ((l = re.exec(labelText)) !== null) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
      read = re.lastIndex;
    }
    if (read !== labelText.length) throw new Error(`bad labels: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** The value of the sample named `name` whose labels include `labels`, or undefined. */
export function metric(samples: MetricSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
