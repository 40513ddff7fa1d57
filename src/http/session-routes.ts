/**
 * Session routes: the session processes with their clients, memory and CPU, one session with its
 * subscriptions, and closing a session's client (ERROR "closed by an operator", then close).
 */
import type { FastifyInstance } from 'fastify';
import type { HubSession } from '../hub/model.js';
import { refuse } from './destination-routes.js';
import type { ProcStats } from './proc-stats.js';
import {
  closeBody, closeReply, routeSchema, sessionListQuery, sessionListReply, sessionParams, sessionReply,
} from './schemas.js';
import type { ApiContext } from './server.js';
import type { SessionEntry } from './source.js';

type IdParams = { Params: { id: number } };

/** Messages offered or handed to a subscription's client and not settled. */
function inFlightOf(client: HubSession): number {
  let n = 0;
  for (const sub of client.subs.values()) n += sub.unacked.size + sub.pendingOffers.size;
  return n;
}

/** One session as the API shows it. */
function sessionView(e: SessionEntry, stats: ProcStats | null | undefined) {
  const { process: p, client } = e;
  return {
    id: p.id, pid: p.pid, state: p.state, clients: p.clients, paused: e.paused,
    client: client && p.state === 'busy' ? {
      serial: client.serial, address: client.remote || p.address, login: client.login, clientId: client.clientId,
      version: client.version, connectedAt: client.connectedAt ?? 0, subscriptions: client.subs.size,
      inFlight: inFlightOf(client),
    } : null,
    memory: stats ? { rssBytes: stats.rssBytes, pssBytes: stats.pssBytes } : null,
    cpu: stats ? { seconds: stats.cpuSeconds, percent: stats.cpuPercent } : null,
  };
}

/** Registers the session routes. */
export function sessionRoutes(app: FastifyInstance, { source, procs, log }: ApiContext): void {
  app.get<{ Querystring: { limit: number; offset: number; state?: 'starting' | 'idle' | 'busy' } }>('/api/sessions',
    { schema: routeSchema({ querystring: sessionListQuery, reply: sessionListReply }) },
    async (req) => {
      const { limit, offset, state } = req.query;
      const all = source.sessions().filter((e) => !state || e.process.state === state);
      const page = all.slice(offset, offset + limit);
      const stats = await procs.statsOf(page.map((e) => e.process.pid));
      return { total: all.length, offset, items: page.map((e) => sessionView(e, stats.get(e.process.pid))) };
    });

  app.get<IdParams>('/api/sessions/:id',
    { schema: routeSchema({ params: sessionParams, reply: sessionReply }) },
    async (req, reply) => {
      const entry = source.session(req.params.id);
      if (!entry) return refuse(reply, 404, `no session ${req.params.id}`);
      const stats = (await procs.statsOf([entry.process.pid])).get(entry.process.pid);
      const subs = entry.client && entry.process.state === 'busy' ? [...entry.client.subs.values()] : [];
      return {
        ...sessionView(entry, stats),
        subscriptions: subs.map((s) => ({
          key: s.key, destination: s.source, ack: s.ack, prefetch: s.prefetch, inFlight: s.unacked.size + s.pendingOffers.size,
        })),
      };
    });

  app.post<IdParams & { Body: { client?: number } }>('/api/sessions/:id/close',
    { schema: routeSchema({ params: sessionParams, body: closeBody, reply: closeReply, status: 202 }) },
    async (req, reply) => {
      const { id } = req.params;
      const outcome = source.closeClient(id, req.body.client);
      if (outcome === 'no-session') return refuse(reply, 404, `no session ${id}`);
      if (outcome === 'no-client') return refuse(reply, 409, `session ${id} serves no client`);
      if (outcome === 'other-client') return refuse(reply, 409, `session ${id} serves another client than ${req.body.client} now`);
      log.info(`management: session ${id} closed by an operator`);
      return reply.code(202).send({ session: id, closing: true });
    });
}
