/**
 * The TheSchwartz-style job flow end to end with raw clients: enqueue a persistent job, a worker grabs it,
 * temp-fails it (NACK `retry-after` + `message`), gets it again, perm-fails it (NACK `requeue:false`), and
 * a reader finds it in the dead-letter queue with the reasons in its failure history.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectStomp, type ReceivedFrame, sendConfirmed, useBroker } from '../helpers/broker.js';
import {
  ackConfirmed, drainQuiet, expectOnlyMarker, nackConfirmed, nextMessage, queueWithDlq, subscribeTo, text,
} from '../helpers/jobs.js';

describe('job queue (TheSchwartz flow)', () => {
  const ctx = useBroker();

  // Enqueue → grab → temp-fail (retry later) → grab again → perm-fail → dead letter with its history.
  test('enqueue, temp-fail with retry-after, perm-fail with requeue:false, read the DLQ', async () => {
    const { queue, dlq } = queueWithDlq('thumbnails');
    const job = JSON.stringify({ funcname: 'MakeThumbnail', arg: { upload: 42 } });

    // Producer: persistent job, on disk once the RECEIPT arrives.
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, queue, job, { persistent: 'true', 'content-type': 'application/json' });
    await producer.disconnect();

    // Worker: one job at a time.
    const worker = await connectStomp(ctx.broker.port);
    await subscribeTo(worker, queue, 'worker', { ack: 'client-individual', 'prefetch-count': 1 });
    const grabbed = await nextMessage(worker);
    assert.equal(text(grabbed), job);
    assert.equal(grabbed.headers['content-type'], 'application/json');
    assert.equal(grabbed.headers.redelivered, undefined);

    // Temporary failure: try again in 200 ms.
    await nackConfirmed(worker, grabbed, { 'retry-after': 200, message: 'disk busy' });
    const retried = await nextMessage(worker, 10_000);
    assert.equal(text(retried), job);
    assert.equal(retried.headers.redelivered, 'true');
    assert.equal(retried.headers['x-delivery-count'], '1');

    // Permanent failure: straight to the dead-letter queue.
    await nackConfirmed(worker, retried, { requeue: 'false', message: 'corrupt image' });
    assert.deepEqual(await drainQuiet(worker), [], 'a perm-failed job is not redelivered');
    await worker.disconnect();

    // Reader of the dead letters: the job, where it came from, and why it failed, each time.
    const reader = await connectStomp(ctx.broker.port);
    await subscribeTo(reader, dlq, 'dlq', { ack: 'client-individual' });
    const dead = await nextMessage(reader);
    assert.equal(text(dead), job);
    assert.equal(dead.headers.destination, dlq);
    assert.equal(dead.headers['original-destination'], queue);
    assert.match(dead.headers['dead-letter-reason'], /corrupt image/);
    assert.equal(dead.headers['delivery-failures'], '2');
    const history = JSON.parse(dead.headers['failure-history']) as Array<{ time: number; reason: string }>;
    assert.deepEqual(history.map((h) => h.reason), ['disk busy', 'corrupt image']);
    assert.ok(history[0].time <= history[1].time, 'history in order');
    await ackConfirmed(reader, dead);
    await reader.disconnect();

    // Nothing left anywhere.
    await expectOnlyMarker(ctx.broker.port, queue);
    await expectOnlyMarker(ctx.broker.port, dlq);
  });

  // A worker that dies mid-job loses nothing: the job goes back to the head of the queue, flagged redelivered.
  test('a worker that dies mid-job: the job comes back, redelivered', async () => {
    const { queue } = queueWithDlq('jobs-dying');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, queue, 'job-1', { persistent: 'true' });
    await sendConfirmed(producer, queue, 'job-2', { persistent: 'true' });
    const dying = await connectStomp(ctx.broker.port);
    await subscribeTo(dying, queue, 'w', { ack: 'client-individual', 'prefetch-count': 1 });
    assert.equal(text(await nextMessage(dying)), 'job-1');
    dying.close(); // no DISCONNECT, no NACK: the connection just goes away
    const next = await connectStomp(ctx.broker.port);
    await subscribeTo(next, queue, 'w', { ack: 'client-individual', 'prefetch-count': 1 });
    // The broker notices the vanished connection asynchronously, so the next worker may already hold
    // job-2 when job-1 returns: both arrive, and job-1 is flagged redelivered.
    const got = new Map<string, ReceivedFrame>();
    for (let i = 0; i < 2; i++) {
      const m = await nextMessage(next, 10_000);
      got.set(text(m), m);
      await ackConfirmed(next, m);
    }
    assert.deepEqual([...got.keys()].sort(), ['job-1', 'job-2']);
    assert.equal(got.get('job-1')!.headers.redelivered, 'true', 'the dead worker\'s job comes back redelivered');
    assert.equal(got.get('job-2')!.headers.redelivered, undefined);
    await next.disconnect();
    await producer.disconnect();
  });
});
