/**
 * The console's page of one session process (runs in the browser): its client, memory and CPU, its
 * subscriptions, and the action that closes its client.
 */
import { api, ApiError, type Session } from './api.js';
import { bytes, type ConsolePage, destinationLink, fields, fill, h, table, time } from './dom.js';

const SUBSCRIPTION_COLUMNS: Array<[string, string]> = [
  ['destination', 'destination'], ['ack', 'ack'], ['prefetch', 'prefetch'], ['inFlight', 'in flight'],
];

function numbers(s: Session): HTMLElement {
  const c = s.client;
  return fields([
    ['pid', 'pid', s.pid], ['state', 'state', s.state], ['address', 'client address', c?.address ?? ''],
    ['login', 'login', c?.login ?? ''], ['clientId', 'client id', c?.clientId ?? ''], ['version', 'STOMP', c?.version ?? ''],
    ['connectedAt', 'connected since', c ? time(c.connectedAt) : ''], ['subscriptions', 'subscriptions', c?.subscriptions ?? 0],
    ['inFlight', 'in flight', c?.inFlight ?? 0], ['rss', 'RSS', s.memory ? bytes(s.memory.rssBytes) : ''],
    ['pss', 'PSS', s.memory ? bytes(s.memory.pssBytes) : ''],
    ['cpu', 'CPU', s.cpu ? `${s.cpu.percent ?? '…'}% (${s.cpu.seconds.toFixed(2)} s in all)` : ''],
    ['clients', 'clients served', s.clients], ['paused', 'paused by flow control', s.paused ? 'yes' : 'no'],
  ]);
}

/** The page of session `id`. */
export function sessionPage(id: number): ConsolePage {
  const result = h('p', { id: 'action-result', role: 'status' });
  const numbersEl = h('section', { id: 'numbers' });
  const subs = h('section', { id: 'subscriptions' });
  let serial = 0;
  const close = h('button', {
    type: 'button', 'data-action': 'close session', onclick: () => void closeClient(id, serial, result),
  }, 'close session');
  const root = h('div', {}, h('p', {}, h('a', { href: '#/' }, '← broker')), h('h1', {}, `Session ${id}`),
    h('div', { class: 'actions' }, close), result, numbersEl, h('h2', {}, 'Subscriptions'), subs);
  const update = async () => {
    const s = await api<Session>(`/api/sessions/${id}`);
    serial = s.client?.serial ?? 0;
    close.toggleAttribute('disabled', !s.client);
    fill(numbersEl, numbers(s));
    fill(subs, table(SUBSCRIPTION_COLUMNS, (s.subscriptions ?? []).map((x) => ({
      attrs: {}, cells: [destinationLink(x.destination), x.ack, x.prefetch || 'unlimited', x.inFlight],
    })), 'No subscriptions.'));
  };
  return { root, update };
}

/** Asks the broker to close the session's client (the one shown: `serial`), after a confirmation. */
async function closeClient(id: number, serial: number, result: HTMLElement): Promise<void> {
  if (!serial || !confirm(`Close the client of session ${id}? It gets ERROR "closed by an operator".`)) return;
  try {
    await api(`/api/sessions/${id}/close`, { client: serial });
    fill(result, 'closing: the client got ERROR "closed by an operator"');
  } catch (err) {
    fill(result, h('span', { class: 'error' }, err instanceof ApiError ? err.message : String(err)));
  }
}
