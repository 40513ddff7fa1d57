/** Queue: ready and delayed messages, bounds, and the choice of consumers for the next offer. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from '../../src/hub/queue.js';
import { DEFAULT_POLICY, type DestinationPolicy } from '../../src/hub/policy.js';
import type { HeldMessage, HubSession, HubSubscription } from '../../src/hub/model.js';

function held(id: number, opts: { priority?: number; deliverAt?: number; bytes?: number } = {}): HeldMessage {
  return {
    wire: { id, dest: '/queue/q', headers: {}, body: Buffer.from(String(id)), redeliveries: 0 },
    queue: '/queue/q', bytes: opts.bytes ?? 10, priority: opts.priority ?? 4, deliverAt: opts.deliverAt ?? 0,
    expiresAt: 0, persistent: false, failures: [], marked: false, producer: 0,
  };
}

function session(id: number): HubSession {
  return {
    id, serial: id, pid: 1000 + id, send: () => {}, subs: new Map(), writable: true,
    login: '', version: '1.2', remote: '', clientId: '', pending: null,
  };
}

function sub(s: HubSession, key: number): HubSubscription {
  return {
    session: s, key, source: '/queue/q', ack: 'client', prefetch: 0, ackTimeoutMs: 0,
    pendingOffers: new Set(), unacked: new Set(), stalled: false, passes: 0, staleThrough: 0, stale: 0,
  };
}

function queue(policy: Partial<DestinationPolicy> = {}, onDue: (q: Queue) => void = () => {}): Queue {
  return new Queue('/queue/q', { ...DEFAULT_POLICY, ...policy }, onDue);
}

/** Resolves when `predicate` holds after an onDue call; a ref'd guard timer keeps the loop alive and fails the wait. */
function dueUntil(predicate: (q: Queue) => boolean): { onDue: (q: Queue) => void; done: Promise<void> } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const guard = setTimeout(() => reject(new Error('delayed messages never became due')), 10_000);
  return {
    onDue: (q) => {
      if (predicate(q)) {
        clearTimeout(guard);
        resolve();
      }
    },
    done,
  };
}

describe('Queue: ready and delayed', () => {
  // A message without deliverAt is ready at once; depth and stored bytes count it.
  test('immediate message is ready', () => {
    const q = queue();
    q.place(held(1, { bytes: 7 }), false);
    assert.equal(q.ready.length, 1);
    assert.equal(q.depth, 1);
    assert.equal(q.storedBytes, 7);
    assert.equal(q.shift()?.wire.id, 1);
    assert.equal(q.storedBytes, 0);
    assert.equal(q.depth, 0);
  });

  // A message due in the future is not ready until its time, but counts in depth meanwhile.
  test('delayed message waits, counts in depth, then becomes ready', async () => {
    const waiter = dueUntil((q) => q.ready.length === 1);
    const q = queue({}, waiter.onDue);
    q.place(held(1, { deliverAt: Date.now() + 30, bytes: 5 }), false);
    assert.equal(q.ready.length, 0);
    assert.equal(q.shift(), undefined);
    assert.equal(q.depth, 1);
    assert.equal(q.storedBytes, 5);
    await waiter.done;
    assert.equal(q.ready.length, 1);
    assert.equal(q.depth, 1);
    assert.equal(q.shift()?.wire.id, 1);
    assert.equal(q.depth, 0);
    q.close();
  });

  // Delayed messages that become due take their id place among ready messages (and priority still rules).
  test('due messages are ordered by priority then id', async () => {
    const waiter = dueUntil((q) => q.ready.length === 4);
    const q = queue({}, waiter.onDue);
    const now = Date.now();
    q.place(held(1, { deliverAt: now + 40 }), false);
    q.place(held(2, { deliverAt: now + 20 }), false);
    q.place(held(3), false);
    q.place(held(4, { deliverAt: now + 30, priority: 8 }), false);
    q.place(held(5), false);
    assert.equal(q.ready.length, 2);
    assert.equal(q.depth, 5);
    // one ready message leaves before the delayed ones are due
    assert.equal(q.shift()?.wire.id, 3);
    await waiter.done;
    const ids: number[] = [];
    for (let h = q.shift(); h; h = q.shift()) ids.push(h.wire.id);
    assert.deepEqual(ids, [4, 1, 2, 5]);
    q.close();
  });

  // onDue fires so the router can dispatch; a message placed with deliverAt in the past is ready at once.
  test('deliverAt in the past is ready immediately', () => {
    let dueCalls = 0;
    const q = queue({}, () => dueCalls++);
    q.place(held(1, { deliverAt: Date.now() - 1000 }), false);
    assert.equal(q.ready.length, 1);
    assert.equal(dueCalls, 0);
  });

  // place(…, restoring = true) puts the message back at its id place (head for an old one).
  test('restoring place goes back to the head', () => {
    const q = queue();
    q.place(held(1), false);
    q.place(held(2), false);
    const first = q.shift()!;
    q.place(first, true);
    assert.equal(q.shift()?.wire.id, 1);
  });

  // drain() removes ready and delayed messages and resets the byte count.
  test('drain takes ready and delayed messages', () => {
    const q = queue();
    q.place(held(1), false);
    q.place(held(2, { deliverAt: Date.now() + 60_000 }), false);
    const ids = q.drain().map((h) => h.wire.id).sort();
    assert.deepEqual(ids, [1, 2]);
    assert.equal(q.depth, 0);
    assert.equal(q.storedBytes, 0);
    q.close();
  });

  // depth includes messages still being committed to the store.
  test('depth counts committing messages', () => {
    const q = queue();
    q.place(held(1), false);
    q.committing = 2;
    assert.equal(q.depth, 3);
  });
});

describe('Queue: bounds', () => {
  // No bounds (0) never overflows.
  test('unbounded never overflows', () => {
    const q = queue();
    for (let i = 1; i <= 100; i++) q.place(held(i, { bytes: 1000 }), false);
    assert.equal(q.wouldOverflow(1, 1_000_000), false);
  });

  // maxLength: one more message past the limit overflows; delayed messages count.
  test('maxLength counts ready and delayed messages', () => {
    const q = queue({ maxLength: 2 });
    assert.equal(q.wouldOverflow(1, 1), false);
    q.place(held(1), false);
    assert.equal(q.wouldOverflow(1, 1), false);
    q.place(held(2, { deliverAt: Date.now() + 60_000 }), false);
    assert.equal(q.wouldOverflow(1, 1), true);
    q.shift();
    assert.equal(q.wouldOverflow(1, 1), false);
    q.place(held(3, { deliverAt: Date.now() + 60_000 }), false);
    assert.equal(q.ready.length, 0);
    assert.equal(q.wouldOverflow(1, 1), true, 'two delayed messages fill a maxLength 2 queue');
    q.close();
  });

  // maxBytes: stored bytes plus the newcomer must not exceed the bound.
  test('maxBytes', () => {
    const q = queue({ maxBytes: 100 });
    q.place(held(1, { bytes: 60 }), false);
    assert.equal(q.wouldOverflow(1, 40), false);
    assert.equal(q.wouldOverflow(1, 41), true);
    q.shift();
    assert.equal(q.wouldOverflow(1, 100), false);
    assert.equal(q.wouldOverflow(1, 101), true);
  });

  // shiftOldest takes the lowest-priority oldest message and releases its bytes.
  test('shiftOldest releases bytes', () => {
    const q = queue({ maxBytes: 100 });
    q.place(held(1, { bytes: 30, priority: 9 }), false);
    q.place(held(2, { bytes: 50, priority: 1 }), false);
    assert.equal(q.shiftOldest()?.wire.id, 2);
    assert.equal(q.storedBytes, 30);
  });
});

describe('Queue: pickConsumers', () => {
  // With fanout 1, consecutive picks rotate among consumers (round robin).
  test('round robin', () => {
    const q = queue();
    const subs = [sub(session(1), 1), sub(session(2), 1), sub(session(3), 1)];
    for (const s of subs) q.addConsumer(s);
    const picks = Array.from({ length: 6 }, () => q.pickConsumers(1, () => 1)[0].session.id);
    assert.deepEqual(picks, [1, 2, 3, 1, 2, 3]);
  });

  // Consumers without credit are skipped; rotation continues after the one chosen.
  test('skips consumers without credit', () => {
    const q = queue();
    const [a, b, c] = [sub(session(1), 1), sub(session(2), 1), sub(session(3), 1)];
    for (const s of [a, b, c]) q.addConsumer(s);
    const credit = (s: HubSubscription) => (s === b ? 0 : 1);
    const picks = Array.from({ length: 4 }, () => q.pickConsumers(1, credit)[0].session.id);
    assert.deepEqual(picks, [1, 3, 1, 3]);
  });

  // Nobody with credit: nothing is chosen.
  test('no credit anywhere picks nobody', () => {
    const q = queue();
    q.addConsumer(sub(session(1), 1));
    assert.deepEqual(q.pickConsumers(2, () => 0), []);
    assert.deepEqual(new Queue('/queue/empty', DEFAULT_POLICY, () => {}).pickConsumers(1, () => 1), []);
  });

  // fanout > 1 picks consumers of distinct sessions, up to fanout.
  test('fanout picks distinct sessions', () => {
    const q = queue();
    const s1 = session(1);
    const s2 = session(2);
    const s3 = session(3);
    q.addConsumer(sub(s1, 1));
    q.addConsumer(sub(s1, 2));
    q.addConsumer(sub(s2, 1));
    q.addConsumer(sub(s3, 1));
    const chosen = q.pickConsumers(2, () => 1);
    assert.equal(chosen.length, 2);
    assert.notEqual(chosen[0].session, chosen[1].session);
    const all = q.pickConsumers(10, () => 1);
    assert.equal(all.length, 3, 'one per session');
    assert.equal(new Set(all.map((s) => s.session)).size, 3);
  });

  // A removed consumer is never picked again.
  test('removed consumer is not picked', () => {
    const q = queue();
    const a = sub(session(1), 1);
    const b = sub(session(2), 1);
    q.addConsumer(a);
    q.addConsumer(b);
    q.removeConsumer(a);
    for (let i = 0; i < 3; i++) assert.equal(q.pickConsumers(1, () => 1)[0], b);
    q.removeConsumer(b);
    assert.deepEqual(q.pickConsumers(1, () => 1), []);
  });
});
