/**
 * FlowControl: producers paused past the high-water mark and resumed under half of it; consumers never
 * paused, nor a producer holding unacknowledged messages; a forgotten session is told nothing more.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubToSession, ThrottleMsg } from '../../src/ipc/contract.js';
import { FlowControl } from '../../src/hub/flow-control.js';
import type { HubSession, HubSubscription } from '../../src/hub/model.js';

interface FakeSession extends HubSession {
  sent: HubToSession[];
}

let nextId = 1;
function session(): FakeSession {
  const s: FakeSession = {
    id: nextId++, pid: 1, send: (m) => s.sent.push(m), sent: [], subs: new Map(), producer: false, writable: true,
    login: '', version: '1.2', remote: 'test', clientId: '', pending: null,
  };
  return s;
}

/** Gives `s` a client-mode subscription holding `unacked` message ids. */
function holding(s: FakeSession, ...unacked: number[]): HubSubscription {
  const sub: HubSubscription = {
    session: s, key: s.subs.size + 1, source: '/queue/q', ack: 'client', prefetch: 0, ackTimeoutMs: 0,
    pendingOffers: new Set(), unacked: new Set(unacked), stalled: false,
  };
  s.subs.set(sub.key, sub);
  return sub;
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

describe('FlowControl: thresholds', () => {
  // Paused only past the mark (strictly above), resumed only under half of it (strictly below).
  test('pauses above the high-water mark, resumes below half of it', () => {
    const flow = new FlowControl(1000);
    const p = session();
    flow.noteProducer(p);
    flow.add(1000);
    assert.equal(flow.isPaused, false, 'at the mark: not yet');
    assert.deepEqual(throttles(p), []);
    flow.add(1);
    assert.equal(flow.isPaused, true);
    assert.deepEqual(throttles(p), [true]);
    flow.remove(501);
    assert.equal(flow.heldBytes, 500);
    assert.equal(flow.isPaused, true, 'at half: still paused');
    assert.deepEqual(throttles(p), []);
    flow.remove(1);
    assert.equal(flow.isPaused, false);
    assert.deepEqual(throttles(p), [false]);
  });

  // Between the marks nothing changes either way (hysteresis): no flapping throttle messages.
  test('no repeated throttle messages while above the mark or between the marks', () => {
    const flow = new FlowControl(100);
    const p = session();
    flow.noteProducer(p);
    flow.add(150);
    flow.add(10);
    flow.remove(80);
    flow.add(20);
    assert.deepEqual(throttles(p), [true]);
    flow.remove(60);
    flow.add(30);
    flow.remove(30);
    assert.deepEqual(throttles(p), [false]);
    assert.equal(flow.heldBytes, 40);
  });

  test('heldBytes follows add and remove', () => {
    const flow = new FlowControl(1 << 20);
    flow.add(300);
    flow.add(200);
    flow.remove(100);
    assert.equal(flow.heldBytes, 400);
    assert.equal(flow.isPaused, false);
  });
});

describe('FlowControl: who is paused', () => {
  // Consumers are never paused, so queues can drain.
  test('a session that never published is not paused', () => {
    const flow = new FlowControl(10);
    const consumer = session();
    holding(consumer);
    flow.update(consumer);
    flow.add(100);
    flow.update(consumer);
    assert.deepEqual(consumer.sent, []);
    assert.equal(consumer.producer, false);
  });

  test('every producer is paused and resumed', () => {
    const flow = new FlowControl(10);
    const [a, b] = [session(), session()];
    flow.noteProducer(a);
    flow.noteProducer(b);
    assert.equal(a.producer, true);
    flow.add(11);
    assert.deepEqual([throttles(a), throttles(b)], [[true], [true]]);
    flow.remove(11);
    assert.deepEqual([throttles(a), throttles(b)], [[false], [false]]);
  });

  // A session that starts publishing while the broker is past the mark is paused at once.
  test('a producer noted while paused is paused at once; noting it again changes nothing', () => {
    const flow = new FlowControl(10);
    flow.add(50);
    const late = session();
    flow.noteProducer(late);
    assert.deepEqual(throttles(late), [true]);
    flow.noteProducer(late);
    assert.deepEqual(throttles(late), []);
  });

  // Its ACKs must still be read, or it could never free what keeps the broker past the mark.
  test('a producer holding unacknowledged messages is not paused', () => {
    const flow = new FlowControl(10);
    const worker = session();
    holding(worker, 7);
    flow.noteProducer(worker);
    flow.add(50);
    assert.equal(flow.isPaused, true);
    assert.deepEqual(throttles(worker), []);
  });

  // update() re-decides when what the session holds changes.
  test('update: paused once it holds nothing, resumed when it holds something again', () => {
    const flow = new FlowControl(10);
    const worker = session();
    const sub = holding(worker, 7);
    flow.noteProducer(worker);
    flow.add(50);
    sub.unacked.clear();
    flow.update(worker);
    assert.deepEqual(throttles(worker), [true]);
    flow.update(worker);
    assert.deepEqual(throttles(worker), [], 'no repeat');
    sub.unacked.add(8);
    flow.update(worker);
    assert.deepEqual(throttles(worker), [false]);
  });

  test('update while not paused tells nothing', () => {
    const flow = new FlowControl(10);
    const p = session();
    flow.noteProducer(p);
    flow.update(p);
    holding(p, 1);
    flow.update(p);
    assert.deepEqual(p.sent, []);
  });
});

describe('FlowControl: forget', () => {
  // A session that is gone is told nothing more (its bus is closed) and no longer counted.
  test('a forgotten producer gets no throttle messages', () => {
    const flow = new FlowControl(10);
    const [gone, stays] = [session(), session()];
    flow.noteProducer(gone);
    flow.noteProducer(stays);
    flow.add(20);
    assert.deepEqual(throttles(gone), [true]);
    flow.forget(gone);
    flow.remove(20);
    flow.add(20);
    assert.deepEqual(throttles(gone), []);
    assert.deepEqual(throttles(stays), [true, false, true]);
  });

  test('forgetting a session that was never a producer is harmless', () => {
    const flow = new FlowControl(10);
    const s = session();
    flow.forget(s);
    flow.add(20);
    assert.deepEqual(s.sent, []);
  });
});
