/** RECEIPT for every client frame that asks for one, and the DISCONNECT receipt handshake. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodies, connectStomp, encodeFrame, sendConfirmed, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';

describe('receipts', () => {
  const ctx = useBroker({ producer: true });

  // Any client frame other than CONNECT may carry `receipt`; the server answers RECEIPT with receipt-id.
  test('RECEIPT for SEND', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('SEND', { destination: uniqueDest('queue', 'rs'), receipt: 'send-1' }, 'x');
    const r = await c.expectReceipt('send-1');
    assert.equal(r.body.length, 0);
    c.close();
  });

  // SUBSCRIBE with receipt.
  test('RECEIPT for SUBSCRIBE and UNSUBSCRIBE', async () => {
    const c = await connectStomp(ctx.broker.port);
    const dest = uniqueDest('queue', 'rsub');
    await c.frame('SUBSCRIBE', { destination: dest, id: 'x', receipt: 'sub-1' });
    await c.expectReceipt('sub-1');
    await c.frame('UNSUBSCRIBE', { id: 'x', receipt: 'unsub-1' });
    await c.expectReceipt('unsub-1');
    c.close();
  });

  // ACK and NACK with receipt.
  test('RECEIPT for ACK and NACK', async () => {
    const dest = uniqueDest('queue', 'rack');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, dest, 'm1');
    await sendConfirmed(ctx.producer, dest, 'm2');
    const [m1, m2] = await c.expectFrames('MESSAGE', 2);
    await c.frame('ACK', { id: m1.headers.ack, receipt: 'ack-1' });
    await c.expectReceipt('ack-1');
    await c.frame('NACK', { id: m2.headers.ack, receipt: 'nack-1' });
    await c.expectReceipt('nack-1');
    c.close();
  });

  // BEGIN, COMMIT and ABORT with receipt.
  test('RECEIPT for BEGIN, COMMIT and ABORT', async () => {
    const c = await connectStomp(ctx.broker.port);
    for (const [cmd, tx, receipt] of [['BEGIN', 't1', 'b-1'], ['COMMIT', 't1', 'c-1'], ['BEGIN', 't2', 'b-2'],
      ['ABORT', 't2', 'a-1']]) {
      await c.frame(cmd, { transaction: tx, receipt });
      await c.expectReceipt(receipt);
    }
    c.close();
  });

  // Receipts come back in the order the frames were sent.
  test('receipts keep frame order', async () => {
    const c = await connectStomp(ctx.broker.port);
    const dest = uniqueDest('queue', 'rorder');
    const frames = [
      encodeFrame('SUBSCRIBE', { destination: dest, id: 'o', receipt: 'r0', ack: 'client' }),
      encodeFrame('BEGIN', { transaction: 'tx', receipt: 'r1' }),
      encodeFrame('SEND', { destination: uniqueDest('queue', 'other'), receipt: 'r2' }, 'a'),
      encodeFrame('SEND', { destination: uniqueDest('queue', 'other'), transaction: 'tx', receipt: 'r3' }, 'b'),
      encodeFrame('ABORT', { transaction: 'tx', receipt: 'r4' }),
      encodeFrame('UNSUBSCRIBE', { id: 'o', receipt: 'r5' }),
    ];
    await c.send(Buffer.concat(frames));
    const got = await c.expectFrames('RECEIPT', 6);
    assert.deepEqual(got.map((r) => r.headers['receipt-id']), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    c.close();
  });

  // A frame that fails does not swallow the RECEIPTs of the frames before it, which took effect: they
  // come first, then its ERROR (RabbitMQ and ActiveMQ answer frames in order too).
  for (const [label, bad] of [
    ['a SEND in an unknown transaction', encodeFrame('SEND', { destination: '/queue/x', transaction: 'nope', receipt: 'bad' }, 'y')],
    ['an ACK of an unknown message', encodeFrame('ACK', { id: '77', receipt: 'bad' })],
    ['a frame the parser refuses', Buffer.from('SEND\ndestination:/queue/x\nreceipt:bad\ncontent-length:zz\n\nz\0')],
  ] as const) {
    test(`RECEIPTs of earlier frames come before the ERROR for ${label}`, async () => {
      const c = await connectStomp(ctx.broker.port);
      const dest = uniqueDest('queue', 'rbefore');
      await c.send(Buffer.concat([
        encodeFrame('SEND', { destination: dest, receipt: 'r1' }, 'kept'),
        encodeFrame('SUBSCRIBE', { destination: uniqueDest('queue', 'rsub'), id: 's', receipt: 'r2' }),
        bad,
      ]));
      const got = [await c.readFrame(), await c.readFrame(), await c.readFrame()];
      assert.deepEqual(got.map((f) => `${f.command}:${f.headers['receipt-id']}`), ['RECEIPT:r1', 'RECEIPT:r2', 'ERROR:bad']);
      await c.expectClosed();
      // The SEND the first RECEIPT confirmed is in its queue.
      const consumer = await connectStomp(ctx.broker.port);
      await subscribe(consumer, dest, 'k');
      assert.deepEqual(bodies([await consumer.expectFrame('MESSAGE')]), ['kept']);
      consumer.close();
    });
  }

  // A client that ends its side (TCP half-close) after its last frames still gets their RECEIPTs.
  test('RECEIPTs after the client half-closed: SEND and DISCONNECT answered, then a close', async () => {
    const c = await connectStomp(ctx.broker.port);
    const dest = uniqueDest('queue', 'half');
    await c.send(Buffer.concat([
      encodeFrame('SEND', { destination: dest, receipt: 's1', persistent: 'true' }, 'x'),
      encodeFrame('DISCONNECT', { receipt: 'd1' }),
    ]));
    c.socket.end();
    assert.deepEqual((await c.expectFrames('RECEIPT', 2)).map((f) => f.headers['receipt-id']), ['s1', 'd1']);
    await c.expectClosed();
  });

  // Receipt values are opaque: escaped characters come back as sent (1.2 escaping).
  test('receipt-id with escaped characters round-trips', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('SEND', { destination: uniqueDest('queue', 'resc'), receipt: 'odd\\cid\\\\x' }, 'x');
    await c.expectReceipt('odd:id\\x');
    c.close();
  });

  // DISCONNECT with receipt: the RECEIPT arrives, then the server closes the connection.
  test('RECEIPT for DISCONNECT, then the connection closes', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('DISCONNECT', { receipt: 'bye' });
    await c.expectReceipt('bye');
    await c.expectClosed();
  });

  // The DISCONNECT receipt means every earlier frame took effect: another connection then gets all SENDs.
  test('DISCONNECT receipt arrives after the preceding SENDs took effect', async () => {
    const dest = uniqueDest('queue', 'rdisc');
    const c = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 200 }, (_, i) => `d-${i}`);
    await c.send(Buffer.concat([...sent.map((b) => encodeFrame('SEND', { destination: dest }, b)),
      encodeFrame('DISCONNECT', { receipt: 'flushed' })]));
    await c.expectReceipt('flushed');
    await c.expectClosed();
    // Only now does a consumer appear; everything must already be in the queue.
    const rx = await connectStomp(ctx.broker.port);
    await subscribe(rx, dest, 's');
    assert.deepEqual(bodies(await rx.expectFrames('MESSAGE', 200)), sent);
    rx.close();
  });

  // The same for topics: a subscriber present before the DISCONNECT receipt has all the messages queued.
  test('DISCONNECT receipt follows topic SENDs to a live subscriber', async () => {
    const dest = uniqueDest('topic', 'rdisc');
    const rx = await connectStomp(ctx.broker.port);
    await subscribe(rx, dest, 's');
    const c = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 50 }, (_, i) => `t-${i}`);
    await c.send(Buffer.concat([...sent.map((b) => encodeFrame('SEND', { destination: dest }, b)),
      encodeFrame('DISCONNECT', { receipt: 'tflushed' })]));
    await c.expectReceipt('tflushed');
    await c.expectClosed();
    assert.deepEqual(bodies(await rx.expectFrames('MESSAGE', 50)), sent);
    rx.close();
  });

  // Frames after DISCONNECT are ignored: no further RECEIPT or MESSAGE.
  test('frames after DISCONNECT are not processed', async () => {
    const dest = uniqueDest('queue', 'rafter');
    const c = await connectStomp(ctx.broker.port);
    await c.send(Buffer.concat([
      encodeFrame('DISCONNECT', { receipt: 'last' }),
      encodeFrame('SEND', { destination: dest, receipt: 'too-late' }, 'ignored'),
    ]));
    await c.expectReceipt('last');
    await c.expectClosed();
    assert.equal(c.pending, 0, 'no frame after the DISCONNECT receipt');
    await sendConfirmed(ctx.producer, dest, 'sentinel');
    const rx = await connectStomp(ctx.broker.port);
    await subscribe(rx, dest, 's');
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'sentinel');
    rx.close();
  });

  // DISCONNECT without receipt just closes.
  test('DISCONNECT without receipt closes the connection', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('DISCONNECT', {});
    await c.expectClosed();
  });
});

// A RECEIPT is written before any frame the broker sends because of its request (RabbitMQ and ActiveMQ
// do so, and synchronous clients read the RECEIPT as the next frame). Each case reads the very next frame.
describe('RECEIPT precedes the frames its request causes', () => {
  const ctx = useBroker({ producer: true });

  async function fill(dest: string, n: number): Promise<void> {
    const frames = Array.from({ length: n }, (_, i) => encodeFrame('SEND',
      i === n - 1 ? { destination: dest, receipt: `fill-${dest}` } : { destination: dest }, `m${i}`));
    await ctx.producer.send(Buffer.concat(frames));
    await ctx.producer.expectReceipt(`fill-${dest}`);
  }

  test('SUBSCRIBE to a queue holding 300 messages: RECEIPT first, then the 300 in order', async () => {
    const dest = uniqueDest('queue', 'order-sub');
    await fill(dest, 300);
    const c = await connectStomp(ctx.broker.port);
    await c.frame('SUBSCRIBE', { destination: dest, id: 's', receipt: 'sub-300' });
    const first = await c.readFrame();
    assert.equal(first.command, 'RECEIPT', `first frame was ${first.command}`);
    assert.equal(first.headers['receipt-id'], 'sub-300');
    const messages = await c.expectFrames('MESSAGE', 300);
    assert.deepEqual(bodies(messages), Array.from({ length: 300 }, (_, i) => `m${i}`));
    c.close();
  });

  test('ACK that frees credit: RECEIPT before the next MESSAGE', async () => {
    const dest = uniqueDest('queue', 'order-ack');
    await fill(dest, 5);
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual', 'prefetch-count': 1 });
    for (let i = 0; i < 4; i++) {
      const m = await c.expectFrame('MESSAGE');
      assert.equal(m.body.toString(), `m${i}`);
      await c.frame('ACK', { id: m.headers.ack, receipt: `ack-${i}` });
      const next = await c.readFrame();
      assert.equal(next.command, 'RECEIPT', `after ACK ${i} the first frame was ${next.command}`);
      assert.equal(next.headers['receipt-id'], `ack-${i}`);
    }
    c.close();
  });

  test('NACK that redelivers to the same client: RECEIPT before the MESSAGE', async () => {
    const dest = uniqueDest('queue', 'order-nack');
    await fill(dest, 1);
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual', 'prefetch-count': 1 });
    const m = await c.expectFrame('MESSAGE');
    await c.frame('NACK', { id: m.headers.ack, receipt: 'nack-1' });
    const next = await c.readFrame();
    assert.equal(next.command, 'RECEIPT', `after NACK the first frame was ${next.command}`);
    const again = await c.expectFrame('MESSAGE');
    assert.equal(again.body.toString(), 'm0');
    assert.equal(again.headers.redelivered, 'true');
    c.close();
  });

  test('UNSUBSCRIBE that hands unacked messages to a second subscription: RECEIPT first', async () => {
    const dest = uniqueDest('queue', 'order-unsub');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 'a', { ack: 'client-individual', 'prefetch-count': 3 });
    await fill(dest, 3);
    await c.expectFrames('MESSAGE', 3);
    await subscribe(c, dest, 'b', { ack: 'client-individual', 'prefetch-count': 3 });
    await c.frame('UNSUBSCRIBE', { id: 'a', receipt: 'unsub-a' });
    const next = await c.readFrame();
    assert.equal(next.command, 'RECEIPT', `after UNSUBSCRIBE the first frame was ${next.command}`);
    const back = await c.expectFrames('MESSAGE', 3);
    assert.ok(back.every((m) => m.headers.subscription === 'b' && m.headers.redelivered === 'true'));
    c.close();
  });

  test('SEND to a queue the same connection consumes: RECEIPT before the MESSAGE', async () => {
    const dest = uniqueDest('queue', 'order-send');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's');
    for (let i = 0; i < 20; i++) {
      await c.frame('SEND', { destination: dest, receipt: `self-${i}` }, `x${i}`);
      const next = await c.readFrame();
      assert.equal(next.command, 'RECEIPT', `after SEND ${i} the first frame was ${next.command}`);
      assert.equal((await c.expectFrame('MESSAGE')).body.toString(), `x${i}`);
    }
    c.close();
  });
});
