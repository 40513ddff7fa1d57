/**
 * The console's view of the management API (runs in the browser): the shapes of the answers it reads
 * and one function to call a route. The browser sends the basic-auth
 * credentials it asked the user for with every request to the same origin.
 */

import type { DestinationView } from '../../hub/operations.js';
import type { FailureView, MessageView } from '../message-view.js';
import type { RatePoint, Rates, Totals } from '../rates.js';
import type { BrokerSummary } from '../source.js';

// The server's own types (type-only imports: nothing of the server reaches the browser), so the
// console cannot drift from what the routes answer.
export type { RatePoint, Rates };

/** A destination row (GET /api/destinations; with its chart series from GET /api/destinations/:name). */
export interface Destination extends DestinationView {
  rates: Rates;
  history?: RatePoint[];
}

/** GET /api/overview. */
export interface Overview extends BrokerSummary {
  totals: Totals & { heldBytes: number };
  rates: Rates;
  history: RatePoint[];
}

/** A session row (and, from GET /api/sessions/:id, its subscriptions). */
export interface Session {
  id: number;
  pid: number;
  state: string;
  clients: number;
  paused: boolean;
  client: null | {
    serial: number; address: string; login: string; clientId: string; version: string; connectedAt: number;
    subscriptions: number; inFlight: number;
  };
  memory: null | { rssBytes: number; pssBytes: number };
  cpu: null | { seconds: number; percent: number | null };
  subscriptions?: Array<{ key: number; destination: string; ack: string; prefetch: number; inFlight: number }>;
}

/** One failed delivery. */
export type Failure = FailureView;

/** A browsed message. */
export type Message = MessageView;

/** A page of a list. */
export interface Page<T> {
  total: number;
  offset: number;
  items: T[];
}

/** A refused or failed call: the API's message and the HTTP status. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Calls a route: GET without `body`, else POST with it as JSON; resolves with the JSON answer. */
export async function api<T>(path: string, body?: object): Promise<T> {
  const init: RequestInit = body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  };
  const res = await fetch(path, init);
  const json = await res.json().catch(() => ({})) as { message?: string };
  if (!res.ok) throw new ApiError(res.status, json.message ?? res.statusText);
  return json as T;
}

/** The API path of a destination. */
export function destinationPath(name: string): string {
  return `/api/destinations/${encodeURIComponent(name)}`;
}
