/**
 * FlowControl: memory charged to queues and producers. A queue past its own bound pauses only the
 * producers that send to it, until it is under half its bound; past the global bound the producers
 * holding the most bytes are paused first. Consumers are never paused, nor a producer holding
 * unacknowledged messages; a forgotten client is told nothing more.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubToSession, ThrottleMsg } from '../../src/ipc/contract.js';
import { FlowControl } from '../../src/hub/flow-control.js';
import type { HeldMessage, HubSession, HubSubscription } from '../../src/hub/model.js';

interface FakeSession extends HubSession {
  sent: HubToSession[];
}

let nextSerial = 1;
function session(): FakeSession {
  const serial = nextSerial++;
  const s: FakeSession = {
    id: serial, serial, pid: 1, send: (m) => s.sent.push(m), sent: [], subs: new Map(), writable: true,
    login: '', version: '1.2', remote: 'test', clientId: '', pending: null,
  };
  return s;
}

/** Gives `s` a client-mode subscription holding `unacked` message ids. */
function holding(s: FakeSession, ...unacked: number[]): HubSubscription {
  const sub: HubSubscription = {
    session: s, key: s.subs.size + 1, source: '/queue/q', ack: 'client', prefetch: 0, ackTimeoutMs: 0,
    pendingOffers: new Set(), unacked: new Set(unacked), stalled: false, passes: 0, staleThrough: 0, stale: 0,
  };
  s.subs.set(sub.key, sub);
  return sub;
}

let nextId = 1;
/** A held message of `bytes` in `queue`, sent by `from`. */
function msg(queue: string, bytes: number, from?: FakeSession): HeldMessage {
  return {
    wire: { id: nextId++, dest: queue, headers: {}, body: Buffer.alloc(0), redeliveries: 0 }, queue, bytes, priority: 4,
    deliverAt: 0, expiresAt: 0, persistent: false, failures: [], marked: false, producer: from?.serial ?? 0,
  };
}

/** The throttle states `s` was told, in order (and forgets them). */
function throttles(s: FakeSession): boolean[] {
  const got = s.sent.map((m) => {
    assert.equal(m.t, 'throttle');
    return (m as ThrottleMsg).paused;
  });
  s.sent = [];
  return got;
}

/** Sends `bytes` from `from` to `queue`: published (which may pause it), then charged. */
function send(flow: FlowControl, from: FakeSession, queue: string, bytes: number): HeldMessage {
  flow.published(from, [{ queue: { name: queue } }]);
  const m = msg(queue, bytes, from);
  flow.charge(m);
  return m;
}

describe('FlowControl: a queue past its own bound', () => {
  // Blocked strictly above the bound; the next SEND to it pauses its producer; under half it resumes.
  test('pauses the producer that sends to it, resumes under half the bound', () => {
    const flow = new FlowControl(1 << 30, () => 1000);
    const p = session();
    const first = send(flow, p, '/queue/a', 1000);
    assert.deepEqual(throttles(p), [], 'at the bound: not blocked');
    const second = send(flow, p, '/queue/a', 1);
    assert.deepEqual(throttles(p), [], 'the message that crossed the bound is accepted');
    send(flow, p, '/queue/a', 1);
    assert.deepEqual(throttles(p), [true], 'the next SEND to the blocked queue pauses it');
    flow.release(second);
    flow.release(first);
    assert.equal(flow.queueBytes('/queue/a'), 1);
    assert.deepEqual(throttles(p), [false]);
  });

  // Memory is charged where it is caused: a producer sending elsewhere goes on.
  test('producers of other queues are not paused', () => {
    const flow = new FlowControl(1 << 30, () => 100);
    const [flooder, other] = [session(), session()];
    send(flow, flooder, '/queue/full', 500);
    send(flow, flooder, '/queue/full', 10);
    send(flow, other, '/queue/fine', 10);
    assert.deepEqual([throttles(flooder), throttles(other)], [[true], []]);
  });

  // Each queue's bound comes from its own policy.
  test('bounds differ per queue', () => {
    const flow = new FlowControl(1 << 30, (q) => (q === '/queue/big' ? 10_000 : 100));
    const p = session();
    send(flow, p, '/queue/big', 5000);
    send(flow, p, '/queue/big', 1);
    assert.deepEqual(throttles(p), []);
    send(flow, p, '/queue/small', 500);
    send(flow, p, '/queue/small', 1);
    assert.deepEqual(throttles(p), [true]);
  });
});

describe('FlowControl: the global bound', () => {
  // Past the global bound the biggest producers are paused first, as many as cover the excess.
  test('the producer holding the most bytes is paused first', () => {
    const flow = new FlowControl(1000, () => 1 << 30);
    const [big, small] = [session(), session()];
    send(flow, small, '/queue/s', 100);
    const bulk = send(flow, big, '/queue/b', 950);
    assert.equal(flow.isPaused, true);
    assert.deepEqual([throttles(big), throttles(small)], [[true], []]);
    flow.release(bulk);
    assert.equal(flow.isPaused, false);
    assert.deepEqual(throttles(big), [false]);
  });

  // Between the marks nothing changes (hysteresis): paused above the bound, resumed under half of it.
  test('resumes only under half the bound', () => {
    const flow = new FlowControl(1000, () => 1 << 30);
    const p = session();
    const a = send(flow, p, '/queue/q', 600);
    const b = send(flow, p, '/queue/q', 600);
    assert.deepEqual(throttles(p), [true]);
    flow.release(a);
    assert.equal(flow.heldBytes, 600);
    assert.deepEqual(throttles(p), [], 'above half: still paused');
    flow.release(b);
    assert.deepEqual(throttles(p), [false]);
  });

  test('heldBytes follows charge and release', () => {
    const flow = new FlowControl(1 << 20, () => 1 << 20);
    const m1 = msg('/queue/x', 300);
    const m2 = msg('/queue/x', 200);
    flow.charge(m1);
    flow.charge(m2);
    flow.release(m1);
    assert.equal(flow.heldBytes, 200);
    assert.equal(flow.queueBytes('/queue/x'), 200);
  });
});

describe('FlowControl: who is never paused', () => {
  // Consumers are never paused, so queues can drain.
  test('a session that never published is not paused', () => {
    const flow = new FlowControl(10, () => 10);
    const consumer = session();
    holding(consumer);
    flow.charge(msg('/queue/q', 100));
    flow.update(consumer);
    assert.deepEqual(consumer.sent, []);
  });

  // Its ACKs must still be read, or it could never free what keeps the queue blocked.
  test('a producer holding unacknowledged messages is paused only once it holds none', () => {
    const flow = new FlowControl(1 << 30, () => 10);
    const worker = session();
    const sub = holding(worker, 7);
    send(flow, worker, '/queue/q', 50);
    send(flow, worker, '/queue/q', 1);
    assert.deepEqual(throttles(worker), []);
    sub.unacked.clear();
    flow.update(worker);
    assert.deepEqual(throttles(worker), [true]);
    sub.unacked.add(8);
    flow.update(worker);
    assert.deepEqual(throttles(worker), [false]);
  });

  // A client that has gone is told nothing more; what it sent stays charged to its queue.
  test('forget: no throttle messages for a client that has gone', () => {
    const flow = new FlowControl(1 << 30, () => 10);
    const p = session();
    const m = send(flow, p, '/queue/q', 50);
    send(flow, p, '/queue/q', 1);
    assert.deepEqual(throttles(p), [true]);
    flow.forget(p);
    flow.release(m);
    assert.deepEqual(p.sent, []);
    assert.equal(flow.queueBytes('/queue/q'), 1);
  });
});
