/**
 * A SessionContext without a socket or a hub, for unit tests of the session's frame handlers: it
 * records the frames written to the client, the bus messages and the connection calls, and hands out
 * receipt request ids exactly as the session does (from the real SessionState).
 */
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, type SessionConfig, sessionConfigOf } from '../../src/config.js';
import { type Access, ANONYMOUS } from '../../src/auth/access.js';
import type { RequestId, SessionToHub } from '../../src/ipc/contract.js';
import { StompError, type StompErrorCode } from '../../src/protocol/errors.js';
import type { Frame, Headers, StompVersion } from '../../src/protocol/frame.js';
import type { ConnectionControl, SessionContext } from '../../src/session/context.js';
import { type Delivery, SessionState, type Subscription } from '../../src/session/state.js';

/** One call a handler made on the connection. */
export type ConnectionCall =
  | { call: 'connected'; version: StompVersion }
  | { call: 'startHeartbeat'; send: number; receive: number }
  | { call: 'close' };

/** A SessionContext that records everything a handler does. */
export interface FakeContext extends SessionContext {
  /** Frames written to the client, in order. */
  readonly sent: Frame[];
  /** Bus messages to the hub, in order. */
  readonly messages: SessionToHub[];
  readonly connectionCalls: ConnectionCall[];
  /** The request id DISCONNECT asked to close after, 0 when none. */
  closeAfterRid: RequestId;
}

/** What a client without a users file may do: everything. */
export const FULL_ACCESS: Access = { user: ANONYMOUS, deadLetters: [], ownQueues: '/reply-queue/session-4242-Zm9vYmFyYmF6.' };

/** The session's name (CONNECTED's `session` header) of every fake. */
export const SESSION_NAME = 'session-4242-1';
/** The client address of every fake. */
export const REMOTE = '127.0.0.1:5555';

/**
 * A fake context. `connected` names the version the client negotiated (the state as after CONNECT);
 * false leaves it unconnected. `config` overrides the session defaults (the broker's); `access` is what
 * the hub said the client may do (default: everything).
 */
export function fakeContext(
  options: { connected?: StompVersion | false; config?: Partial<SessionConfig>; access?: Access } = {},
): FakeContext {
  const state = new SessionState();
  const { connected = '1.2' } = options;
  if (connected) {
    state.connected = true;
    state.version = connected;
    state.access = options.access ?? FULL_ACCESS;
  }
  const connectionCalls: ConnectionCall[] = [];
  const connection: ConnectionControl = {
    connected: (version) => connectionCalls.push({ call: 'connected', version }),
    startHeartbeat: (send, receive) => connectionCalls.push({ call: 'startHeartbeat', send, receive }),
    close: () => connectionCalls.push({ call: 'close' }),
  };
  const ctx: FakeContext = {
    state,
    config: { ...sessionConfigOf(DEFAULT_CONFIG, 'stomp-broker/test'), ...options.config },
    sessionName: SESSION_NAME,
    remote: REMOTE,
    connection,
    sent: [],
    messages: [],
    connectionCalls,
    closeAfterRid: 0,
    send: (frame) => ctx.sent.push(frame),
    bus: (message) => ctx.messages.push(message),
    // Unfolded: each ACK frame's message as it would be before folding.
    busAck: (ids, rid) => ctx.messages.push({ t: 'ack', ids, rid }),
    // As Session.receiptFor: a frame without `receipt` needs no answer.
    receiptFor: (frame) => (frame.headers.receipt === undefined ? 0 : state.expectReceipt(frame.headers.receipt)),
    closeAfter: (rid) => {
      ctx.closeAfterRid = rid;
    },
    peerCertificate: () => Buffer.alloc(0),
  };
  return ctx;
}

/** A client frame. */
export function frame(command: string, headers: Headers = {}, body: string | Buffer = ''): Frame {
  return { command, headers, body: typeof body === 'string' ? Buffer.from(body) : body };
}

/** Asserts that `fn` throws a StompError with this code and title (the ERROR frame's `message`). */
export function throwsStomp(fn: () => unknown, code: StompErrorCode, message: string | RegExp, detail?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StompError, `expected a StompError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    if (detail) assert.match(err.detail, detail);
    return true;
  });
}

/** The receipt header value a bus request id stands for (undefined for 0 or an unknown id). */
export function receiptOf(ctx: FakeContext, rid: RequestId): string | undefined {
  return ctx.state.receipts.get(rid);
}

/**
 * Adds a subscription to the state as SUBSCRIBE would, without a bus message: for tests of frames that
 * need one (ACK, NACK, UNSUBSCRIBE).
 */
export function addSubscription(ctx: FakeContext, id: string, dest: string,
  fields: Partial<Omit<Subscription, 'id' | 'dest'>> = {}): Subscription {
  const sub: Subscription = {
    id, key: ctx.state.newSubscriptionKey(), dest, ack: 'client-individual', prefetch: 0, claims: 0, passedEpoch: -1,
    unacked: new Map(), closed: false, durable: false, ...fields,
  };
  ctx.state.addSubscription(sub);
  return sub;
}

/**
 * Records a MESSAGE of `sub` as delivered and awaiting ACK, as the session does when it writes one:
 * the ack id is a delivery tag in 1.2, the message id in 1.0 and 1.1.
 */
export function deliver(ctx: FakeContext, sub: Subscription, msgId: number, fromQueue = true): Delivery {
  const ackId = ctx.state.version === '1.2' ? ctx.state.newDeliveryTag() : String(msgId);
  const delivery: Delivery = { ackId, key: ctx.state.deliveryKey(sub, ackId), msgId, sub, fromQueue };
  ctx.state.track(delivery);
  return delivery;
}
