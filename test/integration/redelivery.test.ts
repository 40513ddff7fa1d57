/**
 * Redelivery: NACK, `retry-after`, `maxDeliveries` and dead letters, `requeue:false`, back-off, and ack
 * timeouts (config `ackTimeoutMs` and the SUBSCRIBE `ack-timeout` header).
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectStomp, type RawClient, type ReceivedFrame, sendConfirmed, uniqueDest, useBroker, waitForAny,
} from '../helpers/broker.js';
import {
  ackConfirmed, drainQuiet, expectOnlyMarker, nackConfirmed, nextMessage, produce, queueWithDlq, subscribeTo, text,
} from '../helpers/jobs.js';

const ACK_TIMEOUT_MS = 1000;

describe('redelivery and dead letters', () => {
  const ctx = useBroker({
    config: {
      destinations: {
        '/queue/rd-max-*': { maxDeliveries: 3 },
        '/queue/rd-backoff-*': { backoff: { initialMs: 200, multiplier: 2, maxMs: 1000 } },
        '/queue/rd-ackto-*': { ackTimeoutMs: ACK_TIMEOUT_MS },
      },
    },
  });
  const clients: RawClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  async function consumer(dest: string, headers: Record<string, string | number> = {}): Promise<RawClient> {
    const c = await connectStomp(ctx.broker.port);
    clients.push(c);
    await subscribeTo(c, dest, 's', { ack: 'client-individual', ...headers });
    return c;
  }

  /** The failure history of a dead letter, parsed. */
  function historyOf(dead: ReceivedFrame): Array<{ time: number; reason: string }> {
    const raw = dead.headers['failure-history'];
    assert.ok(raw, `dead letter has failure-history: ${JSON.stringify(dead.headers)}`);
    return JSON.parse(raw) as Array<{ time: number; reason: string }>;
  }

  // A NACKed message comes back flagged redelivered, with one failed delivery counted.
  test('NACK → redelivered:true and x-delivery-count:1', async () => {
    const dest = uniqueDest('queue', 'rd-nack');
    await produce(ctx.broker.port, dest, ['job']);
    const c = await consumer(dest);
    const first = await nextMessage(c);
    assert.equal(first.headers.redelivered, undefined);
    assert.equal(first.headers['x-delivery-count'], undefined);
    await nackConfirmed(c, first);
    const again = await nextMessage(c);
    assert.equal(text(again), 'job');
    assert.equal(again.headers.redelivered, 'true');
    assert.equal(again.headers['x-delivery-count'], '1');
    await ackConfirmed(c, again);
    assert.deepEqual(await drainQuiet(c), []);
  });

  // NACK `retry-after` puts the message back later: it still arrives, and another queued message may overtake it.
  test('NACK retry-after:300 → redelivered after the NACK; another message may come first', async () => {
    const dest = uniqueDest('queue', 'rd-retry');
    await produce(ctx.broker.port, dest, ['retried', 'other']);
    const c = await consumer(dest, { 'prefetch-count': 1 });
    const first = await nextMessage(c);
    assert.equal(text(first), 'retried');
    await nackConfirmed(c, first, { 'retry-after': 300, message: 'try later' });
    const got: ReceivedFrame[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await nextMessage(c, 10_000);
      got.push(m);
      await ackConfirmed(c, m);
    }
    assert.deepEqual(got.map(text).sort(), ['other', 'retried']);
    const retried = got.find((m) => text(m) === 'retried')!;
    assert.equal(retried.headers.redelivered, 'true');
    assert.equal(retried.headers['x-delivery-count'], '1');
    assert.equal(got.find((m) => text(m) === 'other')!.headers.redelivered, undefined);
    assert.deepEqual(await drainQuiet(c), []);
  });

  // maxDeliveries: 3 → the third failure moves the message to /queue/DLQ.<name> with its failure history.
  test('maxDeliveries 3: after 3 NACKs the message is in the DLQ with its history', async () => {
    const { queue, dlq } = queueWithDlq('rd-max');
    await produce(ctx.broker.port, queue, ['doomed'], { 'x-job': 'thumb-1' });
    const c = await consumer(queue);
    for (let n = 1; n <= 3; n++) {
      const m = await nextMessage(c);
      assert.equal(text(m), 'doomed');
      if (n > 1) assert.equal(m.headers['x-delivery-count'], String(n - 1));
      await nackConfirmed(c, m, { message: `failure number ${n}` });
    }
    assert.deepEqual(await drainQuiet(c), [], 'not redelivered a fourth time');
    const reader = await consumer(dlq);
    const dead = await nextMessage(reader);
    assert.equal(text(dead), 'doomed');
    assert.equal(dead.headers.destination, dlq);
    assert.equal(dead.headers['original-destination'], queue);
    assert.match(dead.headers['dead-letter-reason'], /failure number 3/);
    assert.equal(dead.headers['delivery-failures'], '3');
    assert.equal(dead.headers['x-job'], 'thumb-1', 'custom headers travel with the dead letter');
    const history = historyOf(dead);
    assert.equal(history.length, 3);
    assert.deepEqual(history.map((h) => h.reason), ['failure number 1', 'failure number 2', 'failure number 3']);
    for (const h of history) assert.ok(Number.isFinite(h.time) && h.time > 0, `time ${h.time}`);
    await ackConfirmed(reader, dead);
  });

  // NACK requeue:false is a permanent failure: straight to the dead-letter queue, no redelivery.
  test('NACK requeue:false dead-letters at once', async () => {
    const { queue, dlq } = queueWithDlq('rd-perm');
    await produce(ctx.broker.port, queue, ['bad-input']);
    const c = await consumer(queue);
    const m = await nextMessage(c);
    await nackConfirmed(c, m, { requeue: 'false', message: 'cannot parse' });
    assert.deepEqual(await drainQuiet(c), [], 'not redelivered');
    const reader = await consumer(dlq);
    const dead = await nextMessage(reader);
    assert.equal(text(dead), 'bad-input');
    assert.equal(dead.headers['original-destination'], queue);
    assert.match(dead.headers['dead-letter-reason'], /cannot parse/);
    assert.equal(dead.headers['delivery-failures'], '1');
    assert.deepEqual(historyOf(dead).map((h) => h.reason), ['cannot parse']);
    await ackConfirmed(reader, dead);
  });

  // A dead letter is an ordinary message: consume it from the DLQ and send it back to its queue.
  test('a dead letter can be consumed and re-sent to the original queue', async () => {
    const { queue, dlq } = queueWithDlq('rd-resend');
    await produce(ctx.broker.port, queue, ['second-chance']);
    const c = await consumer(queue);
    await nackConfirmed(c, await nextMessage(c), { requeue: 'false', message: 'dependency down' });
    const reader = await consumer(dlq);
    const dead = await nextMessage(reader);
    const p = await connectStomp(ctx.broker.port);
    clients.push(p);
    await sendConfirmed(p, dead.headers['original-destination'], dead.body, { 'x-resent': 'yes' });
    await ackConfirmed(reader, dead);
    const back = await nextMessage(c);
    assert.equal(text(back), 'second-chance');
    assert.equal(back.headers.destination, queue);
    assert.equal(back.headers['x-resent'], 'yes');
    assert.equal(back.headers.redelivered, undefined, 'a re-sent message is a new message');
    await ackConfirmed(c, back);
    reader.close();
    await expectOnlyMarker(ctx.broker.port, dlq);
  });

  // A configured back-off delays each redelivery; the message still comes back every time.
  test('backoff config: NACKed message is redelivered (twice) after its back-off', async () => {
    const dest = uniqueDest('queue', 'rd-backoff');
    await produce(ctx.broker.port, dest, ['backed-off']);
    const c = await consumer(dest);
    await nackConfirmed(c, await nextMessage(c));
    const second = await nextMessage(c, 10_000);
    assert.equal(second.headers['x-delivery-count'], '1');
    await nackConfirmed(c, second);
    const third = await nextMessage(c, 10_000);
    assert.equal(text(third), 'backed-off');
    assert.equal(third.headers.redelivered, 'true');
    assert.equal(third.headers['x-delivery-count'], '2');
    await ackConfirmed(c, third);
  });

  /**
   * Ack timeout: two consumers; the one that gets the message never acks. The message goes back and reaches
   * the other consumer; the first one's late ACK gets ERROR "Ack timeout expired" and its connection closes.
   */
  async function ackTimeoutCase(dest: string, subHeaders: Record<string, string | number>): Promise<void> {
    const a = await consumer(dest, subHeaders);
    const b = await consumer(dest, subHeaders);
    await produce(ctx.broker.port, dest, ['slow-job']);
    const i = await waitForAny([a, b], 10_000);
    const [first, second] = i === 0 ? [a, b] : [b, a];
    const late = await nextMessage(first);
    assert.equal(text(late), 'slow-job');
    // The other consumer gets it once it has gone back (guard only; the first may get it again meanwhile).
    const retaken = await nextMessage(second, 15_000);
    assert.equal(text(retaken), 'slow-job');
    assert.equal(retaken.headers.redelivered, 'true');
    await ackConfirmed(second, retaken);
    await first.frame('ACK', { id: late.headers.ack, receipt: 'late-ack' });
    let error: ReceivedFrame;
    for (;;) {
      error = await first.readFrame(5000);
      if (error.command !== 'MESSAGE') break; // a redelivery to the first consumer may precede the ERROR
    }
    assert.equal(error.command, 'ERROR', `got ${error.command} ${JSON.stringify(error.headers)}`);
    assert.equal(error.headers.message, 'Ack timeout expired');
    await first.expectClosed();
    assert.deepEqual(await drainQuiet(second), [], 'acked once, not delivered again');
  }

  // ackTimeoutMs in the config: an unacked message goes back and another consumer gets it.
  test('ackTimeoutMs config: unacked message reaches another consumer; the late ACK is an error', async () => {
    await ackTimeoutCase(uniqueDest('queue', 'rd-ackto'), {});
  });

  // The SUBSCRIBE `ack-timeout` header does the same for one subscription.
  test('ack-timeout header: unacked message reaches another consumer; the late ACK is an error', async () => {
    await ackTimeoutCase(uniqueDest('queue', 'rd-ackhdr'), { 'ack-timeout': ACK_TIMEOUT_MS });
  });
});
