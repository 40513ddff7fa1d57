/**
 * What the hub does with each message a session sends: one handler per contract message, typed
 * from the union so that a new message fails `tsc` until it is handled here.
 */
import type { AuthMsg, Handlers, RequestId, SessionToHub } from '../ipc/contract.js';
import type { Logger } from '../log.js';
import type { HubSession } from './model.js';
import type { Router } from './router.js';

/** What the handlers need from the hub besides the router. */
export interface HubServices {
  router: Router;
  log: Logger;
  /**
   * Answers request `rid` (done, or reject if `work` fails) once `work` and everything the session
   * asked before it have taken effect, so answers leave in request order.
   */
  complete(session: HubSession, work: Promise<void> | undefined, rid: RequestId): void;
  /** Decides the client's login and answers `auth-reply`. */
  login(session: HubSession, m: AuthMsg): void;
  /** The session stopped reading its client (the broker is stopping). */
  drained(session: HubSession): void;
}

/** Builds the hub's dispatch table for session messages. */
export function sessionHandlers({ router, log, complete, login, drained }: HubServices): Handlers<SessionToHub, HubSession> {
  return {
    hello: () => {}, // handled when the peer is admitted; a second one is refused before dispatch
    end: () => {}, // handled by Hub.dispatch: the session's next messages are its next client's
    auth: (m, s) => login(s, m),
    'rights-ack': () => {}, // noted by the gatekeeper's check, which every message passes first
    drained: (_m, s) => drained(s),
    connected: (m, s) => {
      s.login = m.login;
      s.version = m.version;
      s.remote = m.remote;
      s.clientId = m.clientId;
      s.connectedAt = Date.now();
      log.info('client connected', { event: 'connect', session: s.id, sessionPid: s.pid, remote: m.remote, login: m.login, version: m.version });
    },
    closed: (m, s) => {
      log.info('client disconnected', {
        event: 'disconnect', session: s.id, sessionPid: s.pid, remote: s.remote, login: s.login, reason: m.reason,
        ...(m.error ? { error: m.error } : {}),
      });
    },
    publish: (m, s) => complete(s, router.publish(s, m.dest, m.headers, m.body, m.props), m.rid),
    subscribe: (m, s) => complete(s, router.subscribe(s, m.sub, m.dest, m.ack, m.prefetch, m.ackTimeoutMs, m.durable), m.rid),
    unsubscribe: (m, s) => complete(s, router.unsubscribe(s, m.sub, m.forget), m.rid),
    claim: (m, s) => router.claim(s, m.offer, m.sub),
    pass: (m, s) => router.pass(s, m.offer, m.unmatched === true),
    ack: (m, s) => complete(s, router.ack(s, m.ids), m.rid),
    nack: (m, s) => complete(s, router.nack(s, m.ids, m.options), m.rid),
    commit: (m, s) => complete(s, router.commit(s, m.ops), m.rid),
    sync: (m, s) => complete(s, undefined, m.rid),
    flow: (m, s) => router.setWritable(s, m.writable, m.topics),
  };
}
