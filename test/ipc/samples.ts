/** One sample of every bus contract message, shared by the codec and validation tests. */
import type {
  BrokerStatus, ControlToHub, HubToControl, HubToSession, MessageProps, NackOptions, SessionToHub, WireMessage,
} from '../../src/ipc/contract.js';
import { BUS_VERSION } from '../../src/ipc/contract.js';
import type { Access } from '../../src/auth/access.js';

/** A body with NUL bytes and every byte value. */
export const BINARY = Buffer.concat([Buffer.from([0, 0, 1, 0, 255]), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
const PROPS: MessageProps = { persistent: true, priority: 9, delayMs: 250, expiresAt: 1_800_000_000_000 };
const NACK: NackOptions = { requeue: false, retryAfterMs: -1, reason: 'bad \u0000 input ✓' };
const WIRE: WireMessage = {
  id: 123456789, dest: '/queue/a', headers: { 'content-type': 'application/octet-stream', 'x-ü': 'v:1\n' },
  body: BINARY, redeliveries: 2,
};
const ACCESS: Access = {
  user: { name: 'alice', grants: [{ rights: ['read', 'write'], pattern: '/queue/jobs.*' }, { rights: ['admin'], pattern: '*' }] },
  deadLetters: ['/queue/failed'],
  ownQueues: '/reply-queue/session-4242-Zm9vYmFyYmF6.',
};
const STATUS: BrokerStatus = {
  pid: 77, version: '0.1.0', uptimeMs: 12345, host: '127.0.0.1', port: 61613, tlsPort: 61614, wsPort: 15674, connections: 3, pendingConnections: 1, idleSessions: 2,
  destinations: [
    { name: '/queue/a', kind: 'queue', depth: 5, bytes: 5120, consumers: 1, inFlight: 2, enqueued: 10, delivered: 3 },
    { name: '/topic/t', kind: 'topic', depth: 0, bytes: 0, consumers: 4, inFlight: 0, enqueued: 9, delivered: 9 },
  ],
  sessions: [
    { id: 1, pid: 100, state: 'busy', address: '127.0.0.1', clients: 3, paused: true },
    { id: 2, pid: 101, state: 'starting', address: '', clients: 0, paused: false },
  ],
};

// One sample per message kind; the mapped types make tsc fail when a kind is added and not sampled here.
export const SESSION_TO_HUB: { [K in SessionToHub['t']]: Extract<SessionToHub, { t: K }> } = {
  hello: { t: 'hello', v: BUS_VERSION, session: 4, pid: 999 },
  connected: { t: 'connected', login: 'guest', version: '1.2', remote: '127.0.0.1:5000', clientId: 'c-1' },
  publish: { t: 'publish', dest: '/queue/a', headers: { a: '1', empty: '' }, body: BINARY, props: PROPS, rid: 5 },
  subscribe: {
    t: 'subscribe', sub: 3, dest: '/topic/x.#', ack: 'client-individual', prefetch: 10, ackTimeoutMs: 5000,
    durable: 'audit', rid: 6,
  },
  unsubscribe: { t: 'unsubscribe', sub: 3, forget: true, rid: 0 },
  claim: { t: 'claim', offer: 2 ** 40, sub: 3 },
  pass: { t: 'pass', offer: 8, unmatched: true },
  ack: { t: 'ack', ids: [1, 2, 2 ** 33], rid: 7 },
  nack: { t: 'nack', ids: [4], options: NACK, rid: 8 },
  commit: {
    t: 'commit', rid: 9, ops: [
      { t: 'publish', dest: '/topic/t', headers: {}, body: Buffer.alloc(0), props: { ...PROPS, persistent: false } },
      { t: 'ack', ids: [10] },
      { t: 'nack', ids: [11, 12], options: { requeue: true, retryAfterMs: 100, reason: '' } },
      { t: 'publish', dest: '/queue/b', headers: { k: 'v' }, body: BINARY, props: PROPS },
    ],
  },
  sync: { t: 'sync', rid: 10 },
  flow: { t: 'flow', writable: false, topics: true },
  closed: { t: 'closed', reason: 'error', error: 'Unknown message: ACK names nothing' },
  end: { t: 'end' },
  auth: { t: 'auth', login: 'alice', passcode: 'pa:ss\u0000wörd', cert: Buffer.from([0x30, 0x82, 0, 1]) },
  'rights-ack': { t: 'rights-ack', gen: 3 },
  drained: { t: 'drained' },
};

export const HUB_TO_SESSION: { [K in HubToSession['t']]: Extract<HubToSession, { t: K }> } = {
  welcome: { t: 'welcome', v: BUS_VERSION },
  offer: { t: 'offer', offer: 12, sub: 3, reserved: true, epoch: 2, msg: WIRE },
  grant: { t: 'grant', offer: 12 },
  refuse: { t: 'refuse', offer: 13 },
  deliver: { t: 'deliver', msg: { ...WIRE, dest: '/topic/t', redeliveries: 0, headers: {} } },
  revoke: { t: 'revoke', sub: 3, ids: [1, 2, 3] },
  done: { t: 'done', rid: 14 },
  reject: { t: 'reject', rid: 0, message: 'Queue full', detail: '/queue/a holds its maximum' },
  throttle: { t: 'throttle', paused: true },
  shutdown: { t: 'shutdown' },
  reset: { t: 'reset' },
  'auth-reply': { t: 'auth-reply', access: ACCESS },
  rights: { t: 'rights', gen: 3, access: { ...ACCESS, deadLetters: [] } },
  drain: { t: 'drain' },
};

export const CONTROL: { [K in ControlToHub['t'] | HubToControl['t']]: Extract<ControlToHub | HubToControl, { t: K }> } = {
  status: { t: 'status', rid: 11 },
  'status-reply': { t: 'status-reply', rid: 15, status: STATUS },
  reload: { t: 'reload', rid: 16 },
  'reload-reply': { t: 'reload-reply', rid: 16, ok: false, message: 'users.txt:3: unknown right "raed"' },
};
