/**
 * The console's front page (runs in the browser): the broker's numbers and rates, the throughput of
 * the last five minutes, every destination and every session serving a client.
 */
import { api, type Destination, type Overview, type Page, type RatePoint, type Session } from './api.js';
import { type ChartSeries, rateChart } from './chart.js';
import {
  bytes, type ConsolePage, destinationLink, duration, fields, fill, h, rate, sessionLink, table, time,
} from './dom.js';

/** The lines of every throughput chart. */
export const RATE_SERIES: Array<ChartSeries<RatePoint>> = [
  { key: 'enqueued', label: 'enqueued', color: '#2563eb' },
  { key: 'delivered', label: 'delivered', color: '#16a34a' },
  { key: 'acked', label: 'acked', color: '#9333ea' },
  { key: 'deadLettered', label: 'dead-lettered', color: '#dc2626' },
];

const DESTINATION_COLUMNS: Array<[string, string]> = [
  ['name', 'destination'], ['kind', 'kind'], ['depth', 'depth'], ['bytes', 'bytes'], ['consumers', 'consumers'],
  ['inFlight', 'in flight'], ['enqueueRate', 'enqueued'], ['deliverRate', 'delivered'], ['ackRate', 'acked'],
  ['deadLettered', 'dead-lettered (total)'],
];

const SESSION_COLUMNS: Array<[string, string]> = [
  ['id', 'session'], ['pid', 'pid'], ['address', 'client'], ['login', 'login'], ['connectedAt', 'connected since'],
  ['subscriptions', 'subs'], ['inFlight', 'in flight'], ['rss', 'RSS'], ['pss', 'PSS'], ['cpu', 'CPU'],
];

function destinationRow(d: Destination) {
  return {
    attrs: { 'data-destination': d.name },
    cells: [destinationLink(d.name), d.kind, d.depth, bytes(d.bytes), d.consumers, d.inFlight, rate(d.rates.enqueued),
      rate(d.rates.delivered), rate(d.rates.acked), d.deadLettered],
  };
}

function sessionRow(s: Session) {
  const c = s.client!;
  return {
    attrs: { 'data-session': String(s.id) },
    cells: [sessionLink(s.id), s.pid, c.address, c.login, time(c.connectedAt), c.subscriptions, c.inFlight,
      s.memory ? bytes(s.memory.rssBytes) : '', s.memory ? bytes(s.memory.pssBytes) : '',
      s.cpu?.percent !== null && s.cpu?.percent !== undefined ? `${s.cpu.percent}%` : ''],
  };
}

function summary(o: Overview): HTMLElement {
  return fields([
    ['connections', 'clients', o.connections], ['idleSessions', 'idle sessions', o.idleSessions],
    ['queues', 'queues', o.totals.queues], ['topics', 'topics', o.totals.topics], ['depth', 'messages held', o.totals.depth],
    ['heldBytes', 'bytes held', bytes(o.totals.heldBytes)], ['inFlight', 'in flight', o.totals.inFlight],
    ['enqueueRate', 'enqueued', rate(o.rates.enqueued)], ['deliverRate', 'delivered', rate(o.rates.delivered)],
    ['ackRate', 'acked', rate(o.rates.acked)], ['deadLetterRate', 'dead-lettered', rate(o.rates.deadLettered)],
    ['uptime', 'up for', duration(o.uptimeMs)],
  ]);
}

/** The front page. */
export function overviewPage(): ConsolePage {
  const numbers = h('section', { id: 'summary' });
  const chart = h('section', { id: 'chart' });
  const destinations = h('section', { id: 'destinations' });
  const sessions = h('section', { id: 'sessions' });
  const root = h('div', {}, h('h1', {}, 'Broker'), numbers, h('h2', {}, 'Throughput, last 5 minutes (per second)'), chart,
    h('h2', {}, 'Destinations'), destinations, h('h2', {}, 'Clients'), sessions);
  const update = async () => {
    const [o, d, s] = await Promise.all([api<Overview>('/api/overview'), api<Page<Destination>>('/api/destinations?limit=1000'),
      api<Page<Session>>('/api/sessions?state=busy&limit=1000')]);
    document.title = `stomp-broker ${o.version} on ${o.host}:${o.port}`;
    fill(numbers, summary(o));
    fill(chart, rateChart(o.history, RATE_SERIES, 760, 200));
    fill(destinations, table(DESTINATION_COLUMNS, d.items.map(destinationRow), 'No destinations in use.'));
    fill(sessions, table(SESSION_COLUMNS, s.items.filter((x) => x.client).map(sessionRow), 'No clients connected.'));
  };
  return { root, update };
}
