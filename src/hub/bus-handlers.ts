/**
 * What the hub does with each message a session sends: one handler per contract message, typed
 * from the union so that a new message fails `tsc` until it is handled here.
 */
import type { Handlers, RequestId, SessionToHub } from '../ipc/contract.js';
import type { HubSession } from './model.js';
import type { Router } from './router.js';

/** What the handlers need from the hub besides the router. */
export interface HubServices {
  router: Router;
  /** Answers request `rid` once everything the session sent before it has taken effect. */
  done(session: HubSession, rid: RequestId): void;
}

/** Builds the hub's dispatch table for session messages. */
export function sessionHandlers({ router, done }: HubServices): Handlers<SessionToHub, HubSession> {
  return {
    hello: () => {}, // handled when the peer is admitted
    status: () => {}, // control clients only
    connected: (m, s) => {
      s.login = m.login;
      s.version = m.version;
      s.remote = m.remote;
    },
    publish: (m, s) => {
      router.publish(s, m.dest, m.headers, m.body);
      done(s, m.rid);
    },
    subscribe: (m, s) => {
      router.subscribe(s, m.sub, m.dest, m.ack, m.prefetch);
      done(s, m.rid);
    },
    unsubscribe: (m, s) => {
      router.unsubscribe(s, m.sub);
      done(s, m.rid);
    },
    claim: (m, s) => router.claim(s, m.offer, m.sub),
    pass: (m, s) => router.pass(s, m.offer),
    ack: (m, s) => {
      router.ack(s, m.ids);
      done(s, m.rid);
    },
    nack: (m, s) => {
      router.nack(s, m.ids);
      done(s, m.rid);
    },
    commit: (m, s) => {
      // Applied in one turn of the hub: no other session's frame can interleave.
      for (const op of m.ops) {
        if (op.t === 'publish') router.publish(s, op.dest, op.headers, op.body);
        else if (op.t === 'ack') router.ack(s, op.ids);
        else router.nack(s, op.ids);
      }
      done(s, m.rid);
    },
    sync: (m, s) => done(s, m.rid),
    flow: (m, s) => router.setWritable(s, m.writable),
  };
}
