/**
 * Broker-wide routes: the overview (summary, totals of the last sample, rates and the throughput
 * series of the last five minutes) and the Prometheus metrics.
 */
import type { FastifyInstance } from 'fastify';
import { overviewReply, routeSchema } from './schemas.js';
import type { ApiContext } from './server.js';

/** Registers /api/overview and /metrics. */
export function brokerRoutes(app: FastifyInstance, { source, rates, metrics }: ApiContext): void {
  app.get('/api/overview', { schema: routeSchema({ reply: overviewReply }) }, async () => {
    return {
      ...source.summary(), totals: { ...rates.current, heldBytes: source.router.flow.heldBytes }, counters: source.counters(),
      rates: rates.totalRates(), history: rates.totalHistory(),
    };
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
