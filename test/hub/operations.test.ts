/** Router's operator methods: destination views, browse, purge, moving dead letters back, store timing. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LANE_WINDOW } from '../../src/hub/pager.js';
import { openStore } from '../../src/store/open.js';
import { Router } from '../../src/hub/router.js';
import { parseConfig } from '../../src/hub/policy.js';
import type { HubSession } from '../../src/hub/model.js';
import type { StoreOp } from '../../src/hub/timed-store.js';
import type { StoredMessage } from '../../src/store/store.js';
import {
  bodyOf, fakeSession, makeRouter, OPTIONS, PROPS, publish, routers, settled, subscribe, takeOffers,
} from './router-fixture.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A router over lmdb with paging on: deep lanes keep a window in memory and the rest on disk. */
async function pagingRouter(): Promise<Router> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-ops-'));
  dirs.push(dataDir);
  const router = new Router({ ...OPTIONS, paging: true }, await openStore({ kind: 'lmdb', dataDir }), parseConfig({}));
  await router.recover();
  routers.push(router);
  return router;
}

/** Publishes persistent `bodies` at `priority` to `dest`, one turn's worth at a time; resolves once placed. */
async function publishDeep(router: Router, dest: string, bodies: string[], priority = 4): Promise<void> {
  for (let i = 0; i < bodies.length; i += 500) {
    await Promise.all(bodies.slice(i, i + 500).map((b) => router.publish(undefined, dest, {}, Buffer.from(b),
      { ...PROPS, persistent: true, priority })));
    await settled();
  }
}

const DEAD = { requeue: false, retryAfterMs: -1, reason: 'bad input' };

/** Publishes `bodies` to `queue` and has a client-ack consumer refuse each for good (to `/queue/DLQ.…`). */
async function deadLetter(router: Router, queue: string, bodies: string[], persistent = false): Promise<void> {
  for (const b of bodies) await publish(router, queue, b, { persistent }, { 'x-job': b });
  const s = fakeSession();
  subscribe(router, s, 1, queue, 'client-individual', 0);
  await settled();
  const offers = takeOffers(s);
  assert.equal(offers.length, bodies.length);
  for (const o of offers) router.claim(s, o.offer, 1);
  await router.nack(s, offers.map((o) => o.msg.id), DEAD);
  await router.unsubscribe(s, 1);
}

async function storedMessages(router: Router): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for await (const m of router.store.recover()) all.push(m);
  return all;
}

function consume(router: Router, queue: string): { session: HubSession; bodies: () => string[] } {
  const session = fakeSession();
  subscribe(router, session, 1, queue, 'auto');
  return { session, bodies: () => takeOffers(session as ReturnType<typeof fakeSession>).map(bodyOf) };
}

describe('Router: destination views', () => {
  // Counters: enqueued, delivered (handed out, redeliveries too), acked, dead-lettered; where dead letters go.
  test('queue counters and dead-letter queue', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/v', 'a');
    await publish(router, '/queue/v', 'b');
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/v', 'client-individual', 1);
    const [oa] = takeOffers(s);
    router.claim(s, oa.offer, 1);
    await router.nack(s, [oa.msg.id], { requeue: true, retryAfterMs: 0, reason: 'later' });
    const [again] = takeOffers(s);
    router.claim(s, again.offer, 1);
    await router.ack(s, [again.msg.id]);
    const [ob] = takeOffers(s);
    router.claim(s, ob.offer, 1);
    await router.nack(s, [ob.msg.id], DEAD);
    const v = router.destinationView('/queue/v');
    assert.ok(v);
    assert.deepEqual({ ...v, bytes: 0 }, {
      name: '/queue/v', kind: 'queue', depth: 0, bytes: 0, consumers: 1, inFlight: 0, enqueued: 2, delivered: 3,
      acked: 1, deadLettered: 1, expired: 0, deadLetterQueue: '/queue/DLQ.v',
    });
    const dlq = router.destinationView('/queue/DLQ.v');
    assert.equal(dlq?.depth, 1);
    assert.equal(dlq?.deadLetterQueue, '', 'a dead-letter queue has none');
    assert.ok(dlq!.bytes > 0);
  });

  // A topic shows its subscribers and the copies sent; an unknown name has no view.
  test('topic view and unknown destinations', async () => {
    const { router } = await makeRouter();
    const s = fakeSession();
    subscribe(router, s, 1, '/topic/news');
    await publish(router, '/topic/news', 'x');
    const t = router.destinationView('/topic/news');
    assert.equal(t?.kind, 'topic');
    assert.equal(t?.consumers, 1);
    assert.equal(t?.delivered, 1);
    assert.equal(router.destinationView('/topic/none'), undefined);
    assert.equal(router.destinationView('/queue/none'), undefined);
    assert.deepEqual(router.destinationViews().map((d) => d.name), ['/topic/news']);
  });
});

describe('Router: browse', () => {
  // Offer order (priority, then arrival), then delayed messages; nothing is consumed.
  test('first N in offer order, left in place', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/b', 'later', { delayMs: 60_000 });
    await publish(router, '/queue/b', 'low', { priority: 1 });
    await publish(router, '/queue/b', 'high', { priority: 9 });
    await publish(router, '/queue/b', 'mid');
    const all = router.browse('/queue/b', 10)!;
    assert.deepEqual(all.map((h) => h.wire.body.toString()), ['high', 'mid', 'low', 'later']);
    assert.deepEqual(router.browse('/queue/b', 2)!.map((h) => h.wire.body.toString()), ['high', 'mid']);
    assert.equal(router.destinationView('/queue/b')?.depth, 4);
    const c = consume(router, '/queue/b');
    assert.deepEqual(c.bodies(), ['high', 'mid', 'low'], 'browsed messages are still delivered');
    assert.equal(router.browse('/queue/none', 10), undefined);
  });
});

describe('Router: messages set aside', () => {
  // A message the only consumer's selector refuses waits aside: browse shows it, purge removes it.
  test('browse and purge see what no selector selects', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/sel', 'unwanted');
    await publish(router, '/queue/sel', 'wanted');
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/sel', 'client-individual', 10);
    const [first, second] = takeOffers(s);
    assert.deepEqual([bodyOf(first), bodyOf(second)], ['unwanted', 'wanted']);
    router.pass(s, first.offer, true); // its selector does not select it
    assert.deepEqual(takeOffers(s), [], 'not offered to it again');
    assert.deepEqual(router.browse('/queue/sel', 10)!.map((h) => h.wire.body.toString()), ['unwanted']);
    assert.equal(await router.purge('/queue/sel'), 1);
    assert.equal(router.destinationView('/queue/sel')?.depth, 0);
    assert.deepEqual(router.browse('/queue/sel', 10), []);
  });
});

describe('Router: purge', () => {
  // Ready and delayed messages go, from memory and disk; a message in flight stays with its consumer.
  test('empties the queue but not what is in flight', async () => {
    const { router, store } = await makeRouter();
    for (const b of ['a', 'b', 'c']) await publish(router, '/queue/p', b, { persistent: true });
    await publish(router, '/queue/p', 'delayed', { delayMs: 60_000, persistent: true });
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/p', 'client-individual', 1);
    await settled();
    const [held] = takeOffers(s);
    router.claim(s, held.offer, 1);
    assert.equal(await router.purge('/queue/p'), 3);
    const v = router.destinationView('/queue/p')!;
    assert.equal(v.depth, 0);
    assert.equal(v.inFlight, 1);
    assert.equal(store.count(), 1, 'only the message in flight is still stored');
    await router.ack(s, [held.msg.id]);
    assert.equal(store.count(), 0);
    assert.equal(router.flow.heldBytes, 0, 'memory charges released');
    assert.equal(await router.purge('/queue/none'), 0);
  });

  // A purge larger than one chunk takes several turns and removes everything.
  test('several chunks', async () => {
    const { router } = await makeRouter();
    for (let i = 0; i < 25_000; i++) await publish(router, '/queue/big', String(i));
    assert.equal(await router.purge('/queue/big'), 25_000);
    assert.equal(router.destinationView('/queue/big')?.depth ?? 0, 0);
    assert.equal(router.flow.heldBytes, 0);
  });
});

describe('Router: deep queues (paging)', () => {
  // Browse shows a lane's messages on disk after those in memory, before the next lane.
  test('browse reads what a lane keeps on disk, in order', async () => {
    const router = await pagingRouter();
    const high = Array.from({ length: LANE_WINDOW + 500 }, (_, i) => `h${i}`);
    await publishDeep(router, '/queue/deep', high, 9);
    await publishDeep(router, '/queue/deep', ['l0', 'l1', 'l2'], 4);
    assert.equal(router.destinations.existing('/queue/deep')?.ready.length, LANE_WINDOW + 3, 'the rest is on disk');
    const seen = router.browse('/queue/deep', LANE_WINDOW + 502)!.map((h) => h.wire.body.toString());
    assert.deepEqual(seen, [...high, 'l0', 'l1']);
    assert.equal(router.destinationView('/queue/deep')?.depth, LANE_WINDOW + 503, 'nothing taken');
  });

  // Purge removes what is on disk too, as the pager brings it in.
  test('purge empties memory and disk', async () => {
    const router = await pagingRouter();
    await publishDeep(router, '/queue/deep2', Array.from({ length: LANE_WINDOW + 1500 }, (_, i) => `m${i}`));
    assert.equal(await router.purge('/queue/deep2'), LANE_WINDOW + 1500);
    assert.equal(router.destinationView('/queue/deep2')?.depth ?? 0, 0);
    assert.equal(router.store.count(), 0);
    assert.equal(router.flow.heldBytes, 0);
  });
});

describe('Router: moving dead letters back', () => {
  // The moved message keeps body and headers, loses the dead-letter headers, starts a fresh delivery count.
  test('back to the original queue, and delivered from there', async () => {
    const { router } = await makeRouter();
    await deadLetter(router, '/queue/jobs', ['j1', 'j2']);
    const [dead] = router.browse('/queue/DLQ.jobs', 1)!;
    assert.equal(dead.wire.headers['original-destination'], '/queue/jobs');
    const result = await router.retryDeadLetters('/queue/DLQ.jobs', 100);
    assert.deepEqual(result, { moved: 2, skipped: 0, remaining: 0, to: { '/queue/jobs': 2 } });
    const moved = router.browse('/queue/jobs', 10)!;
    assert.deepEqual(moved.map((h) => h.wire.body.toString()), ['j1', 'j2']);
    for (const h of moved) {
      assert.deepEqual(Object.keys(h.wire.headers), ['x-job']);
      assert.equal(h.wire.dest, '/queue/jobs');
      assert.equal(h.wire.redeliveries, 0);
      assert.deepEqual(h.failures, []);
    }
    const c = consume(router, '/queue/jobs');
    assert.deepEqual(c.bodies(), ['j1', 'j2']);
  });

  // Persistent: the store holds the moved copies in their queue and not the dead letters.
  test('persistent dead letters change places on disk', async () => {
    const { router } = await makeRouter();
    await deadLetter(router, '/queue/pj', ['p1'], true);
    assert.deepEqual((await storedMessages(router)).map((m) => m.queue ?? m.dest), ['/queue/DLQ.pj']);
    await router.retryDeadLetters('/queue/DLQ.pj', 10);
    const stored = await storedMessages(router);
    assert.deepEqual(stored.map((m) => [m.queue ?? m.dest, m.body.toString()]), [['/queue/pj', 'p1']]);
    assert.equal(stored[0].headers['dead-letter-reason'], undefined);
  });

  // Messages that are not dead letters stay, in order; `limit` bounds how many are looked at.
  test('skips what is not a dead letter, and looks at `limit` messages', async () => {
    const { router } = await makeRouter();
    await publish(router, '/queue/DLQ.mixed', 'plain1');
    await deadLetter(router, '/queue/mixed', ['d1', 'd2']);
    // dead letters land in DLQ.mixed after plain1
    await publish(router, '/queue/DLQ.mixed', 'plain2');
    const first = await router.retryDeadLetters('/queue/DLQ.mixed', 2);
    assert.deepEqual(first, { moved: 1, skipped: 1, remaining: 3, to: { '/queue/mixed': 1 } });
    assert.deepEqual(router.browse('/queue/DLQ.mixed', 10)!.map((h) => h.wire.body.toString()), ['plain1', 'd2', 'plain2']);
    const rest = await router.retryDeadLetters('/queue/DLQ.mixed', 100);
    assert.deepEqual(rest, { moved: 1, skipped: 2, remaining: 2, to: { '/queue/mixed': 1 } });
    assert.deepEqual(router.browse('/queue/DLQ.mixed', 10)!.map((h) => h.wire.body.toString()), ['plain1', 'plain2']);
    assert.equal(router.retryDeadLetters('/queue/none', 10), undefined);
  });

  // A bounded queue with overflow "reject" takes only what fits; the rest stay dead letters.
  test('a full queue takes only what fits', async () => {
    const config = parseConfig({ destinations: { '/queue/small': { maxLength: 1, overflow: 'reject' } } });
    const { router } = await makeRouter(config);
    await deadLetter(router, '/queue/small', ['s1']);
    await deadLetter(router, '/queue/small', ['s2']);
    const result = await router.retryDeadLetters('/queue/DLQ.small', 10);
    assert.deepEqual(result, { moved: 1, skipped: 1, remaining: 1, to: { '/queue/small': 1 } });
    assert.deepEqual(router.browse('/queue/DLQ.small', 10)!.map((h) => h.wire.body.toString()), ['s2']);
  });
});

describe('Router: store timing', () => {
  // Every store write the router makes is reported, once a timer is set.
  test('writes and delivery marks are timed', async () => {
    const { router } = await makeRouter();
    const seen: StoreOp[] = [];
    router.storeTimer = (op, seconds, ok) => {
      assert.ok(seconds >= 0);
      assert.ok(ok);
      seen.push(op);
    };
    await publish(router, '/queue/t', 'x', { persistent: true });
    const s = fakeSession();
    subscribe(router, s, 1, '/queue/t', 'auto');
    await settled();
    await settled();
    assert.ok(seen.includes('write'), `seen: ${seen.join(',')}`);
    assert.ok(seen.includes('mark'), `seen: ${seen.join(',')}`);
    router.storeTimer = null;
    const before = seen.length;
    await publish(router, '/queue/t', 'y', { persistent: true });
    await settled();
    assert.equal(seen.length, before, 'nothing reported without a timer');
  });

  // A router built on a store that already holds messages recovers them through the timed wrapper.
  test('recovery goes through the wrapper', async () => {
    const { router, store } = await makeRouter();
    await publish(router, '/queue/r', 'x', { persistent: true });
    router.close();
    const again = new Router(OPTIONS, store, parseConfig({}));
    routers.push(again);
    assert.equal(await again.recover(), 1);
  });
});
