/** Router: publishing, bounds and ordering, transactions, persistence, topics, fan-out, flow control. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Refusal, Router } from '../../src/hub/router.js';
import { parseConfig } from '../../src/hub/policy.js';
import type { DeliverMsg, OfferMsg } from '../../src/ipc/contract.js';
import {
  bodyOf, fakeSession, KEEP, makeRouter, messagesOf, OPTIONS, PROPS, publish, row, routers, settled, subscribe, takeOffers,
} from './router-fixture.js';

describe('Router: bounds and ordering', () => {
  // Higher priority is offered first across publishes.
  test('priority order across publishes', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/prio', 'low', { priority: 1 });
    await publish(router, '/queue/prio', 'high', { priority: 9 });
    await publish(router, '/queue/prio', 'mid', { priority: 4 });
    await publish(router, '/queue/prio', 'high2', { priority: 9 });
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/prio', 'auto');
    assert.deepEqual(takeOffers(s).map(bodyOf), ['high', 'high2', 'mid', 'low']);
  });

  // overflow 'reject': a SEND past maxLength throws Refusal and enqueues nothing anywhere.
  test('bounded queue overflow reject throws Refusal and enqueues nothing', async () => {
    const config = parseConfig({
      destinations: {
        '/queue/in': { fanout: ['/queue/full', '/queue/other'] },
        '/queue/full': { maxLength: 1, overflow: 'reject' },
      },
    });
    const { router } = await makeRouter(config);
    await publish(router, '/queue/in', 'one');
    assert.equal(row(router, '/queue/full').depth, 1);
    assert.throws(() => publish(router, '/queue/in', 'two'), (err: unknown) => {
      assert.ok(err instanceof Refusal);
      assert.match(err.detail, /\/queue\/full/);
      return true;
    });
    for (const name of ['/queue/in', '/queue/full', '/queue/other']) {
      assert.equal(row(router, name).depth, 1, name);
      assert.equal(row(router, name).enqueued, 1, name);
    }
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/other', 'auto');
    assert.deepEqual(takeOffers(s).map(bodyOf), ['one']);
  });

  // overflow 'drop-head': the oldest message makes room for the new one.
  test('bounded queue overflow drop-head drops the oldest', async () => {
    const config = parseConfig({ destinations: { '/queue/dh': { maxLength: 2, overflow: 'drop-head' } } });
    const { router } = await makeRouter(config);
    for (const b of ['A', 'B', 'C']) await publish(router, '/queue/dh', b);
    assert.equal(row(router, '/queue/dh').depth, 2);
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/dh', 'auto');
    assert.deepEqual(takeOffers(s).map(bodyOf), ['B', 'C']);
  });

  // drop-head drops the oldest message of the lowest priority first.
  test('drop-head drops the lowest priority first', async () => {
    const config = parseConfig({ destinations: { '/queue/dhp': { maxLength: 2, overflow: 'drop-head' } } });
    const { router } = await makeRouter(config);
    await publish(router, '/queue/dhp', 'A9', { priority: 9 });
    await publish(router, '/queue/dhp', 'B1', { priority: 1 });
    await publish(router, '/queue/dhp', 'C4', { priority: 4 });
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/dhp', 'auto');
    assert.deepEqual(takeOffers(s).map(bodyOf), ['A9', 'C4']);
  });

  // A message whose expiry has passed is never offered.
  test('expired message is never offered', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/ttl', 'auto');
    await publish(router, '/queue/ttl', 'stale', { expiresAt: Date.now() - 1000 });
    await publish(router, '/queue/ttl', 'fresh', { expiresAt: Date.now() + 60_000 });
    assert.deepEqual(takeOffers(s).map(bodyOf), ['fresh']);
    assert.equal(row(router, '/queue/ttl').depth, 0);
  });

  // An expired message waiting in the queue is dropped when a subscriber arrives, not offered.
  test('expired message waiting in the queue is dropped at dispatch', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/ttl2', 'stale', { expiresAt: Date.now() - 1 });
    await publish(router, '/queue/ttl2', 'ok');
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/ttl2', 'auto');
    assert.deepEqual(takeOffers(s).map(bodyOf), ['ok']);
  });

  // A delayed message is offered only once its delay has passed.
  test('delayed message is offered after its delay', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/delay', 'auto');
    await publish(router, '/queue/delay', 'later', { delayMs: 30 });
    await publish(router, '/queue/delay', 'now');
    assert.deepEqual(takeOffers(s).map(bodyOf), ['now']);
    assert.equal(row(router, '/queue/delay').depth, 1);
    const deadline = Date.now() + 10_000;
    let got: OfferMsg[] = [];
    while (got.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      got = takeOffers(s);
    }
    assert.deepEqual(got.map(bodyOf), ['later']);
  });
});

describe('Router: transactions', () => {
  // COMMIT applies its SEND and its ACK together.
  test('commit with publish + ack applies both', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/tx-in');
    await publish(router, '/queue/tx-in', 'job');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.commit(s, [
      { t: 'publish', dest: '/queue/tx-out', headers: {}, body: Buffer.from('result'), props: PROPS },
      { t: 'ack', ids: [o.msg.id] },
    ]);
    const inRow = row(router, '/queue/tx-in');
    assert.equal(inRow.inFlight, 0);
    assert.equal(inRow.depth, 0);
    assert.equal(inRow.delivered, 1);
    assert.equal(row(router, '/queue/tx-out').depth, 1);
  });

  // A NACK inside a COMMIT takes effect at commit: the message is redelivered.
  test('commit with nack redelivers', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/tx-n');
    await publish(router, '/queue/tx-n', 'job');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    await router.commit(s, [{ t: 'nack', ids: [o.msg.id], options: KEEP }]);
    const [again] = takeOffers(s);
    assert.ok(again);
    assert.equal(again.msg.id, o.msg.id);
    assert.equal(again.msg.redeliveries, 1);
  });

  // COMMIT with persistent sends applies everything once the store has it.
  test('commit with persistent publish goes through the store', async () => {
    const { router, store } = await makeRouter();
    await router.commit(fakeSession(), [
      { t: 'publish', dest: '/queue/tx-p', headers: {}, body: Buffer.from('a'), props: { ...PROPS, persistent: true } },
      { t: 'publish', dest: '/queue/tx-p', headers: {}, body: Buffer.from('b'), props: { ...PROPS, persistent: true } },
    ]);
    assert.equal(store.count(), 2);
    assert.equal(row(router, '/queue/tx-p').depth, 2);
  });

  // A COMMIT whose SEND would overflow a 'reject' queue is refused as a whole: its ACK does not happen.
  test('commit refused by a bound changes nothing', async () => {
    const config = parseConfig({ destinations: { '/queue/tiny': { maxLength: 1 } } });
    const { router } = await makeRouter(config);
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/src');
    await publish(router, '/queue/src', 'job');
    await publish(router, '/queue/tiny', 'filler');
    const [o] = takeOffers(s);
    router.claim(s, o.offer, 1);
    assert.throws(() => router.commit(s, [
      { t: 'publish', dest: '/queue/tiny', headers: {}, body: Buffer.from('x'), props: PROPS },
      { t: 'ack', ids: [o.msg.id] },
    ]), Refusal);
    assert.equal(row(router, '/queue/src').inFlight, 1);
    assert.equal(row(router, '/queue/tiny').depth, 1);
  });
  // A COMMIT with several SENDs to one bounded 'reject' queue may not take it past its bound.
  test('commit with several sends respects the bound as a whole', async () => {
    const config = parseConfig({ destinations: { '/queue/b1': { maxLength: 1 } } });
    const { router } = await makeRouter(config);
    const send = (body: string) => ({ t: 'publish' as const, dest: '/queue/b1', headers: {}, body: Buffer.from(body), props: PROPS });
    assert.throws(() => router.commit(fakeSession(), [send('1'), send('2')]), Refusal);
    assert.equal(row(router, '/queue/b1').depth, 0);
  });
});

describe('Router: persistence', () => {
  // A persistent message is in the store once publish resolves, and leaves it when acked.
  test('persistent message is stored until acked', async () => {
    const { router, store } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/pers');
    await publish(router, '/queue/pers', 'keep', { persistent: true });
    assert.equal(store.count(), 1);
    await settled();
    const [o] = takeOffers(s);
    assert.equal(bodyOf(o), 'keep');
    router.claim(s, o.offer, 1);
    assert.equal(store.count(), 1);
    await router.ack(s, [o.msg.id]);
    assert.equal(store.count(), 0);
  });

  // A new router over the same store recovers stored messages in order.
  test('recover loads stored messages back into their queues', async () => {
    const { router, store } = await makeRouter();
    await publish(router, '/queue/rec', 'one', { persistent: true });
    await publish(router, '/queue/rec', 'two', { persistent: true });
    router.close();
    const again = new Router(OPTIONS, store, parseConfig({}));
    routers.push(again);
    assert.equal(await again.recover(), 2);
    const s = fakeSession();
    subscribe(again, s, 1, '/queue/rec', 'auto');
    await settled();
    assert.deepEqual(takeOffers(s).map(bodyOf), ['one', 'two']);
    // new ids continue after the stored ones
    await publish(again, '/queue/rec', 'three');
    const [o3] = takeOffers(s);
    assert.ok(o3.msg.id > 2);
  });
});

describe('Router: topics', () => {
  // A topic message goes to each subscribed session once, even with two matching subscriptions in it.
  test('deliver once per session', async () => {
    const { router } = await makeRouter();
    const a = fakeSession();
    const b = fakeSession();
    const c = fakeSession();
    subscribe(router, a, 1, '/topic/news.sport', 'auto');
    subscribe(router, a, 2, '/topic/news.*', 'auto');
    subscribe(router, b, 1, '/topic/news.sport', 'auto');
    subscribe(router, c, 1, '/topic/weather', 'auto');
    await publish(router, '/topic/news.sport', 'goal');
    const da = messagesOf(a, 'deliver') as DeliverMsg[];
    const db = messagesOf(b, 'deliver') as DeliverMsg[];
    assert.equal(da.length, 1);
    assert.equal(db.length, 1);
    assert.equal(bodyOf(da[0]), 'goal');
    assert.equal(da[0].msg.dest, '/topic/news.sport');
    assert.deepEqual(messagesOf(c, 'deliver'), []);
    assert.deepEqual(takeOffers(a), [], 'topics are delivered, not offered');
  });

  // Wildcards: `*` matches one word, `#` any number.
  test('wildcard subscriptions', async () => {
    const { router } = await makeRouter();
    const star = fakeSession();
    const hash = fakeSession();
    subscribe(router, star, 1, '/topic/news.*', 'auto');
    subscribe(router, hash, 1, '/topic/news.#', 'auto');
    await publish(router, '/topic/news.sport', 'one');
    await publish(router, '/topic/news.sport.uk', 'two');
    await publish(router, '/topic/other', 'three');
    assert.deepEqual((messagesOf(star, 'deliver') as DeliverMsg[]).map(bodyOf), ['one']);
    assert.deepEqual((messagesOf(hash, 'deliver') as DeliverMsg[]).map(bodyOf), ['one', 'two']);
  });

  // A topic message with no subscriber is simply gone (no queue holds it).
  test('topic without subscribers keeps nothing', async () => {
    const { router } = await makeRouter();
    await publish(router, '/topic/void', 'x');
    const late = fakeSession();
    subscribe(router, late, 1, '/topic/void', 'auto');
    assert.deepEqual(messagesOf(late, 'deliver'), []);
    assert.equal(router.status().some((r) => r.kind === 'queue'), false);
  });

  // After UNSUBSCRIBE the session no longer gets topic messages.
  test('unsubscribed topic session gets nothing', async () => {
    const { router } = await makeRouter();
    const a = fakeSession();
    subscribe(router, a, 1, '/topic/t', 'auto');
    await router.unsubscribe(a, 1);
    await publish(router, '/topic/t', 'x');
    assert.deepEqual(messagesOf(a, 'deliver'), []);
  });
});

describe('Router: fan-out', () => {
  // A fanout config copies every message sent to the destination into each listed queue.
  test('queue fanout copies into each listed queue', async () => {
    const config = parseConfig({ destinations: { '/queue/orders': { fanout: ['/queue/billing', '/queue/shipping'] } } });
    const { router } = await makeRouter(config);
    await publish(router, '/queue/orders', 'o1');
    for (const name of ['/queue/orders', '/queue/billing', '/queue/shipping']) assert.equal(row(router, name).depth, 1, name);
    const ids = new Set<number>();
    for (const name of ['/queue/orders', '/queue/billing', '/queue/shipping']) {
      const s = fakeSession();
      subscribe(router, s, 1, name, 'auto');
      const [o] = takeOffers(s);
      assert.equal(bodyOf(o), 'o1');
      assert.equal(o.msg.dest, name);
      ids.add(o.msg.id);
    }
    assert.equal(ids.size, 3, 'each copy has its own id');
  });

  // A topic with fanout: subscribers get it and each listed queue holds a copy.
  test('topic fanout copies into queues and still delivers to subscribers', async () => {
    const config = parseConfig({ destinations: { '/topic/uploads': { fanout: ['/queue/thumbs', '/queue/audit'] } } });
    const { router } = await makeRouter(config);
    const t = fakeSession();
    subscribe(router, t, 1, '/topic/uploads', 'auto');
    await publish(router, '/topic/uploads', 'img');
    assert.equal(messagesOf(t, 'deliver').length, 1);
    assert.equal(row(router, '/queue/thumbs').depth, 1);
    assert.equal(row(router, '/queue/audit').depth, 1);
    assert.equal(router.status().some((r) => r.name === '/topic/uploads' && r.kind === 'queue'), false);
  });
});

describe('Router: flow control', () => {
  // Past the memory high-water mark producers are throttled; under half of it they resume.
  test('flow control throttles producers', async () => {
    // Each held message is charged its size plus ~1 KiB of overhead: two of these pass 5000, one does not.
    const { router } = await makeRouter(undefined, { memoryHighWatermark: 5000 });
    const producer = fakeSession();
    const big = Buffer.alloc(2000);
    await router.publish(producer, '/queue/mem', {}, big, PROPS);
    assert.deepEqual(messagesOf(producer, 'throttle'), []);
    await router.publish(producer, '/queue/mem', {}, big, PROPS);
    assert.deepEqual(messagesOf(producer, 'throttle'), [{ t: 'throttle', paused: true }]);
    assert.equal(router.flow.isPaused, true);
    const c = fakeSession();
    subscribe(router, c, 1, '/queue/mem', 'auto');
    for (const o of takeOffers(c)) router.claim(c, o.offer, 1);
    assert.deepEqual(messagesOf(producer, 'throttle'), [{ t: 'throttle', paused: true }, { t: 'throttle', paused: false }]);
    assert.equal(router.flow.heldBytes, 0);
    assert.deepEqual(messagesOf(c, 'throttle'), [], 'consumers are never throttled');
  });

  // A producer that also consumes is not paused while it holds unacknowledged messages (their ACKs must
  // still be read); once it has acked them all, it is paused like any producer.
  test('a producer holding unacked messages is paused once it has acked them', async () => {
    const { router } = await makeRouter(undefined, { memoryHighWatermark: 5000 });
    const worker = fakeSession();
    subscribe(router, worker, 1, '/queue/jobs', 'client-individual');
    await router.publish(worker, '/queue/jobs', {}, Buffer.from('job'), PROPS);
    const [job] = takeOffers(worker);
    router.claim(worker, job.offer, 1);
    const big = Buffer.alloc(2000);
    await router.publish(worker, '/queue/results', {}, big, PROPS);
    await router.publish(worker, '/queue/results', {}, big, PROPS);
    assert.equal(router.flow.isPaused, true);
    assert.deepEqual(messagesOf(worker, 'throttle'), [], 'not paused while it holds an unacked job');
    await router.ack(worker, [job.msg.id]);
    assert.deepEqual(messagesOf(worker, 'throttle'), [{ t: 'throttle', paused: true }]);
  });
});
