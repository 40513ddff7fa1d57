/** Settlement: ACK, NACK, session loss, dead letters, ack timeouts and back-off. */
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/hub/policy.js';
import {
  bodyOf, eventually, fakeSession, KEEP, makeRouter, messagesOf, publish, row, subscribe, takeOffers,
} from './router-fixture.js';

describe('Router: ack, nack, session loss', () => {
  // ACK removes the message: depth and inFlight go to 0, delivered counts it.
  test('ack removes the message', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/ack');
    await publish(router, '/queue/ack', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    assert.equal(row(router, '/queue/ack').inFlight, 1);
    await router.ack(s, [o.msg.id]);
    const r = row(router, '/queue/ack');
    assert.equal(r.depth, 0);
    assert.equal(r.inFlight, 0);
    assert.equal(r.delivered, 1);
    assert.equal(router.flow.heldBytes, 0);
    // the message is gone for good: dropping the session brings nothing back
    router.dropSession(s);
    assert.equal(row(router, '/queue/ack').depth, 0);
  });

  // An ACK from a session that does not hold the message does nothing.
  test('ack by another session is ignored', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    const other = fakeSession();
    subscribe(router, s, 1, '/queue/ack2');
    await publish(router, '/queue/ack2', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.ack(other, [o.msg.id]);
    assert.equal(row(router, '/queue/ack2').inFlight, 1);
  });

  // NACK returns the message to the head of its queue, flagged as redelivered once.
  test('nack → redelivered at the head with redeliveries 1', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/n', 'client-individual', 1);
    for (const b of ['A', 'B', 'C']) await publish(router, '/queue/n', b);
    const [oa] = takeOffers(s);
    assert.equal(bodyOf(oa), 'A');
    router.claim(s, oa.offer, 1);
    await router.nack(s, [oa.msg.id], KEEP);
    const [again] = takeOffers(s);
    assert.equal(bodyOf(again), 'A', 'redelivered before B and C');
    assert.equal(again.msg.id, oa.msg.id, 'same message id');
    assert.equal(again.msg.redeliveries, 1);
  });

  // A session that goes away: its unacked messages return, redelivered, at the head; so do its unanswered
  // reserved offers, which it may have written to its client before it died.
  test('dropSession returns unacked messages and unanswered reserved offers, all flagged', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/d');
    for (const b of ['A', 'B', 'C']) await publish(router, '/queue/d', b);
    const offers = takeOffers(s);
    assert.deepEqual(offers.map(bodyOf), ['A', 'B', 'C']);
    router.claim(s, offers[0].offer, 1); // A granted, B and C pending offers
    router.dropSession(s);
    const r = row(router, '/queue/d');
    assert.equal(r.depth, 3);
    assert.equal(r.inFlight, 0);
    assert.equal(r.consumers, 0);
    const t = fakeSession();
    subscribe(router, t, 1, '/queue/d');
    const got = takeOffers(t);
    assert.deepEqual(got.map(bodyOf), ['A', 'B', 'C']);
    assert.deepEqual(got.map((o) => o.msg.redeliveries), [1, 1, 1]);
  });

  // An UNSUBSCRIBE comes after every claim the session made: offers still open were never written to the
  // client, so they go back unflagged.
  test('unsubscribe passes pending offers without flagging them', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/du');
    for (const b of ['A', 'B']) await publish(router, '/queue/du', b);
    takeOffers(s);
    await router.unsubscribe(s, 1);
    const t = fakeSession();
    subscribe(router, t, 1, '/queue/du');
    assert.deepEqual(takeOffers(t).map((o) => o.msg.redeliveries), [0, 0]);
  });

  // The dropped session's pending offers go to another subscriber at once.
  test('dropSession: pending offers go to the remaining subscriber', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    const t = fakeSession();
    subscribe(router, s, 1, '/queue/d2');
    await publish(router, '/queue/d2', 'A');
    subscribe(router, t, 1, '/queue/d2');
    assert.equal(takeOffers(s).length, 1);
    router.dropSession(s);
    assert.deepEqual(takeOffers(t).map(bodyOf), ['A']);
  });

  // UNSUBSCRIBE returns what that subscription held.
  test('unsubscribe returns unacked messages', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/u');
    await publish(router, '/queue/u', 'A');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.unsubscribe(s, 1);
    assert.equal(s.subs.size, 0);
    assert.equal(row(router, '/queue/u').depth, 1);
    assert.equal(row(router, '/queue/u').inFlight, 0);
  });
});

describe('Router: dead letters', () => {
  // NACK with requeue:false moves the message to /queue/DLQ.<name> with its history headers.
  test('nack requeue:false → DLQ with headers', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/jobs');
    await publish(router, '/queue/jobs', 'payload', {}, { custom: 'kept' });
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.nack(s, [o.msg.id], { requeue: false, retryAfterMs: -1, reason: 'bad input' });
    assert.deepEqual(takeOffers(s), [], 'not redelivered to the original queue');
    assert.equal(row(router, '/queue/jobs').depth, 0);
    assert.equal(row(router, '/queue/jobs').inFlight, 0);
    assert.equal(row(router, '/queue/DLQ.jobs').depth, 1);
    const d = fakeSession();
    subscribe(router, d, 1, '/queue/DLQ.jobs');
    const [dead] = takeOffers(d);
    assert.ok(dead);
    assert.equal(bodyOf(dead), 'payload');
    assert.equal(dead.msg.dest, '/queue/DLQ.jobs');
    const h = dead.msg.headers;
    assert.equal(h.custom, 'kept');
    assert.equal(h['original-destination'], '/queue/jobs');
    assert.equal(h['dead-letter-reason'], 'bad input');
    assert.equal(h['delivery-failures'], '1');
    const history = JSON.parse(h['failure-history']) as Array<{ time: number; reason: string }>;
    assert.equal(history.length, 1);
    assert.equal(history[0].reason, 'bad input');
    assert.equal(typeof history[0].time, 'number');
  });

  // maxDeliveries N: after N failed deliveries the message is dead-lettered instead of redelivered.
  test('maxDeliveries from config dead-letters after N', async () => {
    const config = parseConfig({ destinations: { '/queue/retry': { maxDeliveries: 2 } } });
    const { router } = await makeRouter(config);
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/retry');
    await publish(router, '/queue/retry', 'm');
    const [o1] = takeOffers(s);
    router.claim(s, o1.offer, 1);
    await router.nack(s, [o1.msg.id], { ...KEEP, reason: 'first' });
    const [o2] = takeOffers(s);
    assert.ok(o2, 'redelivered after the first failure');
    assert.equal(o2.msg.redeliveries, 1);
    router.claim(s, o2.offer, 1);
    await router.nack(s, [o2.msg.id], { ...KEEP, reason: 'second' });
    assert.deepEqual(takeOffers(s), [], 'not redelivered a third time');
    assert.equal(row(router, '/queue/retry').depth, 0);
    assert.equal(row(router, '/queue/DLQ.retry').depth, 1);
    const d = fakeSession();
    subscribe(router, d, 1, '/queue/DLQ.retry');
    const [dead] = takeOffers(d);
    assert.equal(dead.msg.headers['delivery-failures'], '2');
    assert.match(dead.msg.headers['dead-letter-reason'], /2/);
    assert.match(dead.msg.headers['dead-letter-reason'], /second/);
    const history = JSON.parse(dead.msg.headers['failure-history']) as Array<{ reason: string }>;
    assert.deepEqual(history.map((f) => f.reason), ['first', 'second']);
  });

  // A configured deadLetter queue is used instead of the default name.
  test('configured deadLetter queue', async () => {
    const config = parseConfig({ destinations: { '/queue/x': { deadLetter: '/queue/graveyard' } } });
    const { router } = await makeRouter(config);
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/x');
    await publish(router, '/queue/x', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.nack(s, [o.msg.id], { requeue: false, retryAfterMs: -1, reason: '' });
    assert.equal(row(router, '/queue/graveyard').depth, 1);
    assert.equal(router.status().some((r) => r.name === '/queue/DLQ.x'), false);
  });
});

describe('Router: timers and flow control', () => {
  // An unacked message past its ack timeout is revoked from the holder and offered again, redelivered.
  test('ack timeout revokes and redelivers', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    router.subscribe(s, 1, '/queue/slow', 'client', 0, 20, '');
    await publish(router, '/queue/slow', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    const revokes = await eventually(() => messagesOf(s, 'revoke'));
    assert.deepEqual(revokes, [{ t: 'revoke', sub: 1, ids: [o.msg.id] }]);
    const [again] = await eventually(() => takeOffers(s));
    assert.equal(again.msg.id, o.msg.id);
    assert.equal(again.msg.redeliveries, 1);
    // a late ACK of the revoked delivery changes nothing
    await router.ack(s, [o.msg.id]);
    assert.equal(row(router, '/queue/slow').delivered, 0);
  });

  // Node fires a timer longer than 2^31-1 ms at once: an ack timeout of months must not revoke at once.
  test('an ack timeout past what a timer holds does not fire at once', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    router.subscribe(s, 1, '/queue/patient', 'client', 0, 9_999_999_999, '');
    await publish(router, '/queue/patient', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await sleep(100); // guard window: an overflowed timer fires after 1 ms
    assert.deepEqual(messagesOf(s, 'revoke'), []);
    assert.equal(row(router, '/queue/patient').inFlight, 1);
    router.dropSession(s); // its timer goes with it
  });

  // With a back-off policy a NACKed message waits (counted in depth) before it is offered again.
  test('backoff delays the redelivery', async () => {
    const config = parseConfig({ destinations: { '/queue/bo': { backoff: { initialMs: 30, multiplier: 2, maxMs: 1000 } } } });
    const { router } = await makeRouter(config);
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/bo');
    await publish(router, '/queue/bo', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.nack(s, [o.msg.id], KEEP);
    assert.deepEqual(takeOffers(s), [], 'not offered at once');
    assert.equal(row(router, '/queue/bo').depth, 1);
    const [again] = await eventually(() => takeOffers(s));
    assert.equal(again.msg.id, o.msg.id);
    assert.equal(again.msg.redeliveries, 1);
  });

  // NACK retry-after overrides the policy: 0 means at once even with a back-off configured.
  test('nack retryAfterMs 0 redelivers at once', async () => {
    const config = parseConfig({ destinations: { '/queue/ra': { backoff: { initialMs: 60_000 } } } });
    const { router } = await makeRouter(config);
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/ra');
    await publish(router, '/queue/ra', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.nack(s, [o.msg.id], { ...KEEP, retryAfterMs: 0 });
    assert.deepEqual(takeOffers(s).map(bodyOf), ['m']);
  });

  // expired: 'dead-letter' moves an expired message to the dead-letter queue instead of dropping it.
  test('expired message is dead-lettered when the policy says so', async () => {
    const config = parseConfig({ destinations: { '/queue/exp': { expired: 'dead-letter' } } });
    const { router } = await makeRouter(config);
    await publish(router, '/queue/exp', 'old', { expiresAt: Date.now() - 1 });
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/exp', 'auto');
    assert.deepEqual(takeOffers(s), []);
    const d = fakeSession();
    subscribe(router, d, 1, '/queue/DLQ.exp', 'auto');
    const [dead] = takeOffers(d);
    assert.ok(dead);
    assert.equal(bodyOf(dead), 'old');
    assert.equal(dead.msg.headers['dead-letter-reason'], 'expired');
    assert.equal(dead.msg.headers['original-destination'], '/queue/exp');
  });
});
