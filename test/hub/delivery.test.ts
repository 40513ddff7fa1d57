/** Delivery: offer → claim → grant by hand with fake sessions, credit, round robin. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodyOf, fakeSession, KEEP, makeRouter, messagesOf, OPTIONS, publish, routers, row, settled, subscribe, takeOffers,
} from './router-fixture.js';
import { Router } from '../../src/hub/router.js';
import { parseConfig } from '../../src/hub/policy.js';

describe('Router: offer, claim, grant', () => {
  // A published message is offered to the subscriber; its claim is granted.
  // A sole offeree is reserved the claim's unit: it delivers at once and its claim needs no grant.
  test('publish → reserved offer; claim confirms without a grant', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/a');
    await publish(router, '/queue/a', 'hello');
    const offers = takeOffers(s);
    assert.equal(offers.length, 1);
    assert.equal(offers[0].sub, 1);
    assert.equal(offers[0].msg.dest, '/queue/a');
    assert.equal(bodyOf(offers[0]), 'hello');
    assert.equal(offers[0].msg.redeliveries, 0);
    assert.equal(offers[0].reserved, true);
    router.claim(s, offers[0].offer, 1);
    assert.deepEqual(messagesOf(s, 'grant'), []);
    assert.deepEqual(messagesOf(s, 'refuse'), []);
    const r = row(router, '/queue/a');
    assert.equal(r.depth, 0);
    assert.equal(r.inFlight, 1);
  });

  // A message published before anyone subscribes waits and is offered on SUBSCRIBE.
  test('message waits for a subscriber', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/a', 'early');
    assert.equal(row(router, '/queue/a').depth, 1);
    const s = fakeSession();
    subscribe(router, s, 7, '/queue/a');
    const offers = takeOffers(s);
    assert.deepEqual(offers.map(bodyOf), ['early']);
    assert.equal(offers[0].sub, 7);
  });

  // A claim for an offer the session was not given (or for another subscription) is refused.
  test('claim for an unknown offer or subscription is refused', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/a');
    await publish(router, '/queue/a', 'x');
    const [offer] = takeOffers(s);
    router.claim(s, offer.offer + 1000, 1);
    router.claim(s, offer.offer, 99);
    assert.deepEqual(messagesOf(s, 'refuse'), [
      { t: 'refuse', offer: offer.offer + 1000 }, { t: 'refuse', offer: offer.offer },
    ]);
    // the real claim still wins (reserved: confirmed without a grant message)
    router.claim(s, offer.offer, 1);
    assert.deepEqual(messagesOf(s, 'grant'), []);
    assert.equal(row(router, '/queue/a').inFlight, 1);
  });

  // With offerFanout 2 the same offer goes to two sessions; the first claim wins, the second is refused.
  test('offerFanout 2: second claim is refused', async () => {
    const { router } = await makeRouter(undefined, { offerFanout: 2 });
    const a = fakeSession();
    const b = fakeSession();
    subscribe(router, a, 1, '/queue/f');
    subscribe(router, b, 1, '/queue/f');
    await publish(router, '/queue/f', 'm');
    const [oa] = takeOffers(a);
    const [ob] = takeOffers(b);
    assert.ok(oa && ob);
    assert.equal(oa.offer, ob.offer);
    assert.equal(oa.reserved, false, 'two offerees: the unit goes to the first claim');
    router.claim(b, ob.offer, 1);
    router.claim(a, oa.offer, 1);
    assert.deepEqual(messagesOf(b, 'grant'), [{ t: 'grant', offer: ob.offer }]);
    assert.deepEqual(messagesOf(a, 'refuse'), [{ t: 'refuse', offer: oa.offer }]);
    assert.deepEqual(messagesOf(a, 'grant'), []);
    assert.equal(row(router, '/queue/f').depth, 0);
    assert.equal(row(router, '/queue/f').inFlight, 1);
  });

  // status() counts a message granted to one offeree once, even while another offeree has not answered yet.
  test('offerFanout 2: inFlight counts one message once', async () => {
    const { router } = await makeRouter(undefined, { offerFanout: 2 });
    const a = fakeSession();
    const b = fakeSession();
    subscribe(router, a, 1, '/queue/f2');
    subscribe(router, b, 1, '/queue/f2');
    await publish(router, '/queue/f2', 'm');
    const [oa] = takeOffers(a);
    assert.equal(row(router, '/queue/f2').inFlight, 1, 'offered, unanswered');
    router.claim(a, oa.offer, 1);
    assert.equal(row(router, '/queue/f2').inFlight, 1, 'granted to a, b has not answered');
  });

  // With offerFanout 1 consecutive messages go round robin to the subscribers.
  test('round robin across sessions', async () => {
    const { router } = await makeRouter();
    const a = fakeSession();
    const b = fakeSession();
    subscribe(router, a, 1, '/queue/rr', 'auto');
    subscribe(router, b, 1, '/queue/rr', 'auto');
    for (let i = 0; i < 4; i++) await publish(router, '/queue/rr', `m${i}`);
    assert.deepEqual(takeOffers(a).map(bodyOf), ['m0', 'm2']);
    assert.deepEqual(takeOffers(b).map(bodyOf), ['m1', 'm3']);
  });

  // When every offeree passes, the message returns to the queue and is offered again once credit returns.
  test('pass by all → offered again when credit returns', async () => {
    const { router } = await makeRouter(undefined, { offerFanout: 2 });
    const a = fakeSession();
    const b = fakeSession();
    subscribe(router, a, 1, '/queue/p');
    subscribe(router, b, 1, '/queue/p');
    await publish(router, '/queue/p', 'm');
    const [oa] = takeOffers(a);
    takeOffers(b);
    router.pass(a, oa.offer);
    router.pass(b, oa.offer);
    // both passed (stalled): the message is back, nobody is offered it
    assert.equal(row(router, '/queue/p').depth, 1);
    assert.equal(row(router, '/queue/p').inFlight, 0);
    assert.deepEqual(takeOffers(a), []);
    assert.deepEqual(takeOffers(b), []);
    // a's socket drains: credit returns, the message is offered again under a new offer id
    router.setWritable(a, true, true);
    const again = takeOffers(a);
    assert.equal(again.length, 1);
    assert.equal(bodyOf(again[0]), 'm');
    assert.notEqual(again[0].offer, oa.offer);
    assert.equal(again[0].msg.redeliveries, 0, 'a pass is not a delivery');
  });

  // A sole consumer whose socket filled passes one offer while later ones are on their way: those carry
  // the old epoch (the session passes them too), and nothing is offered until they are all back, so the
  // passed message goes out again first, under the new epoch.
  test('after a pass, the offers sent before it are stale: the passed message is offered again first', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/fifo', 'client-individual', 10);
    for (let i = 0; i < 4; i++) await publish(router, '/queue/fifo', `m${i}`);
    const first = takeOffers(s);
    assert.deepEqual(first.map(bodyOf), ['m0', 'm1', 'm2', 'm3']);
    assert.deepEqual(first.map((o) => o.epoch), [0, 0, 0, 0]);
    router.pass(s, first[0].offer);
    router.setWritable(s, true, true); // the socket drained before the other offers arrived
    await publish(router, '/queue/fifo', 'm4');
    assert.deepEqual(takeOffers(s), [], 'no new offer while stale ones are out');
    for (const o of first.slice(1)) router.pass(s, o.offer); // the session passes the stale offers
    const again = takeOffers(s);
    assert.deepEqual(again.map(bodyOf), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(again.map((o) => o.epoch), [1, 1, 1, 1, 1]);
    for (const o of again) router.claim(s, o.offer, 1);
    assert.equal(row(router, '/queue/fifo').inFlight, 5);
  });

  // With two offerees the stale offers' return is not the end of a claim: the subscription gets offers again.
  test('offerFanout 2: a subscription whose stale offers are back is offered again', async () => {
    const { router } = await makeRouter(undefined, { offerFanout: 2 });
    const a = fakeSession();
    const b = fakeSession();
    subscribe(router, a, 1, '/queue/f2', 'client-individual', 2);
    subscribe(router, b, 1, '/queue/f2', 'client-individual', 2);
    for (let i = 0; i < 2; i++) await publish(router, '/queue/f2', `m${i}`);
    const offersA = takeOffers(a);
    takeOffers(b);
    assert.equal(offersA.length, 2);
    router.pass(a, offersA[0].offer); // a stalls; m0 is still b's to claim
    router.setWritable(a, true, true);
    router.pass(a, offersA[1].offer); // stale, and b has not answered m1 either
    await publish(router, '/queue/f2', 'm2');
    const next = takeOffers(a);
    assert.deepEqual(next.map(bodyOf), ['m2']);
    assert.equal(next[0].epoch, 1);
  });

  // A session whose socket is full (writable false) gets no offers until it is writable again.
  test('unwritable session gets no offers', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/w');
    router.setWritable(s, false, true);
    await publish(router, '/queue/w', 'm');
    assert.deepEqual(takeOffers(s), []);
    router.setWritable(s, true, true);
    assert.deepEqual(takeOffers(s).map(bodyOf), ['m']);
  });

  // prefetch N in client mode: at most N messages are offered/unacked at once.
  test('prefetch credit limits offers', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/pf', 'client-individual', 2);
    for (let i = 0; i < 5; i++) await publish(router, '/queue/pf', `m${i}`);
    const offers = takeOffers(s);
    assert.deepEqual(offers.map(bodyOf), ['m0', 'm1']);
    for (const o of offers) router.claim(s, o.offer, 1);
    // both granted and unacked: no credit left
    assert.deepEqual(takeOffers(s), []);
    assert.equal(row(router, '/queue/pf').depth, 3);
    // a NACK frees one unit (and the message is offered again first)
    await router.nack(s, [offers[0].msg.id], KEEP);
    assert.deepEqual(takeOffers(s).map(bodyOf), ['m0']);
  });

  // ACK frees credit: with prefetch 1, acknowledging the first message lets the second be offered.
  test('ack frees prefetch credit and the next message is offered', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/pf1', 'client-individual', 1);
    await publish(router, '/queue/pf1', 'first');
    await publish(router, '/queue/pf1', 'second');
    const [o1] = takeOffers(s);
    assert.equal(bodyOf(o1), 'first');
    router.claim(s, o1.offer, 1);
    assert.deepEqual(takeOffers(s), []);
    await router.ack(s, [o1.msg.id]);
    assert.deepEqual(takeOffers(s).map(bodyOf), ['second']);
  });

  // ack:auto: the message is done when granted (nothing in flight, delivered counted).
  test('auto ack frees at grant', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/auto', 'auto');
    await publish(router, '/queue/auto', 'm');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    const r = row(router, '/queue/auto');
    assert.equal(r.depth, 0);
    assert.equal(r.inFlight, 0);
    assert.equal(r.delivered, 1);
    assert.equal(router.flow.heldBytes, 0);
    // dropping the session brings nothing back
    router.dropSession(s);
    assert.equal(row(router, '/queue/auto').depth, 0);
  });
});

describe('Router: delivery marks', () => {
  // Offers leave in queue order: a non-persistent message behind a persistent one waits while the
  // persistent one's delivery mark is written, instead of overtaking it.
  test('a message behind one waiting for its mark is not offered first', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/order', 'client-individual');
    await publish(router, '/queue/order', 'first', { persistent: true });
    await publish(router, '/queue/order', 'second');
    await settled();
    assert.deepEqual(takeOffers(s).map(bodyOf), ['first', 'second']);
  });

  // A persistent message's first offer leaves only once its delivery mark is on disk, so a client that
  // saw it before a hub crash gets it back flagged redelivered.
  test('the offer waits for the mark; after a crash the message comes back redelivered', async () => {
    const { router, store } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/marked');
    await publish(router, '/queue/marked', 'seen', { persistent: true });
    assert.deepEqual(takeOffers(s), [], 'no offer before the mark is written');
    await settled();
    const [offer] = takeOffers(s);
    assert.equal(bodyOf(offer), 'seen');
    router.close(); // the hub "crashes" with the message delivered and unacknowledged
    const again = new Router(OPTIONS, store, parseConfig({}));
    routers.push(again);
    await again.recover();
    const t = fakeSession();
    subscribe(again, t, 1, '/queue/marked');
    await settled();
    assert.deepEqual(takeOffers(t).map((o) => o.msg.redeliveries), [1]);
  });
});
