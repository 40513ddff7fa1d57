/**
 * JSON schemas of the management API: every parameter a route takes (fastify validates them and
 * answers 400 with a message naming the one that is wrong) and every answer (fastify serialises
 * with them, so a field not listed here is never sent).
 */

/** Most messages one browse returns. */
export const MAX_BROWSE = 1000;
/** Most body bytes one browsed message shows. */
export const MAX_PREVIEW = 65_536;
/** Most messages one retry looks at. */
export const MAX_RETRY = 10_000;
/** Most rows one list returns. */
export const MAX_PAGE = 1000;

const int = (minimum: number, maximum: number, dflt?: number) => ({
  type: 'integer', minimum, maximum, ...(dflt === undefined ? {} : { default: dflt }),
});
const num = { type: 'number' };
const str = { type: 'string' };
const bool = { type: 'boolean' };
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

/** The answer of every refused request. */
export const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: str, message: str },
};

/** `:name` of the destination routes: the destination, URL-encoded (`%2Fqueue%2Fjobs`). */
export const destinationParams = {
  type: 'object', required: ['name'], additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 1024 } },
};

/** `:id` of the session routes. */
export const sessionParams = {
  type: 'object', required: ['id'], additionalProperties: false,
  properties: { id: int(1, Number.MAX_SAFE_INTEGER) },
};

/** Paging of the lists. */
const page = { limit: int(1, MAX_PAGE, 100), offset: int(0, Number.MAX_SAFE_INTEGER, 0) };

/** The query of a route that takes none: any parameter is refused. */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} };

/** Query of GET /api/destinations. */
export const destinationListQuery = {
  type: 'object', additionalProperties: false,
  properties: { ...page, kind: { type: 'string', enum: ['queue', 'topic'] }, prefix: { type: 'string', maxLength: 1024 } },
};

/** Query of GET /api/destinations/:name/messages. */
export const browseQuery = {
  type: 'object', additionalProperties: false,
  properties: { limit: int(1, MAX_BROWSE, 50), preview: int(0, MAX_PREVIEW, 1024) },
};

/** Query of GET /api/sessions. */
export const sessionListQuery = {
  type: 'object', additionalProperties: false,
  properties: { ...page, state: { type: 'string', enum: ['starting', 'idle', 'busy'] } },
};

/** Body of POST …/purge: an empty JSON object (a JSON body keeps other web pages' forms out). */
export const emptyBody = { type: 'object', additionalProperties: false, properties: {} };

/** Body of POST …/retry. */
export const retryBody = {
  type: 'object', additionalProperties: false, properties: { limit: int(1, MAX_RETRY, 1000) },
};

/** Body of POST /api/sessions/:id/close: `client`, when given, must still be the session's client. */
export const closeBody = {
  type: 'object', additionalProperties: false, properties: { client: int(1, Number.MAX_SAFE_INTEGER) },
};

const rates = {
  type: 'object',
  properties: { enqueued: num, delivered: num, acked: num, deadLettered: num },
};

const ratePoint = { type: 'object', properties: { t: num, ...rates.properties } };

const destination = {
  type: 'object',
  properties: {
    name: str, kind: str, depth: num, bytes: num, consumers: num, inFlight: num, enqueued: num, delivered: num,
    acked: num, deadLettered: num, expired: num, deadLetterQueue: str, rates,
  },
};

/** GET /api/destinations. */
export const destinationListReply = {
  type: 'object',
  properties: { total: num, offset: num, items: { type: 'array', items: destination } },
};

/** GET /api/destinations/:name. */
export const destinationReply = {
  type: 'object',
  properties: { ...destination.properties, history: { type: 'array', items: ratePoint } },
};

const failure = { type: 'object', properties: { time: num, reason: str } };

const message = {
  type: 'object',
  properties: {
    id: num, destination: str, priority: num, persistent: bool, redeliveries: num, deliverAt: num, expiresAt: num,
    headers: { type: 'object', additionalProperties: str }, bodyBytes: num, body: str, bodyEncoding: str,
    truncated: bool, failures: { type: 'array', items: failure },
    deadLetter: nullable({
      type: 'object',
      properties: { originalDestination: str, reason: str, failures: num, history: { type: 'array', items: failure } },
    }),
  },
};

/** GET /api/destinations/:name/messages. */
export const browseReply = {
  type: 'object',
  properties: { destination: str, depth: num, messages: { type: 'array', items: message } },
};

/** POST …/purge. */
export const purgeReply = { type: 'object', properties: { destination: str, purged: num } };

/** POST …/retry. */
export const retryReply = {
  type: 'object',
  properties: {
    destination: str, moved: num, skipped: num, remaining: num,
    to: { type: 'object', additionalProperties: num },
  },
};

const client = {
  type: 'object',
  properties: {
    serial: num, address: str, login: str, clientId: str, version: str, connectedAt: num, subscriptions: num,
    inFlight: num,
  },
};

const session = {
  type: 'object',
  properties: {
    id: num, pid: num, state: str, clients: num, paused: bool, client: nullable(client),
    memory: nullable({ type: 'object', properties: { rssBytes: num, pssBytes: num } }),
    cpu: nullable({ type: 'object', properties: { seconds: num, percent: nullable(num) } }),
  },
};

/** GET /api/sessions. */
export const sessionListReply = {
  type: 'object',
  properties: { total: num, offset: num, items: { type: 'array', items: session } },
};

/** GET /api/sessions/:id. */
export const sessionReply = {
  type: 'object',
  properties: {
    ...session.properties,
    subscriptions: {
      type: 'array',
      items: { type: 'object', properties: { key: num, destination: str, ack: str, prefetch: num, inFlight: num } },
    },
  },
};

/** POST /api/sessions/:id/close. */
export const closeReply = { type: 'object', properties: { session: num, closing: bool } };

/** GET /api/overview. */
export const overviewReply = {
  type: 'object',
  properties: {
    pid: num, version: str, uptimeMs: num, host: str, port: num, connections: num, pendingConnections: num,
    idleSessions: num, sessionProcesses: num,
    totals: {
      type: 'object',
      properties: { queues: num, topics: num, depth: num, bytes: num, inFlight: num, consumers: num, heldBytes: num },
    },
    counters: {
      type: 'object',
      properties: {
        connectionsAccepted: num, connectionsRefused: num, sessionsStarted: num, sessionsExited: num,
        clientsHandedOff: num,
      },
    },
    rates, history: { type: 'array', items: ratePoint },
  },
};

/** A route's schema: its inputs and its answers (the error shape for every refusal). */
export function routeSchema(parts: { params?: object; querystring?: object; body?: object; reply: object; status?: number }): object {
  return {
    ...(parts.params ? { params: parts.params } : {}),
    querystring: parts.querystring ?? noQuery,
    ...(parts.body ? { body: parts.body } : {}),
    response: { [parts.status ?? 200]: parts.reply, '4xx': errorSchema, '5xx': errorSchema },
  };
}
