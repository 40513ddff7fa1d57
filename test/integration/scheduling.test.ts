/**
 * Scheduling headers on SEND: `delay` / `AMQ_SCHEDULED_DELAY`, `priority`, TTL (`expiration` relative as
 * RabbitMQ, `expires` absolute as ActiveMQ), expired messages to the DLQ by config, and malformed values.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, sendConfirmed, uniqueDest, useBroker } from '../helpers/broker.js';
import {
  ackConfirmed, ClientPool, drainQuiet, expectOnlyMarker, nextMessage, nextMessages, produce, queueWithDlq, text,
} from '../helpers/jobs.js';

describe('scheduling: delay, priority, TTL, malformed values', () => {
  const ctx = useBroker({ config: { destinations: { '/queue/sch-dl-*': { expired: 'dead-letter' } } } });
  const pool = new ClientPool(() => ctx.broker.port);
  const connect = () => pool.connect();
  const consumer = (dest: string, headers: Record<string, string | number> = {}) => pool.consumer(dest, headers);
  afterEach(() => {
    pool.closeAll();
  });


  /** SENDs `first` (with `headers`) and then `second` in one write, the second with a receipt. */
  async function sendPair(dest: string, first: string, headers: Record<string, string | number>, second: string): Promise<void> {
    const p = await connect();
    await p.send(Buffer.concat([
      encodeFrame('SEND', { destination: dest, ...headers }, first),
      encodeFrame('SEND', { destination: dest, receipt: 'pair' }, second),
    ]));
    await p.expectReceipt('pair');
  }

  // `delay:<ms>`: a delayed message is offered only after its delay, so a later undelayed one comes first.
  test('delay:500 → not received before a later undelayed message', async () => {
    const dest = uniqueDest('queue', 'sch-delay');
    const c = await consumer(dest);
    await sendPair(dest, 'delayed', { delay: 500 }, 'immediate');
    assert.deepEqual((await nextMessages(c, 2)).map(text), ['immediate', 'delayed']);
    assert.deepEqual(await drainQuiet(c), []);
  });

  // ActiveMQ's `AMQ_SCHEDULED_DELAY` does the same.
  test('AMQ_SCHEDULED_DELAY:500 → not received before a later undelayed message', async () => {
    const dest = uniqueDest('queue', 'sch-amq');
    const c = await consumer(dest);
    await sendPair(dest, 'delayed', { AMQ_SCHEDULED_DELAY: 500 }, 'immediate');
    assert.deepEqual((await nextMessages(c, 2)).map(text), ['immediate', 'delayed']);
  });

  // `priority` 0–9: higher first, FIFO within a priority (default 4), for a subscriber attached after sending.
  test('priority: higher first, FIFO within a priority', async () => {
    const dest = uniqueDest('queue', 'sch-prio');
    const p = await connect();
    const sent: Array<[string, number | undefined]> = [
      ['p0-a', 0], ['p5-a', 5], ['default-a', undefined], ['p9-a', 9], ['p5-b', 5], ['p0-b', 0],
      ['p9-b', 9], ['p4-a', 4], ['default-b', undefined], ['p1-a', 1], ['p9-c', 9],
    ];
    for (const [body, priority] of sent) await sendConfirmed(p, dest, body, priority === undefined ? {} : { priority });
    const c = await consumer(dest);
    assert.deepEqual((await nextMessages(c, sent.length)).map(text), [
      'p9-a', 'p9-b', 'p9-c', 'p5-a', 'p5-b', 'default-a', 'p4-a', 'default-b', 'p1-a', 'p0-a', 'p0-b',
    ]);
  });

  // TTL: `expiration:1` (RabbitMQ, ms from now) and `expires` in the past (ActiveMQ, epoch ms) are never delivered.
  test('expired messages (expiration:1, expires:<past>) are never delivered', async () => {
    const dest = uniqueDest('queue', 'sch-ttl');
    const p = await connect();
    await sendConfirmed(p, dest, 'rabbit-ttl', { expiration: 1 });
    await sendConfirmed(p, dest, 'activemq-expired', { expires: Date.now() - 60_000 });
    await sendConfirmed(p, dest, 'still-valid', { expiration: 120_000 });
    await new Promise((r) => setTimeout(r, 20)); // make sure the 1 ms TTL has passed
    const c = await consumer(dest);
    assert.equal(text(await nextMessage(c)), 'still-valid');
    assert.deepEqual((await drainQuiet(c)).map(text), []);
  });

  // `"expired": "dead-letter"`: expired messages go to the dead-letter queue instead of being dropped.
  test('config expired: dead-letter → expired messages land in the DLQ', async () => {
    const { queue, dlq } = queueWithDlq('sch-dl');
    const p = await connect();
    await sendConfirmed(p, queue, 'rabbit-ttl', { expiration: 1 });
    await sendConfirmed(p, queue, 'activemq-expired', { expires: Date.now() - 60_000 });
    await new Promise((r) => setTimeout(r, 20)); // make sure the 1 ms TTL has passed
    // Expiry is noticed when the queue would offer them: give it a consumer.
    const c = await consumer(queue);
    const reader = await consumer(dlq, { ack: 'client-individual' });
    const dead = await nextMessages(reader, 2, 10_000);
    assert.deepEqual(dead.map(text), ['rabbit-ttl', 'activemq-expired']);
    for (const d of dead) {
      assert.equal(d.headers['original-destination'], queue);
      assert.match(d.headers['dead-letter-reason'], /expire/);
      await ackConfirmed(reader, d);
    }
    assert.deepEqual(await drainQuiet(c), [], 'the expired messages never reach the queue consumer');
  });

  /** A SEND with bad header values: ERROR naming the problem, a close, and nothing enqueued. */
  async function rejectedSend(headers: Record<string, string>, mention: RegExp): Promise<void> {
    const dest = uniqueDest('queue', 'sch-bad');
    const c = await connect();
    await c.frame('SEND', { destination: dest, ...headers, receipt: 'bad' }, 'must-not-be-queued');
    const error = await c.expectErrorAndClose();
    const said = `${error.headers.message} ${text(error)}`;
    assert.match(said, mention, `ERROR explains the bad value: ${said}`);
    assert.equal(error.headers['receipt-id'], 'bad');
    await expectOnlyMarker(ctx.broker.port, dest);
  }

  // Priority is 0–9: 42 is refused with a clear ERROR, and the message is not queued.
  test('priority:42 → ERROR, nothing enqueued', async () => {
    await rejectedSend({ priority: '42' }, /priority/i);
  });
  // A negative delay is malformed: ERROR, nothing enqueued.
  test('delay:-5 → ERROR, nothing enqueued', async () => {
    await rejectedSend({ delay: '-5' }, /delay/);
  });
  // A non-numeric delay is malformed: ERROR, nothing enqueued.
  test('delay:abc → ERROR, nothing enqueued', async () => {
    await rejectedSend({ delay: 'abc' }, /delay/);
  });
  // `expires` must be epoch milliseconds: ERROR, nothing enqueued.
  test('expires:soon → ERROR, nothing enqueued', async () => {
    await rejectedSend({ expires: 'soon' }, /expires/);
  });
  // `persistent` must be true or false: ERROR, nothing enqueued.
  test('persistent:maybe → ERROR, nothing enqueued', async () => {
    await rejectedSend({ persistent: 'maybe' }, /persistent/);
  });

  // A malformed NACK `retry-after` is refused: ERROR, close; the message goes back once, nothing else is queued.
  test('NACK retry-after:x → ERROR; the message is back once, nothing dead-lettered', async () => {
    const { queue, dlq } = queueWithDlq('sch-badnack');
    await produce(ctx.broker.port, queue, ['job']);
    const w = await consumer(queue, { ack: 'client-individual' });
    const m = await nextMessage(w);
    await w.frame('NACK', { id: m.headers.ack, 'retry-after': 'x', receipt: 'bad-nack' });
    const error = await w.expectErrorAndClose();
    assert.match(`${error.headers.message} ${text(error)}`, /retry-after/);
    const again = await consumer(queue);
    const back = await nextMessage(again);
    assert.equal(text(back), 'job');
    assert.deepEqual((await drainQuiet(again)).map(text), [], 'the message is back exactly once');
    again.close();
    await expectOnlyMarker(ctx.broker.port, dlq);
  });
});
