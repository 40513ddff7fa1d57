/** Queue (point-to-point) semantics: competing consumers, FIFO, retention, MESSAGE headers. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodies, connectStomp, eventually, type RawClient, type ReceivedFrame, sendConfirmed, sendMany, subscribe, uniqueDest,
  useBroker,
} from '../helpers/broker.js';

describe('queues', () => {
  const ctx = useBroker();

  // A queue message goes to exactly one of its consumers; together they get every message once.
  test('competing consumers: 200 messages, each delivered exactly once, both consumers get some', async () => {
    const dest = uniqueDest('queue', 'compete');
    const a = await connectStomp(ctx.broker.port);
    const b = await connectStomp(ctx.broker.port);
    await subscribe(a, dest, 'a');
    await subscribe(b, dest, 'b');
    const producer = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 200 }, (_, i) => `m-${i}`);
    await sendMany(producer, dest, sent);

    const got: { a: ReceivedFrame[]; b: ReceivedFrame[] } = { a: [], b: [] };
    const deadline = Date.now() + 30_000;
    const drain = async (client: RawClient, into: ReceivedFrame[]) => {
      while (got.a.length + got.b.length < 200) {
        if (Date.now() > deadline) throw new Error(`only ${got.a.length + got.b.length} of 200 messages arrived`);
        try {
          into.push(await client.expectFrame('MESSAGE', 200));
        } catch (err) {
          if (!/no frame within/.test((err as Error).message)) throw err;
        }
      }
    };
    await Promise.all([drain(a, got.a), drain(b, got.b)]);
    // Anything still on the way (a duplicate) arrives before the DISCONNECT receipt.
    const extra: ReceivedFrame[] = [];
    for (const c of [a, b]) {
      await c.frame('DISCONNECT', { receipt: 'end' });
      for (;;) {
        const f = await c.readFrame();
        if (f.command === 'RECEIPT') break;
        extra.push(f);
      }
    }
    const all = [...bodies(got.a), ...bodies(got.b), ...bodies(extra)];
    assert.equal(all.length, 200, `each message once: got ${all.length} deliveries`);
    assert.deepEqual(new Set(all), new Set(sent));
    assert.ok(got.a.length > 0, 'consumer a got some messages');
    assert.ok(got.b.length > 0, 'consumer b got some messages');
    for (const f of got.a) assert.equal(f.headers.subscription, 'a');
    for (const f of got.b) assert.equal(f.headers.subscription, 'b');
    producer.close();
  });

  // A single consumer receives a queue's messages in the order they were sent.
  test('FIFO for a single consumer', async () => {
    const dest = uniqueDest('queue', 'fifo');
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    const producer = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 100 }, (_, i) => `fifo-${i}`);
    await sendMany(producer, dest, sent);
    assert.deepEqual(bodies(await consumer.expectFrames('MESSAGE', 100)), sent);
    producer.close();
    consumer.close();
  });

  // FIFO also holds when every SEND travels in its own write and the consumer subscribes later.
  test('FIFO for messages queued before the consumer subscribes', async () => {
    const dest = uniqueDest('queue', 'fifo-late');
    const producer = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 30 }, (_, i) => `late-${i}`);
    for (const body of sent) await producer.frame('SEND', { destination: dest }, body);
    await producer.frame('SEND', { destination: dest, receipt: 'last' }, 'late-end');
    await producer.expectReceipt('last');
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    assert.deepEqual(bodies(await consumer.expectFrames('MESSAGE', 31)), [...sent, 'late-end']);
    producer.close();
    consumer.close();
  });

  // A consumer that stops reading now and then while megabyte messages arrive: its session hands back
  // the offers it cannot write and must not take a later one first once its socket drains.
  test('FIFO for a single consumer whose socket backs up (4 MiB bodies)', { timeout: 120_000 }, async () => {
    const dest = uniqueDest('queue', 'fifo-big');
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    const producer = await connectStomp(ctx.broker.port);
    const n = 24;
    const body = Buffer.alloc(4 * 1024 * 1024, 'x');
    let confirmed = 0;
    const sending = (async () => {
      for (let i = 0; i < n; i++) {
        await sendConfirmed(producer, dest, body, { seq: i });
        confirmed++;
      }
    })();
    const got: number[] = [];
    while (got.length < n) {
      if (got.length % 5 === 2) {
        // Stop reading until the broker has taken a few more messages, then read on.
        consumer.socket.pause();
        const until = Math.min(n, got.length + 6);
        await eventually(() => confirmed >= until, 60_000);
        consumer.socket.resume();
      }
      got.push(Number((await consumer.expectFrame('MESSAGE', 60_000)).headers.seq));
    }
    await sending;
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => i));
    producer.close();
    consumer.close();
  });

  // A client written for RabbitMQ names the same destinations its way: /amq/queue/NAME is /queue/NAME,
  // /exchange/amq.topic/KEY is /topic/KEY; a form this broker lacks gets an ERROR, not a silent queue.
  test('RabbitMQ destination names reach the same queue and topic; /temp-topic/ is refused', async () => {
    const queue = uniqueDest('queue', 'amq');
    const topic = uniqueDest('topic', 'exch');
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, queue, 'q');
    await subscribe(consumer, `/exchange/amq.topic/${topic.slice('/topic/'.length)}`, 't');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, `/amq/queue/${queue.slice('/queue/'.length)}`, 'to-queue');
    await sendConfirmed(producer, topic, 'to-topic');
    const got = await consumer.expectFrames('MESSAGE', 2);
    assert.deepEqual(got.map((f) => [f.headers.subscription, f.body.toString()]), [['q', 'to-queue'], ['t', 'to-topic']]);
    await producer.frame('SEND', { destination: '/temp-topic/x', receipt: 'tt' }, 'lost?');
    const error = await producer.expectErrorAndClose();
    assert.equal(error.headers.message, 'Unknown destination');
    assert.equal(error.headers['receipt-id'], 'tt');
    consumer.close();
  });

  // A queue keeps messages sent while nobody is subscribed and delivers them on SUBSCRIBE.
  test('messages sent before anyone subscribes are kept', async () => {
    const dest = uniqueDest('queue', 'kept');
    const producer = await connectStomp(ctx.broker.port);
    await sendMany(producer, dest, ['k1', 'k2', 'k3']);
    await producer.disconnect();
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    assert.deepEqual(bodies(await consumer.expectFrames('MESSAGE', 3)), ['k1', 'k2', 'k3']);
    consumer.close();
  });

  // MESSAGE carries subscription, message-id and destination ("MESSAGE"); 1.2 client modes add `ack`.
  for (const mode of ['auto', 'client', 'client-individual'] as const) {
    test(`MESSAGE headers in 1.2 ack:${mode}`, async () => {
      const dest = uniqueDest('queue', 'hdr');
      const consumer = await connectStomp(ctx.broker.port, { 'accept-version': '1.2' });
      await subscribe(consumer, dest, `sub-${mode}`, { ack: mode });
      const producer = await connectStomp(ctx.broker.port);
      await sendMany(producer, dest, ['h1', 'h2']);
      const [m1, m2] = await consumer.expectFrames('MESSAGE', 2);
      for (const m of [m1, m2]) {
        assert.equal(m.headers.subscription, `sub-${mode}`);
        assert.equal(m.headers.destination, dest);
        assert.ok(m.headers['message-id'], 'message-id present');
        if (mode !== 'auto') assert.ok(m.headers.ack, 'ack header present in a client ack mode');
      }
      assert.notEqual(m1.headers['message-id'], m2.headers['message-id']);
      if (mode !== 'auto') assert.notEqual(m1.headers.ack, m2.headers.ack);
      producer.close();
      consumer.close();
    });
  }

  // 1.0/1.1 MESSAGE has subscription (when SUBSCRIBE had an id), message-id and destination.
  for (const version of ['1.0', '1.1'] as const) {
    test(`MESSAGE headers in ${version}`, async () => {
      const dest = uniqueDest('queue', `hdr${version}`);
      const consumer = await connectStomp(ctx.broker.port, { 'accept-version': version });
      await subscribe(consumer, dest, 'sid', { ack: 'client' });
      const producer = await connectStomp(ctx.broker.port);
      await sendMany(producer, dest, ['v']);
      const m = await consumer.expectFrame('MESSAGE');
      assert.equal(m.headers.subscription, 'sid');
      assert.equal(m.headers.destination, dest);
      assert.ok(m.headers['message-id']);
      producer.close();
      consumer.close();
    });
  }

  // Message ids are unique per message on a destination.
  test('message-id is unique per message', async () => {
    const dest = uniqueDest('queue', 'ids');
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    const producer = await connectStomp(ctx.broker.port);
    await sendMany(producer, dest, Array.from({ length: 50 }, (_, i) => `id-${i}`));
    const got = await consumer.expectFrames('MESSAGE', 50);
    assert.equal(new Set(got.map((m) => m.headers['message-id'])).size, 50);
    producer.close();
    consumer.close();
  });

  // Two queues are independent: a consumer of one gets nothing from the other.
  test('queues are independent', async () => {
    const q1 = uniqueDest('queue', 'ind1');
    const q2 = uniqueDest('queue', 'ind2');
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, q1, 's1');
    const producer = await connectStomp(ctx.broker.port);
    await sendMany(producer, q2, ['other']);
    await sendMany(producer, q1, ['mine']);
    const m = await consumer.expectFrame('MESSAGE');
    assert.equal(m.body.toString(), 'mine');
    assert.equal(m.headers.destination, q1);
    producer.close();
    consumer.close();
  });

  // A SEND to a queue with its own subscriber on the same connection is delivered to itself.
  test('a connection can consume what it sends', async () => {
    const dest = uniqueDest('queue', 'self');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's');
    await c.frame('SEND', { destination: dest }, 'to myself');
    const m = await c.expectFrame('MESSAGE');
    assert.equal(m.body.toString(), 'to myself');
    c.close();
  });
});

describe('queues: --offer-fanout 3', () => {
  const ctx = useBroker({ args: ['--offer-fanout', '3'] });

  // With each message offered to 3 sessions at once, the first claim wins: still exactly-once delivery.
  test('3 competing client-individual consumers, 500 messages: each delivered exactly once', { timeout: 90_000 },
    async () => {
      const dest = uniqueDest('queue', 'fanout');
      const consumers: RawClient[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await connectStomp(ctx.broker.port);
        await subscribe(c, dest, `c${i}`, { ack: 'client-individual', 'prefetch-count': 5 });
        consumers.push(c);
      }
      const producer = await connectStomp(ctx.broker.port);
      const sent = Array.from({ length: 500 }, (_, i) => `f-${i}`);
      await sendMany(producer, dest, sent);
      const seen: string[] = [];
      const per = [0, 0, 0];
      const deadline = Date.now() + 60_000;
      // Poll all three and ACK as messages come (prefetch 5 keeps the claims racing).
      while (seen.length < sent.length) {
        if (Date.now() > deadline) throw new Error(`only ${seen.length} of ${sent.length} arrived`);
        let idle = true;
        for (const [i, c] of consumers.entries()) {
          while (c.pending > 0) {
            idle = false;
            const m = await c.readFrame();
            assert.equal(m.command, 'MESSAGE');
            seen.push(m.body.toString());
            per[i]++;
            await c.frame('ACK', { id: m.headers.ack });
          }
        }
        if (idle) await new Promise((r) => setTimeout(r, 5));
      }
      for (const c of consumers) {
        await c.frame('DISCONNECT', { receipt: 'end' });
        for (;;) {
          const f = await c.readFrame();
          if (f.command === 'RECEIPT') break;
          seen.push(f.body.toString());
        }
      }
      assert.equal(seen.length, sent.length, 'no duplicates');
      assert.deepEqual(new Set(seen), new Set(sent));
      assert.ok(per.every((n) => n > 0), `every consumer got some: ${per.join(', ')}`);
      producer.close();
    });
});
