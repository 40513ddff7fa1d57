/**
 * Persistence: what survives a broker restart (SIGTERM, then a new broker on the same data directory)
 * and a kill -9 of the hub (the stale lock is taken over), with the default lmdb store.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connectStomp, freshDir, type RawClient, sendConfirmed, startBroker, uniqueDest, useBroker } from '../helpers/broker.js';
import {
  ackConfirmed, drainQuiet, expectOnlyMarker, nackConfirmed, nextMessage, nextMessages, produce, subscribeTo, text,
  withReceipt,
} from '../helpers/jobs.js';

describe('persistence across restarts', () => {
  // A broker and data directory for each test: a restart recovers only what that test stored. The
  // policies are those of the two tests on '"persistent": true' and fan-out; no other test's names match.
  const ctx = useBroker({
    perTest: true,
    config: {
      destinations: {
        '/queue/always-*': { persistent: true },
        '/topic/p-uploads': { fanout: ['/queue/p-fan-a', '/queue/p-fan-b'] },
      },
    },
  });
  const clients: RawClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  async function connect(port: number): Promise<RawClient> {
    const c = await connectStomp(port);
    clients.push(c);
    return c;
  }

  /** Subscribes client-individual to `dest` on a new connection. */
  async function consume(port: number, dest: string, headers: Record<string, string | number> = {}): Promise<RawClient> {
    const c = await connect(port);
    await subscribeTo(c, dest, 's', { ack: 'client-individual', ...headers });
    return c;
  }

  // A persistent SEND whose RECEIPT arrived is on disk: a clean restart (SIGTERM) keeps it.
  test('persistent message survives SIGTERM and restart', async () => {
    const dest = uniqueDest('queue', 'p-term');
    await produce(ctx.broker.port, dest, ['kept-1', 'kept-2'], { persistent: 'true' });
    const broker = await ctx.restart();
    assert.match(broker.logs(), /recovered 2 stored messages/);
    const c = await consume(broker.port, dest);
    const got = await nextMessages(c, 2);
    assert.deepEqual(got.map(text), ['kept-1', 'kept-2']);
    for (const m of got) assert.equal(m.headers.destination, dest);
  });

  // kill -9 of the hub loses nothing receipted, and the next broker takes over the dead one's lock.
  test('persistent message survives SIGKILL of the hub; the stale lock is taken over', async () => {
    const dest = uniqueDest('queue', 'p-kill');
    const p = await connect(ctx.broker.port);
    await sendConfirmed(p, dest, 'survivor', { persistent: 'true' });
    const lock = path.join(ctx.broker.dataDir, 'broker.lock');
    assert.ok(fs.existsSync(lock), 'the running broker holds the data-directory lock');
    const broker = await ctx.crashAndRestart(); // would throw "in use" if the stale lock were not taken over
    assert.ok(fs.existsSync(lock), 'the new broker holds the lock');
    const c = await consume(broker.port, dest);
    assert.equal(text(await nextMessage(c)), 'survivor');
    assert.deepEqual(await drainQuiet(c), []);
  });

  // A hub that died long ago (its lock older than the stale limit, its owner file still inside) does
  // not keep the next broker from starting on that data directory.
  test('a stale lock of a long-dead hub is taken over', async () => {
    const dataDir = freshDir();
    const lock = path.join(dataDir, 'broker.lock');
    fs.mkdirSync(lock, { recursive: true });
    fs.writeFileSync(path.join(lock, 'owner'), '999999\n'); // no such process
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, minuteAgo, minuteAgo);
    const broker = await startBroker([], { dataDir });
    try {
      assert.equal(fs.readFileSync(path.join(lock, 'owner'), 'utf8').trim(), String(broker.pid));
      const c = await connectStomp(broker.port);
      await c.disconnect();
    } finally {
      await broker.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // Non-persistent messages live in memory only: a restart loses them (a persistent one next to them stays).
  test('non-persistent messages do not survive a restart', async () => {
    const dest = uniqueDest('queue', 'p-transient');
    await produce(ctx.broker.port, dest, ['transient-1', 'transient-2']);
    await produce(ctx.broker.port, dest, ['persistent'], { persistent: 'true' });
    await produce(ctx.broker.port, dest, ['transient-3'], { persistent: 'false' });
    const broker = await ctx.restart();
    const c = await consume(broker.port, dest);
    assert.equal(text(await nextMessage(c)), 'persistent');
    assert.deepEqual((await drainQuiet(c)).map(text), []);
  });

  // A message handed to a consumer and never acked comes back after a restart, flagged redelivered.
  test('delivered but unacked message comes back with redelivered:true', async () => {
    const dest = uniqueDest('queue', 'p-unacked');
    await produce(ctx.broker.port, dest, ['in-flight'], { persistent: 'true' });
    const first = await consume(ctx.broker.port, dest);
    const msg = await nextMessage(first);
    assert.equal(msg.headers.redelivered, undefined, 'first delivery is not flagged');
    const broker = await ctx.restart();
    const c = await consume(broker.port, dest);
    const again = await nextMessage(c);
    assert.equal(text(again), 'in-flight');
    assert.equal(again.headers.redelivered, 'true');
    assert.ok(Number(again.headers['x-delivery-count']) >= 1, `x-delivery-count ${again.headers['x-delivery-count']}`);
  });

  // Delivery marks are written ahead for the messages next in line (so that after a crash one a client
  // may have seen comes back flagged); a clean stop forgets them for messages no client got: those come
  // back unflagged, and no maxDeliveries try is used up by a restart.
  test('after a clean restart only the message a client had is flagged redelivered', async () => {
    const dest = uniqueDest('queue', 'p-marks');
    await produce(ctx.broker.port, dest, ['held', 'w1', 'w2', 'w3'], { persistent: 'true' });
    const first = await consume(ctx.broker.port, dest, { 'prefetch-count': 1 });
    assert.equal(text(await nextMessage(first)), 'held');
    const broker = await ctx.restart();
    const c = await consume(broker.port, dest);
    const got = await nextMessages(c, 4);
    assert.deepEqual(got.map(text), ['held', 'w1', 'w2', 'w3']);
    assert.deepEqual(got.map((m) => m.headers.redelivered ?? 'no'), ['true', 'no', 'no', 'no']);
  });

  // An ACK whose RECEIPT arrived is on disk: even kill -9 right after it cannot bring the message back.
  test('a receipted ACK is not undone by a restart (kill -9)', async () => {
    const dest = uniqueDest('queue', 'p-acked');
    await produce(ctx.broker.port, dest, ['acked', 'pending'], { persistent: 'true' });
    const c1 = await consume(ctx.broker.port, dest, { 'prefetch-count': 1 });
    const m = await nextMessage(c1);
    assert.equal(text(m), 'acked');
    await ackConfirmed(c1, m);
    const broker = await ctx.crashAndRestart();
    const c2 = await consume(broker.port, dest);
    assert.equal(text(await nextMessage(c2)), 'pending');
    assert.deepEqual((await drainQuiet(c2)).map(text), []);
  });

  // Recovery keeps queue order: FIFO within a priority, higher priority first.
  test('FIFO and priority order survive a restart', async () => {
    const fifo = uniqueDest('queue', 'p-fifo');
    const prio = uniqueDest('queue', 'p-prio');
    const fifoBodies = Array.from({ length: 20 }, (_, i) => `f-${i}`);
    await produce(ctx.broker.port, fifo, fifoBodies, { persistent: 'true' });
    const p = await connect(ctx.broker.port);
    const sent: Array<[string, number]> = [['a', 1], ['b', 9], ['c', 4], ['d', 9], ['e', 1], ['f', 4], ['g', 0]];
    for (const [body, priority] of sent) await sendConfirmed(p, prio, body, { persistent: 'true', priority });
    const broker = await ctx.restart();
    const c1 = await consume(broker.port, fifo);
    assert.deepEqual((await nextMessages(c1, 20)).map(text), fifoBodies);
    const c2 = await consume(broker.port, prio);
    assert.deepEqual((await nextMessages(c2, 7)).map(text), ['b', 'd', 'c', 'f', 'a', 'e', 'g']);
  });

  // A destination configured "persistent": true keeps messages sent without the header.
  test('"persistent": true in the config persists messages without the header', async () => {
    const dest = uniqueDest('queue', 'always');
    const other = uniqueDest('queue', 'p-other');
    await produce(ctx.broker.port, dest, ['by-policy']);
    await produce(ctx.broker.port, other, ['not-persistent']);
    const broker = await ctx.restart();
    const c = await consume(broker.port, dest);
    assert.equal(text(await nextMessage(c)), 'by-policy');
    await expectOnlyMarker(broker.port, other);
  });

  // Delays and expiry times are stored with the message: still delayed, still valid, or expired after a restart.
  test('delayed and TTL messages survive a restart', async () => {
    const dest = uniqueDest('queue', 'p-sched');
    const p = await connect(ctx.broker.port);
    const shortExpiry = Date.now() + 400;
    await sendConfirmed(p, dest, 'delayed', { persistent: 'true', delay: 5000 });
    await sendConfirmed(p, dest, 'ttl-long', { persistent: 'true', expiration: 120_000 });
    await sendConfirmed(p, dest, 'expires-abs', { persistent: 'true', expires: Date.now() + 120_000 });
    await sendConfirmed(p, dest, 'ttl-short', { persistent: 'true', expires: shortExpiry });
    const broker = await ctx.restart();
    while (Date.now() <= shortExpiry + 50) await new Promise((r) => setTimeout(r, 50)); // make sure it is past due
    await produce(broker.port, dest, ['after-restart'], { persistent: 'true' });
    const c = await consume(broker.port, dest);
    // Undelayed messages first (the delayed one is still waiting), the short-lived one never.
    assert.deepEqual((await nextMessages(c, 3)).map(text), ['ttl-long', 'expires-abs', 'after-restart']);
    assert.equal(text(await nextMessage(c, 20_000)), 'delayed');
    assert.deepEqual((await drainQuiet(c)).map(text), []);
  });

  // A durable subscription keeps persistent messages published while its subscriber is away, across a restart.
  test('durable subscription messages survive a restart (persistent ones)', async () => {
    const topic = uniqueDest('topic', 'p-durable');
    const sub = await connectStomp(ctx.broker.port, { 'client-id': 'pc1' });
    await subscribeTo(sub, topic, 'd', { 'activemq.subscriptionName': 'ps1', ack: 'client-individual' });
    await sub.disconnect();
    const p = await connect(ctx.broker.port);
    await sendConfirmed(p, topic, 'kept-1', { persistent: 'true' });
    await sendConfirmed(p, topic, 'lost', { persistent: 'false' });
    await sendConfirmed(p, topic, 'kept-2', { persistent: 'true' });
    const broker = await ctx.restart();
    const back = await connectStomp(broker.port, { 'client-id': 'pc1' });
    clients.push(back);
    await subscribeTo(back, topic, 'd', { 'activemq.subscriptionName': 'ps1', ack: 'client-individual' });
    const got = await nextMessages(back, 2);
    assert.deepEqual(got.map(text), ['kept-1', 'kept-2']);
    for (const m of got) assert.equal(m.headers.destination, topic);
    assert.deepEqual((await drainQuiet(back)).map(text), []);
  });

  // COMMIT of "ACK job A + SEND job B" (TheSchwartz "replace") is one store transaction: after kill -9
  // right after the COMMIT receipt, both happened (A is gone, B is queued).
  test('COMMIT of SEND+ACK is atomic across kill -9 after the receipt', async () => {
    const jobsA = uniqueDest('queue', 'p-jobA');
    const jobsB = uniqueDest('queue', 'p-jobB');
    await produce(ctx.broker.port, jobsA, ['job-A'], { persistent: 'true' });
    const worker = await consume(ctx.broker.port, jobsA);
    const a = await nextMessage(worker);
    assert.equal(text(a), 'job-A');
    await withReceipt(worker, 'BEGIN', { transaction: 'replace' });
    await withReceipt(worker, 'ACK', { id: a.headers.ack, transaction: 'replace' });
    await withReceipt(worker, 'SEND', { destination: jobsB, persistent: 'true', transaction: 'replace' }, 'job-B');
    await withReceipt(worker, 'COMMIT', { transaction: 'replace' });
    const broker = await ctx.crashAndRestart();
    const c = await consume(broker.port, jobsB);
    assert.equal(text(await nextMessage(c)), 'job-B');
    await expectOnlyMarker(broker.port, jobsA);
  });

  // The same COMMIT with the hub killed as soon as the COMMIT is written (receipt or not): all or nothing.
  test('COMMIT of SEND+ACK killed mid-flight: both happened or neither', async () => {
    const jobsA = uniqueDest('queue', 'p-jobA2');
    const jobsB = uniqueDest('queue', 'p-jobB2');
    await produce(ctx.broker.port, jobsA, ['job-A'], { persistent: 'true' });
    const worker = await consume(ctx.broker.port, jobsA);
    const a = await nextMessage(worker);
    await withReceipt(worker, 'BEGIN', { transaction: 'replace' });
    await withReceipt(worker, 'ACK', { id: a.headers.ack, transaction: 'replace' });
    await withReceipt(worker, 'SEND', { destination: jobsB, persistent: 'true', transaction: 'replace' }, 'job-B');
    await worker.frame('COMMIT', { transaction: 'replace', receipt: 'commit' });
    const broker = await ctx.crashAndRestart();
    const inA = (await drainQuiet(await consume(broker.port, jobsA), 500)).map(text);
    const inB = (await drainQuiet(await consume(broker.port, jobsB), 500)).map(text);
    assert.ok((inA.length === 0 && inB.join() === 'job-B') || (inA.join() === 'job-A' && inB.length === 0),
      `all or nothing: ${jobsA} holds ${JSON.stringify(inA)}, ${jobsB} holds ${JSON.stringify(inB)}`);
  });

  // Persistent copies a topic fans out to queues (config "fanout") are kept in those queues across a restart.
  test('persistent fan-out copies of a topic message survive a restart', async () => {
    const p = await connect(ctx.broker.port);
    await sendConfirmed(p, '/topic/p-uploads', 'upload-1', { persistent: 'true' });
    const broker = await ctx.restart();
    for (const q of ['/queue/p-fan-a', '/queue/p-fan-b']) {
      const c = await consume(broker.port, q);
      assert.equal(text(await nextMessage(c)), 'upload-1', `copy in ${q}`);
    }
  });

  // A persistent job's failure history is kept with it: a dead letter made after a restart lists the
  // failures from before the restart too.
  test('failure history of a persistent message survives a restart', async () => {
    const queue = uniqueDest('queue', 'p-hist');
    const dlq = `/queue/DLQ.${queue.slice('/queue/'.length)}`;
    await produce(ctx.broker.port, queue, ['job'], { persistent: 'true' });
    const w = await consume(ctx.broker.port, queue);
    // Held back long enough that it is still waiting (not in anyone's hands) when the broker stops.
    await nackConfirmed(w, await nextMessage(w), { 'retry-after': 3000, message: 'before restart' });
    const broker = await ctx.restart();
    const w2 = await consume(broker.port, queue);
    const again = await nextMessage(w2, 15_000);
    assert.equal(again.headers['x-delivery-count'], '1');
    await nackConfirmed(w2, again, { requeue: 'false', message: 'after restart' });
    const reader = await consume(broker.port, dlq);
    const dead = await nextMessage(reader);
    assert.equal(dead.headers['delivery-failures'], '2');
    const history = JSON.parse(dead.headers['failure-history']) as Array<{ reason: string }>;
    assert.deepEqual(history.map((h) => h.reason), ['before restart', 'after restart']);
  });
});
