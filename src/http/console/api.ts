/**
 * The console's view of the management API (runs in the browser): the shapes of the answers it reads
 * (see src/http/schemas.ts) and one function to call a route. The browser sends the basic-auth
 * credentials it asked the user for with every request to the same origin.
 */

/** Messages per second over the last minute. */
export interface Rates {
  enqueued: number;
  delivered: number;
  acked: number;
  deadLettered: number;
}

/** One chart point. */
export interface RatePoint extends Rates {
  t: number;
}

/** A destination row. */
export interface Destination {
  name: string;
  kind: 'queue' | 'topic';
  depth: number;
  bytes: number;
  consumers: number;
  inFlight: number;
  enqueued: number;
  delivered: number;
  acked: number;
  deadLettered: number;
  expired: number;
  deadLetterQueue: string;
  rates: Rates;
  history?: RatePoint[];
}

/** GET /api/overview. */
export interface Overview {
  pid: number;
  version: string;
  uptimeMs: number;
  host: string;
  port: number;
  connections: number;
  pendingConnections: number;
  idleSessions: number;
  sessionProcesses: number;
  totals: { queues: number; topics: number; depth: number; bytes: number; inFlight: number; consumers: number; heldBytes: number };
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
export interface Failure {
  time: number;
  reason: string;
}

/** A browsed message. */
export interface Message {
  id: number;
  destination: string;
  priority: number;
  persistent: boolean;
  redeliveries: number;
  deliverAt: number;
  headers: Record<string, string>;
  bodyBytes: number;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  truncated: boolean;
  failures: Failure[];
  deadLetter: null | { originalDestination: string; reason: string; failures: number; history: Failure[] };
}

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
