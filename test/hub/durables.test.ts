/** Durable topic subscriptions: a queue the hub fills while the subscriber is away. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodyOf, fakeSession, makeRouter, messagesOf, publish, row, subscribe, takeOffers,
} from './router-fixture.js';

describe('Router: durable subscriptions', () => {
  // A durable subscription keeps messages published while its subscriber is away.
  test('durable subscription: unsubscribe, publish, resubscribe → offered', async () => {
    const { router } = await makeRouter();
    const a = fakeSession();
    await subscribe(router, a, 1, '/topic/orders', 'client', 0, 'audit');
    await publish(router, '/topic/orders', 'while-here');
    const [o1] = takeOffers(a);
    assert.ok(o1, 'a durable subscription is fed through offers');
    assert.equal(bodyOf(o1), 'while-here');
    assert.equal(o1.msg.dest, '/topic/orders');
    router.claim(a, o1.offer, 1);
    await router.ack(a, [o1.msg.id]);
    await router.unsubscribe(a, 1, false);
    await publish(router, '/topic/orders', 'while-away');
    const b = fakeSession();
    await subscribe(router, b, 5, '/topic/orders', 'client', 0, 'audit');
    const offers = takeOffers(b);
    assert.deepEqual(offers.map(bodyOf), ['while-away']);
    assert.equal(offers[0].sub, 5);
    assert.deepEqual(messagesOf(b, 'deliver'), [], 'not also delivered as a plain topic message');
  });

  // Forgetting a durable subscription drops what it held and stops collecting.
  test('durable subscription forgotten stops collecting', async () => {
    const { router } = await makeRouter();
    const a = fakeSession();
    await subscribe(router, a, 1, '/topic/f', 'client', 0, 'gone');
    await router.unsubscribe(a, 1, false);
    await publish(router, '/topic/f', 'kept-then-dropped');
    await subscribe(router, a, 2, '/topic/f', 'client', 0, 'gone');
    takeOffers(a);
    await router.unsubscribe(a, 2, true);
    await publish(router, '/topic/f', 'after-forget');
    const b = fakeSession();
    await subscribe(router, b, 1, '/topic/f', 'client', 0, 'gone');
    assert.deepEqual(takeOffers(b).map(bodyOf), []);
  });
});
