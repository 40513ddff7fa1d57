/**
 * Router: offer → claim → grant by hand with fake sessions, over the in-memory store: acks, nacks,
 * dead letters, bounds, transactions, durable subscriptions, fan-out, expiry and topics.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Refusal, Router, type RouterOptions } from '../../src/hub/router.js';
import { parseConfig, type BrokerFileConfig } from '../../src/hub/policy.js';
import type { HubSession } from '../../src/hub/model.js';
import type {
  AckMode, DeliverMsg, DestinationStatus, HubToSession, MessageProps, OfferMsg,
} from '../../src/ipc/contract.js';
import { openStore, type QueueStore } from '../../src/store/store.js';

interface FakeSession extends HubSession {
  sent: HubToSession[];
}

let nextSessionId = 1;
function fakeSession(): FakeSession {
  const fake: FakeSession = {
    id: nextSessionId++, pid: 4242, send: (m) => fake.sent.push(m), sent: [], subs: new Map(), producer: false,
    writable: true, login: 'guest', version: '1.2', remote: 'test', clientId: '', pending: null,
  };
  return fake;
}

/** Offers `s` received (and forgets them, so the next call sees only new ones). */
function takeOffers(s: FakeSession): OfferMsg[] {
  const offers = s.sent.filter((m): m is OfferMsg => m.t === 'offer');
  s.sent = s.sent.filter((m) => m.t !== 'offer');
  return offers;
}

function messagesOf(s: FakeSession, t: HubToSession['t']): HubToSession[] {
  return s.sent.filter((m) => m.t === t);
}

const PROPS: MessageProps = { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 };
const OPTIONS: RouterOptions = { offerFanout: 1, autoAckWindow: 100, memoryHighWatermark: 1 << 30 };
const KEEP = { requeue: true, retryAfterMs: -1, reason: '' };

const routers: Router[] = [];
async function makeRouter(config: BrokerFileConfig = parseConfig({}), options: Partial<RouterOptions> = {}):
  Promise<{ router: Router; store: QueueStore }> {
  const store = await openStore({ kind: 'memory', dataDir: '' });
  const router = new Router({ ...OPTIONS, ...options }, store, config);
  await router.recover();
  routers.push(router);
  return { router, store };
}
afterEach(() => {
  for (const r of routers.splice(0)) r.close();
});

function publish(router: Router, dest: string, body: string, props: Partial<MessageProps> = {},
  headers: Record<string, string> = {}): Promise<void> | undefined {
  return router.publish(undefined, dest, headers, Buffer.from(body), { ...PROPS, ...props });
}

function subscribe(router: Router, s: HubSession, key: number, dest: string, ack: AckMode = 'client',
  prefetch = 0, durable = ''): Promise<void> | undefined {
  return router.subscribe(s, key, dest, ack, prefetch, 0, durable);
}

function row(router: Router, name: string): DestinationStatus {
  const r = router.status().find((d) => d.name === name);
  assert.ok(r, `no status row for ${name}`);
  return r;
}

const bodyOf = (o: { msg: { body: Buffer } }) => o.msg.body.toString();

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
    router.setWritable(a, true);
    const again = takeOffers(a);
    assert.equal(again.length, 1);
    assert.equal(bodyOf(again[0]), 'm');
    assert.notEqual(again[0].offer, oa.offer);
    assert.equal(again[0].msg.redeliveries, 0, 'a pass is not a delivery');
  });

  // A session whose socket is full (writable false) gets no offers until it is writable again.
  test('unwritable session gets no offers', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/w');
    router.setWritable(s, false);
    await publish(router, '/queue/w', 'm');
    assert.deepEqual(takeOffers(s), []);
    router.setWritable(s, true);
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

  // A session that goes away: its pending offers count as passed and its unacked messages return, redelivered, at the head.
  test('dropSession returns unacked messages and passes pending offers', async () => {
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
    assert.deepEqual(got.map((o) => o.msg.redeliveries), [1, 0, 0]);
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

/** Polls `f` until it returns a non-empty array (or 10 s pass); the awaited timers keep the loop alive. */
async function eventually<T>(f: () => T[]): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = f();
    if (got.length > 0 || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 5));
  }
}

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
});
