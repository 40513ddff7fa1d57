/**
 * DOM and formatting helpers of the web console (runs in the browser). Everything the broker reports
 * (destination names, headers, bodies, logins) comes from clients: it is only ever set as text, never
 * parsed as HTML.
 */

/** A child of `h`: an element, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`on…` ones are listeners) and children. */
export function h(tag: string, attrs: Record<string, string | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

/** A definition list of fields, each value marked `data-field=<key>` for tests and styling. */
export function fields(rows: Array<[key: string, label: string, value: Child]>): HTMLElement {
  const dl = h('dl', { class: 'fields' });
  for (const [key, label, value] of rows) dl.append(h('div', {}, h('dt', {}, label), h('dd', { 'data-field': key }, value)));
  return dl;
}

/** A table with a header row; each row's cells carry `data-field` from the column keys. */
export function table(columns: Array<[key: string, label: string]>, rows: Array<{ attrs: Record<string, string>; cells: Child[] }>,
  empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  const head = h('tr', {}, ...columns.map(([, label]) => h('th', {}, label)));
  const body = rows.map((r) => h('tr', r.attrs, ...r.cells.map((c, i) => h('td', { 'data-field': columns[i][0] }, c))));
  return h('table', {}, h('thead', {}, head), h('tbody', {}, ...body));
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
    .map((c) => (typeof c === 'number' ? String(c) : c)));
}

/** Bytes as B, KiB, MiB or GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** A rate in messages per second. */
export function rate(n: number): string {
  return `${n < 10 && n % 1 !== 0 ? n.toFixed(1) : Math.round(n)}/s`;
}

/** An epoch-ms time as local date and time ('' for 0). */
export function time(ms: number): string {
  return ms > 0 ? new Date(ms).toLocaleString() : '';
}

/** A duration in ms as "3 d 4 h", "5 min 2 s" … */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'min'], [s % 60, 's']];
  const first = parts.findIndex(([v]) => v > 0);
  return first < 0 ? '0 s' : parts.slice(first, first + 2).map(([v, u]) => `${v} ${u}`).join(' ');
}

/** The console's link to a destination's page. */
export function destinationLink(name: string): HTMLElement {
  return h('a', { href: `#/destination/${encodeURIComponent(name)}` }, name);
}

/** The console's link to a session's page. */
export function sessionLink(id: number): HTMLElement {
  return h('a', { href: `#/session/${id}` }, String(id));
}

/** One page of the console: its element, refreshed by `update` on every poll. */
export interface ConsolePage {
  root: HTMLElement;
  update(): Promise<void>;
}
