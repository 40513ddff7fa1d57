/**
 * The console's page of one destination (runs in the browser): its numbers and live rates, the chart
 * of its last minute, and for a queue the first messages it holds (dead letters with their failure
 * history) and the purge and retry actions.
 */
import { api, ApiError, type Destination, destinationPath, type Failure, type Message } from './api.js';
import { rateChart } from './chart.js';
import { bytes, type ConsolePage, destinationLink, fields, fill, h, rate, time } from './dom.js';
import { RATE_SERIES } from './overview-page.js';

/** Messages the page shows. */
const BROWSE = 50;
/** Retry calls one "retry all" makes at most (each looks at up to 1000 messages). */
const MAX_RETRY_CALLS = 100;

function numbers(d: Destination): HTMLElement {
  return fields([
    ['kind', 'kind', d.kind], ['depth', 'depth', d.depth], ['bytes', 'bytes', bytes(d.bytes)],
    ['consumers', 'consumers', d.consumers], ['inFlight', 'in flight', d.inFlight], ['enqueued', 'enqueued', d.enqueued],
    ['delivered', 'delivered', d.delivered], ['acked', 'acked', d.acked], ['deadLettered', 'dead-lettered', d.deadLettered],
    ['expired', 'expired', d.expired], ['enqueueRate', 'enqueued/s', rate(d.rates.enqueued)],
    ['deliverRate', 'delivered/s', rate(d.rates.delivered)], ['ackRate', 'acked/s', rate(d.rates.acked)],
    ['deadLetterRate', 'dead-lettered/s', rate(d.rates.deadLettered)],
    ['deadLetterQueue', 'dead letters go to', d.deadLetterQueue ? destinationLink(d.deadLetterQueue) : '—'],
  ]);
}

function history(failures: Failure[]): HTMLElement {
  return h('ol', { class: 'history' }, ...failures.map((f) => h('li', {}, h('time', {}, time(f.time)), ' ', f.reason)));
}

function messageCard(m: Message): HTMLElement {
  const dead = m.deadLetter;
  const headers = Object.entries(m.headers);
  return h('article', { class: dead ? 'message dead' : 'message', 'data-message-id': String(m.id) },
    h('header', {}, `#${m.id}`, ` · priority ${m.priority}`, m.persistent ? ' · persistent' : '',
      m.redeliveries > 0 ? ` · ${m.redeliveries} redeliveries` : '', ` · ${bytes(m.bodyBytes)}`,
      m.deliverAt > Date.now() ? ` · due ${time(m.deliverAt)}` : ''),
    dead && h('div', { class: 'dead-letter' }, 'from ', destinationLink(dead.originalDestination), ': ',
      h('strong', { 'data-field': 'reason' }, dead.reason), ` (${dead.failures} failed deliveries)`, history(dead.history)),
    h('details', {}, h('summary', {}, `${headers.length} headers`),
      h('table', { class: 'headers' }, ...headers.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))))),
    h('pre', { class: 'body' }, m.bodyEncoding === 'base64' ? `(base64) ${m.body}` : m.body, m.truncated ? ' …' : ''));
}

/** Moves every dead letter of `name` back, a thousand at a time; resolves with how many moved. */
async function retryAll(name: string): Promise<{ moved: number; remaining: number }> {
  let moved = 0;
  let remaining = 0;
  for (let i = 0; i < MAX_RETRY_CALLS; i++) {
    const r = await api<{ moved: number; remaining: number }>(`${destinationPath(name)}/retry`, { limit: 1000 });
    moved += r.moved;
    remaining = r.remaining;
    if (r.moved === 0 || r.remaining === 0) break;
  }
  return { moved, remaining };
}

/** The page of destination `name`. */
export function destinationPage(name: string): ConsolePage {
  const isQueue = !name.startsWith('/topic/');
  const result = h('p', { id: 'action-result', role: 'status' });
  const numbersEl = h('section', { id: 'numbers' });
  const chart = h('section', { id: 'chart' });
  const messages = h('section', { id: 'messages' });
  const loadMessages = async () => {
    const b = await api<{ depth: number; messages: Message[] }>(`${destinationPath(name)}/messages?limit=${BROWSE}`);
    fill(messages, h('p', {}, `The first ${b.messages.length} of ${b.depth} messages held (not consumed by looking):`),
      ...b.messages.map(messageCard));
  };
  const act = (label: string, work: () => Promise<string>) => h('button', {
    type: 'button', 'data-action': label, onclick: () => void run(result, work).then(loadMessages, () => {}),
  }, label);
  const actions = isQueue && h('div', { class: 'actions' },
    act('purge', async () => {
      if (!confirm(`Remove every message ${name} holds (not those in flight)?`)) return 'not purged';
      const r = await api<{ purged: number }>(`${destinationPath(name)}/purge`, {});
      return `purged ${r.purged} messages`;
    }),
    act('retry dead letters', async () => {
      const r = await retryAll(name);
      return `moved ${r.moved} dead letters back to their queues; ${r.remaining} messages left here`;
    }),
    act('refresh messages', async () => 'messages refreshed'));
  const root = h('div', {}, h('p', {}, h('a', { href: '#/' }, '← broker')), h('h1', {}, name), actions, result,
    numbersEl, h('h2', {}, 'Last minute (per second)'), chart, isQueue && h('h2', {}, 'Messages'), isQueue && messages);
  let loaded = false;
  const update = async () => {
    const d = await api<Destination>(destinationPath(name));
    fill(numbersEl, numbers(d));
    fill(chart, rateChart(d.history ?? [], RATE_SERIES, 760, 200));
    if (isQueue && !loaded) await loadMessages();
    loaded = true;
  };
  return { root, update };
}

/** Runs an action and shows its outcome (or its error) in `result`. */
async function run(result: HTMLElement, work: () => Promise<string>): Promise<void> {
  fill(result, 'working…');
  try {
    fill(result, await work());
  } catch (err) {
    fill(result, h('span', { class: 'error' }, err instanceof ApiError ? err.message : String(err)));
    throw err;
  }
}
