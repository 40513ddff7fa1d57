/**
 * The management HTTP server (fastify), run inside the hub process when `--http-port` is given: the
 * JSON API under /api/, Prometheus metrics at /metrics and the web console at /. It reads the hub's
 * data through a BrokerSource; every handler costs O(what it returns) and long work (a purge) yields
 * between chunks, so using the API never stalls routing.
 */
import dns from 'node:dns/promises';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ConfigError } from '../hub/policy.js';
import type { Logger } from '../log.js';
import { AccessControl, REALM } from './access.js';
import { brokerRoutes } from './broker-routes.js';
import { consoleRoutes } from './console-routes.js';
import { destinationRoutes } from './destination-routes.js';
import { Metrics } from './metrics.js';
import { ProcSampler } from './proc-stats.js';
import { RateTracker } from './rates.js';
import { sessionRoutes } from './session-routes.js';
import type { BrokerSource } from './source.js';

/** Where and how the management server runs. */
export interface ManagementOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** Serve the API without a users file on an address other hosts can reach. */
  allowAnonymous?: boolean;
  /** Delay of a first refused login from an address, ms (as for STOMP logins); 0 = none. */
  authFailureDelayMs?: number;
}

/** What every route module is given. */
export interface ApiContext {
  source: BrokerSource;
  rates: RateTracker;
  procs: ProcSampler;
  metrics: Metrics;
  log: Logger;
}

/** A running management server. */
export interface ManagementServer {
  /** The port listened on. */
  readonly port: number;
  /** Stops listening (open connections are closed) and stops sampling. */
  close(): Promise<void>;
}

/** Most bytes of a request body (the API's bodies are a few small fields). */
const BODY_LIMIT = 16 * 1024;
/** Longest URL-encoded path parameter: a destination of 1024 characters, each up to 3 bytes as %XX. */
const MAX_PARAM_LENGTH = 3 * 3 * 1024;

/** Starts the management server; throws ConfigError when it would be open to other hosts. */
export async function startManagement(source: BrokerSource, options: ManagementOptions): Promise<ManagementServer> {
  const loopback = await isLoopbackName(options.host);
  if (!loopback && !source.users() && !options.allowAnonymous) {
    throw new ConfigError(`refusing to serve the management API on ${options.host} without --users: anyone who can `
      + 'reach it could purge queues and close clients. Give --users FILE (a user with admin on * logs in), or keep '
      + '--http-host on a loopback address.');
  }
  const procs = new ProcSampler();
  const rates = new RateTracker(() => source.router.eachDestinationView());
  const metrics = new Metrics(source, procs);
  const app = buildApp({ source, rates, procs, metrics, log: options.log }, new AccessControl(() => source.users(), loopback,
    options.authFailureDelayMs));
  await app.listen({ host: options.host, port: options.port });
  rates.start();
  source.router.storeTimer = (op, seconds, ok) => metrics.observeStore(op, seconds, ok);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: async () => {
      rates.stop();
      source.router.storeTimer = null;
      await app.close();
    },
  };
}

/** The fastify application with its hooks and routes (not listening yet). */
export function buildApp(ctx: ApiContext, access: AccessControl): FastifyInstance {
  const app = Fastify({
    logger: false, bodyLimit: BODY_LIMIT, routerOptions: { maxParamLength: MAX_PARAM_LENGTH }, forceCloseConnections: true,
    // Unknown parameters are refused (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.addHook('onRequest', async (req, reply) => {
    const denial = await access.check(req.headers.authorization, req.headers.host, req.socket.remoteAddress ?? '');
    if (!denial) return;
    if (denial.status === 401) reply.header('www-authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
    return reply.code(denial.status).send({ statusCode: denial.status, error: STATUS_CODES[denial.status], message: denial.message });
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const statusCode = err.validation ? 400 : err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (statusCode >= 500) ctx.log.error(`management: ${req.method} ${req.url}: ${err.stack ?? err.message}`);
    const message = statusCode >= 500 ? 'internal error (see the broker log)' : err.message;
    return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode], message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({
    statusCode: 404, error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}`,
  }));
  brokerRoutes(app, ctx);
  destinationRoutes(app, ctx);
  sessionRoutes(app, ctx);
  consoleRoutes(app);
  return app;
}

/** Whether `host` is a loopback address, or a name all of whose addresses are. */
export async function isLoopbackName(host: string): Promise<boolean> {
  const loopbackIp = (ip: string) => (net.isIPv4(ip) ? ip.startsWith('127.') : ip === '::1' || /^::ffff:127\./i.test(ip));
  if (net.isIP(host)) return loopbackIp(host);
  try {
    const addresses = await dns.lookup(host, { all: true });
    return addresses.length > 0 && addresses.every((a) => loopbackIp(a.address));
  } catch {
    return false; // the listen that follows reports the unknown name
  }
}
