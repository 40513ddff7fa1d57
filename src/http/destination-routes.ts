/**
 * Destination routes: the list with counters and rates, one destination with its chart series,
 * browsing a queue, purging it, and moving its dead letters back. A destination name is one path
 * segment, URL-encoded: `/api/destinations/%2Fqueue%2Fjobs`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DestinationView } from '../hub/operations.js';
import { isTopic } from '../protocol/destination.js';
import { messageView } from './message-view.js';
import {
  browseQuery, browseReply, destinationListQuery, destinationListReply, destinationParams, destinationReply, emptyBody,
  purgeReply, retryBody, retryReply, routeSchema,
} from './schemas.js';
import type { ApiContext } from './server.js';

type NameParams = { Params: { name: string } };

/** Sends a refusal in the API's error shape. */
export function refuse(reply: FastifyReply, statusCode: 400 | 404 | 409, message: string): FastifyReply {
  const error = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' }[statusCode];
  return reply.code(statusCode).send({ statusCode, error, message });
}

function noSuchDestination(reply: FastifyReply, name: string): FastifyReply {
  return refuse(reply, 404, `no destination ${name} (the hub forgets a queue once it is empty and unused)`);
}

function noMessagesInTopics(reply: FastifyReply, name: string): FastifyReply {
  return refuse(reply, 400, `${name} is a topic: topics hold no messages (durable subscriptions are queues named durable:NAME)`);
}

/** Registers the destination routes. */
export function destinationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { source: { router }, rates } = ctx;
  const withRates = (v: DestinationView) => ({ ...v, rates: rates.ratesOf(v) });

  app.get<{ Querystring: { limit: number; offset: number; kind?: 'queue' | 'topic'; prefix?: string } }>(
    '/api/destinations',
    { schema: routeSchema({ querystring: destinationListQuery, reply: destinationListReply }) },
    async (req) => {
      const { limit, offset, kind, prefix } = req.query;
      const all = router.destinationViews().filter((v) => (!kind || v.kind === kind) && (!prefix || v.name.startsWith(prefix)));
      return { total: all.length, offset, items: all.slice(offset, offset + limit).map(withRates) };
    },
  );

  app.get<NameParams>('/api/destinations/:name',
    { schema: routeSchema({ params: destinationParams, reply: destinationReply }) },
    async (req, reply) => {
      const view = router.destinationView(req.params.name);
      if (!view) return noSuchDestination(reply, req.params.name);
      return { ...withRates(view), history: rates.historyOf(view) };
    });

  app.get<NameParams & { Querystring: { limit: number; preview: number } }>('/api/destinations/:name/messages',
    { schema: routeSchema({ params: destinationParams, querystring: browseQuery, reply: browseReply }) },
    async (req, reply) => {
      const { name } = req.params;
      if (isTopic(name)) return noMessagesInTopics(reply, name);
      const held = router.browse(name, req.query.limit);
      if (!held) return noSuchDestination(reply, name);
      const depth = router.destinationView(name)?.depth ?? 0;
      return { destination: name, depth, messages: held.map((h) => messageView(h, req.query.preview)) };
    });

  destinationActions(app, ctx);
}

/** Registers the routes that change a queue: purge and retry. */
function destinationActions(app: FastifyInstance, { source: { router }, log }: ApiContext): void {
  app.post<NameParams>('/api/destinations/:name/purge',
    { schema: routeSchema({ params: destinationParams, body: emptyBody, reply: purgeReply }) },
    async (req, reply) => {
      const { name } = req.params;
      if (isTopic(name)) return noMessagesInTopics(reply, name);
      if (!router.destinationView(name)) return noSuchDestination(reply, name);
      const purged = await router.purge(name);
      log.info(`management: purged ${purged} messages of ${name}`);
      return { destination: name, purged };
    });

  app.post<NameParams & { Body: { limit: number } }>('/api/destinations/:name/retry',
    { schema: routeSchema({ params: destinationParams, body: retryBody, reply: retryReply }) },
    async (req, reply) => {
      const { name } = req.params;
      if (isTopic(name)) return noMessagesInTopics(reply, name);
      const work = router.retryDeadLetters(name, req.body.limit);
      if (!work) return noSuchDestination(reply, name);
      const result = await work;
      log.info(`management: moved ${result.moved} dead letters of ${name} back`);
      return { destination: name, ...result };
    });
}
