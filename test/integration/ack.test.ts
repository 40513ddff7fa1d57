/** Acknowledgement: ack modes, NACK, UNSUBSCRIBE/disconnect returning unacked messages, prefetch, 1.0/1.1 ACK. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodies, closeAndWaitForSession, connectStomp, type RawClient, type ReceivedFrame, sendConfirmed, sendMany,
  subscribe, uniqueDest, useBroker, waitForAny,
} from '../helpers/broker.js';

describe('ack', () => {
  const ctx = useBroker({ producer: true });

  /** ACK (or NACK) `msg` the way its connection's version names it, with a receipt that is awaited. */
  async function settle(client: RawClient, msg: ReceivedFrame, command: 'ACK' | 'NACK' = 'ACK',
    extra: Record<string, string> = {}): Promise<void> {
    const receipt = `settle-${msg.headers['message-id']}-${command}`;
    const headers: Record<string, string> = client.version === '1.2'
      ? { id: msg.headers.ack }
      : { 'message-id': msg.headers['message-id'], subscription: msg.headers.subscription };
    await client.frame(command, { ...headers, ...extra, receipt });
    await client.expectReceipt(receipt);
  }

  /** A new consumer's messages: `expected` bodies first, then the sentinel (nothing else came back). */
  async function expectRedelivered(dest: string, expected: string[]): Promise<ReceivedFrame[]> {
    await sendConfirmed(ctx.producer, dest, 'sentinel');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 'after', { ack: 'client-individual' });
    const got = await c.expectFrames('MESSAGE', expected.length + 1);
    assert.deepEqual(bodies(got), [...expected, 'sentinel']);
    for (const m of got.slice(0, -1)) assert.equal(m.headers.redelivered, 'true', `${m.body} flagged redelivered`);
    assert.notEqual(got.at(-1)!.headers.redelivered, 'true', 'the sentinel is a first delivery');
    c.close();
    return got;
  }

  // ack:auto: a message counts as acknowledged once sent; a disconnect returns nothing.
  test('ack:auto: delivered messages do not come back after a disconnect', async () => {
    const dest = uniqueDest('queue', 'auto');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'auto' });
    await sendMany(ctx.producer, dest, ['a1', 'a2', 'a3']);
    const got = await c.expectFrames('MESSAGE', 3);
    assert.deepEqual(bodies(got), ['a1', 'a2', 'a3']);
    for (const m of got) assert.equal(m.headers.redelivered, undefined);
    await closeAndWaitForSession(c, ctx.broker);
    await expectRedelivered(dest, []);
  });

  // ack:client is cumulative: ACK of the 3rd acknowledges 1–3; a disconnect returns only 4..n, redelivered.
  test('ack:client: cumulative ACK, disconnect returns the rest flagged redelivered', async () => {
    const dest = uniqueDest('queue', 'client');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client' });
    await sendMany(ctx.producer, dest, ['c1', 'c2', 'c3', 'c4', 'c5']);
    const got = await c.expectFrames('MESSAGE', 5);
    await settle(c, got[2]);
    await c.disconnect();
    await expectRedelivered(dest, ['c4', 'c5']);
  });

  // ack:client-individual: ACK settles only the message named; a disconnect returns the others.
  test('ack:client-individual: ACK is not cumulative', async () => {
    const dest = uniqueDest('queue', 'individual');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual' });
    await sendMany(ctx.producer, dest, ['i1', 'i2', 'i3', 'i4']);
    const got = await c.expectFrames('MESSAGE', 4);
    await settle(c, got[1]);
    await settle(c, got[3]);
    await c.disconnect();
    await expectRedelivered(dest, ['i1', 'i3']);
  });

  // A connection that drops without DISCONNECT returns every unacknowledged message.
  test('abrupt close returns every unacked message', async () => {
    const dest = uniqueDest('queue', 'abrupt');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client' });
    await sendMany(ctx.producer, dest, ['x1', 'x2']);
    await c.expectFrames('MESSAGE', 2);
    await closeAndWaitForSession(c, ctx.broker);
    await expectRedelivered(dest, ['x1', 'x2']);
  });

  // NACK returns the message; it is redelivered, flagged, to the other consumer.
  test('NACK: the message goes to another consumer with redelivered:true', async () => {
    const dest = uniqueDest('queue', 'nack');
    const a = await connectStomp(ctx.broker.port);
    const b = await connectStomp(ctx.broker.port);
    await subscribe(a, dest, 'a', { ack: 'client-individual' });
    await subscribe(b, dest, 'b', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, dest, 'refused');
    const clients = [a, b];
    const first = await waitForAny(clients);
    const holder = clients[first];
    const other = clients[1 - first];
    const msg = await holder.expectFrame('MESSAGE');
    assert.equal(msg.headers.redelivered, undefined);
    await settle(holder, msg, 'NACK');
    const again = await other.expectFrame('MESSAGE');
    assert.equal(again.body.toString(), 'refused');
    assert.equal(again.headers.redelivered, 'true');
    assert.equal(again.headers['message-id'], msg.headers['message-id']);
    assert.equal(holder.pending, 0, 'the NACKing consumer did not get it again');
    a.close();
    b.close();
  });

  // NACK returns the message to its queue: a lone consumer gets it again, flagged redelivered.
  test('NACK with a single consumer: the message comes back to it, redelivered', async () => {
    const dest = uniqueDest('queue', 'nack-self');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, dest, 'again');
    const msg = await c.expectFrame('MESSAGE');
    await settle(c, msg, 'NACK');
    const again = await c.expectFrame('MESSAGE');
    assert.equal(again.body.toString(), 'again');
    assert.equal(again.headers.redelivered, 'true');
    await settle(c, again);
    c.close();
  });

  // UNSUBSCRIBE returns the subscription's unacknowledged messages to the queue.
  test('UNSUBSCRIBE returns unacked messages', async () => {
    const dest = uniqueDest('queue', 'unsub');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client' });
    await sendMany(ctx.producer, dest, ['u1', 'u2']);
    await c.expectFrames('MESSAGE', 2);
    await c.frame('UNSUBSCRIBE', { id: 's', receipt: 'unsub' });
    await c.expectReceipt('unsub');
    // The connection stays open: the messages came back because of UNSUBSCRIBE, not a disconnect.
    await expectRedelivered(dest, ['u1', 'u2']);
    assert.equal(c.isClosed, false);
    c.close();
  });

  // An ACK naming a message the connection does not hold is an error ("ACK").
  test('ACK of an unknown id gets ERROR and a close', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('ACK', { id: 'no-such-ack-id' });
    await c.expectErrorAndClose();
  });

  // An ACK for a message held by another connection is unknown on this one.
  test("ACK of another connection's message gets ERROR", async () => {
    const dest = uniqueDest('queue', 'foreign');
    const holder = await connectStomp(ctx.broker.port);
    await subscribe(holder, dest, 's', { ack: 'client' });
    await sendConfirmed(ctx.producer, dest, 'theirs');
    const msg = await holder.expectFrame('MESSAGE');
    const thief = await connectStomp(ctx.broker.port);
    await thief.frame('ACK', { id: msg.headers.ack });
    await thief.expectErrorAndClose();
    // The holder still owns it.
    await settle(holder, msg);
    holder.close();
  });

  // 1.2: the id names the MESSAGE's ack header. A client that names the message-id instead gets an
  // ERROR and settles nothing, on a fresh broker too, where both would otherwise be small counters
  // and the ACK could settle another delivery whose tag happened to be that number.
  test('1.2 ACK naming a message-id instead of its ack gets ERROR; nothing is settled', async () => {
    const dest = uniqueDest('queue', 'by-message-id');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, dest, 'a');
    await sendConfirmed(ctx.producer, dest, 'b');
    const [a, b] = await c.expectFrames('MESSAGE', 2);
    // message-ids are decimal numbers; ack values never are, so neither can be taken for the other.
    for (const m of [a, b]) {
      assert.match(m.headers['message-id'], /^\d+$/);
      assert.doesNotMatch(m.headers.ack, /^\d+$/);
    }
    await c.frame('ACK', { id: b.headers['message-id'] });
    const error = await c.expectErrorAndClose();
    assert.equal(error.headers.message, 'Unknown message');
    await closeAndWaitForSession(c, ctx.broker); // the hub has taken both back
    await expectRedelivered(dest, ['a', 'b']);
  });

  // A message may be acknowledged only once: the second ACK names nothing pending.
  test('a second ACK of the same message gets ERROR', async () => {
    const dest = uniqueDest('queue', 'twice');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, dest, 'once');
    const msg = await c.expectFrame('MESSAGE');
    await settle(c, msg);
    await c.frame('ACK', { id: msg.headers.ack });
    await c.expectErrorAndClose();
  });

  // prefetch-count:1: a second message is not delivered until the first is acknowledged.
  test('prefetch-count:1 holds the second message until the first is acked', async () => {
    const dest = uniqueDest('queue', 'prefetch');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual', 'prefetch-count': 1 });
    await sendMany(ctx.producer, dest, ['p1', 'p2', 'p3']);
    const m1 = await c.expectFrame('MESSAGE');
    assert.equal(m1.body.toString(), 'p1');
    await c.expectNoFrame(300);
    await settle(c, m1);
    const m2 = await c.expectFrame('MESSAGE');
    assert.equal(m2.body.toString(), 'p2');
    await c.expectNoFrame(300);
    await settle(c, m2);
    assert.equal((await c.expectFrame('MESSAGE')).body.toString(), 'p3');
    c.close();
  });

  // While one consumer's credit is used up, another consumer gets the waiting messages.
  test('prefetch-count:1: the next message goes to a consumer with credit', async () => {
    const dest = uniqueDest('queue', 'credit');
    const a = await connectStomp(ctx.broker.port);
    await subscribe(a, dest, 'a', { ack: 'client', 'prefetch-count': 1 });
    await sendMany(ctx.producer, dest, ['q1', 'q2']);
    assert.equal((await a.expectFrame('MESSAGE')).body.toString(), 'q1');
    const b = await connectStomp(ctx.broker.port);
    await subscribe(b, dest, 'b', { ack: 'client', 'prefetch-count': 1 });
    assert.equal((await b.expectFrame('MESSAGE')).body.toString(), 'q2');
    a.close();
    b.close();
  });

  // STOMP 1.1: ACK names the message by message-id and subscription.
  test('1.1 ACK by message-id + subscription', async () => {
    const dest = uniqueDest('queue', 'v11');
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.1' });
    await subscribe(c, dest, 'sub11', { ack: 'client-individual' });
    await sendMany(ctx.producer, dest, ['v1', 'v2']);
    const got = await c.expectFrames('MESSAGE', 2);
    await settle(c, got[0]);
    await c.disconnect();
    await expectRedelivered(dest, ['v2']);
  });

  // STOMP 1.1: NACK by message-id + subscription.
  test('1.1 NACK by message-id + subscription', async () => {
    const dest = uniqueDest('queue', 'v11n');
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.1' });
    await subscribe(c, dest, 'sub11', { ack: 'client' });
    await sendConfirmed(ctx.producer, dest, 'n11');
    const msg = await c.expectFrame('MESSAGE');
    await settle(c, msg, 'NACK');
    const again = await c.expectFrame('MESSAGE');
    assert.equal(again.body.toString(), 'n11');
    assert.equal(again.headers.redelivered, 'true');
    c.close();
  });

  // STOMP 1.0: ACK names the message by message-id only (client mode is cumulative here too).
  test('1.0 ACK by message-id', async () => {
    const dest = uniqueDest('queue', 'v10');
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.0' });
    await subscribe(c, dest, 'sub10', { ack: 'client' });
    await sendMany(ctx.producer, dest, ['o1', 'o2', 'o3']);
    const got = await c.expectFrames('MESSAGE', 3);
    await c.frame('ACK', { 'message-id': got[1].headers['message-id'], receipt: 'ack10' });
    await c.expectReceipt('ack10');
    await c.disconnect();
    await expectRedelivered(dest, ['o3']);
  });

  // STOMP 1.0: SUBSCRIBE without an id is allowed; ACK by message-id still works.
  test('1.0 SUBSCRIBE without id, ACK by message-id', async () => {
    const dest = uniqueDest('queue', 'v10noid');
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.0' });
    await c.frame('SUBSCRIBE', { destination: dest, ack: 'client', receipt: 'sub' });
    await c.expectReceipt('sub');
    await sendConfirmed(ctx.producer, dest, 'noid');
    const msg = await c.expectFrame('MESSAGE');
    await c.frame('ACK', { 'message-id': msg.headers['message-id'], receipt: 'ack' });
    await c.expectReceipt('ack');
    await c.disconnect();
    await expectRedelivered(dest, []);
  });

  // RabbitMQ and ActiveMQ accept ack:client-individual on STOMP 1.0 connections, and so do we:
  // ACK by message-id settles only the message it names.
  test('1.0 client-individual: ACK settles one message', async () => {
    const dest = uniqueDest('queue', 'v10ind');
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.0' });
    await subscribe(c, dest, 'sub10i', { ack: 'client-individual' });
    await sendMany(ctx.producer, dest, ['i1', 'i2', 'i3']);
    const got = await c.expectFrames('MESSAGE', 3);
    await c.frame('ACK', { 'message-id': got[1].headers['message-id'], receipt: 'ack10i' });
    await c.expectReceipt('ack10i');
    await c.disconnect();
    await expectRedelivered(dest, ['i1', 'i3']);
  });

  // An ERROR's text is true of the input that caused it: the refused value is named, the list is right.
  test('an invalid ack mode is named in the ERROR', async () => {
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.0' });
    await c.frame('SUBSCRIBE', { destination: '/queue/badmode10', ack: 'individual' });
    const err = await c.expectErrorAndClose();
    assert.match(err.body.toString(), /ack must be auto, client or client-individual, got 'individual'/);
  });

  // Two overlapping topic subscriptions of one 1.1 connection get the same message with the same
  // message-id; the `subscription` header tells the two ACKs apart, and both are accepted.
  test('1.1: overlapping subscriptions ACK the same message-id each', async () => {
    const topic = uniqueDest('topic', 'overlap');
    const c = await connectStomp(ctx.broker.port, { 'accept-version': '1.1' });
    await subscribe(c, topic, 's1', { ack: 'client' });
    await subscribe(c, `${topic.split('.')[0]}.#`, 's2', { ack: 'client' });
    await sendConfirmed(ctx.producer, topic, 'both');
    const got = await c.expectFrames('MESSAGE', 2);
    assert.equal(got[0].headers['message-id'], got[1].headers['message-id']);
    for (const m of got) {
      await c.frame('ACK', { 'message-id': m.headers['message-id'], subscription: m.headers.subscription, receipt: `a-${m.headers.subscription}` });
      await c.expectReceipt(`a-${m.headers.subscription}`);
    }
    await c.disconnect();
  });

  // A 1.2 ACK must use the `ack` header's value in `id`; a missing id is an error.
  test('1.2 ACK without id gets ERROR', async () => {
    const dest = uniqueDest('queue', 'noid');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client' });
    await sendConfirmed(ctx.producer, dest, 'x');
    const msg = await c.expectFrame('MESSAGE');
    await c.frame('ACK', { 'message-id': msg.headers['message-id'] });
    await c.expectErrorAndClose();
  });

  // An invalid ack mode on SUBSCRIBE is an error.
  test('SUBSCRIBE with an invalid ack mode gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('SUBSCRIBE', { destination: '/queue/badmode', id: 's', ack: 'sometimes' });
    await c.expectErrorAndClose();
  });

  // A subscription id may be used by only one active subscription of a connection.
  test('duplicate subscription id gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, '/queue/dup-a', 'same');
    await c.frame('SUBSCRIBE', { destination: '/queue/dup-b', id: 'same' });
    await c.expectErrorAndClose();
  });
});

describe('ack: --prefetch 1', () => {
  const ctx = useBroker({ args: ['--prefetch', '1'] });

  // --prefetch sets the credit of client-mode subscriptions that name none.
  test('a client-mode subscription without prefetch-count gets one message at a time', async () => {
    const dest = uniqueDest('queue', 'default-prefetch');
    const producer = await connectStomp(ctx.broker.port);
    await sendMany(producer, dest, ['d1', 'd2']);
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client' });
    const m1 = await c.expectFrame('MESSAGE');
    assert.equal(m1.body.toString(), 'd1');
    await c.expectNoFrame(300);
    await c.frame('ACK', { id: m1.headers.ack, receipt: 'a1' });
    await c.expectReceipt('a1');
    assert.equal((await c.expectFrame('MESSAGE')).body.toString(), 'd2');
    producer.close();
    c.close();
  });

  // An explicit prefetch-count overrides the default.
  test('prefetch-count:2 overrides --prefetch 1', async () => {
    const dest = uniqueDest('queue', 'override-prefetch');
    const producer = await connectStomp(ctx.broker.port);
    await sendMany(producer, dest, ['o1', 'o2', 'o3']);
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack: 'client-individual', 'prefetch-count': 2 });
    assert.deepEqual(bodies(await c.expectFrames('MESSAGE', 2)), ['o1', 'o2']);
    await c.expectNoFrame(300);
    producer.close();
    c.close();
  });

  // Auto-ack subscriptions are not limited by --prefetch.
  test('ack:auto is not limited by --prefetch', async () => {
    const dest = uniqueDest('queue', 'auto-prefetch');
    const producer = await connectStomp(ctx.broker.port);
    await sendMany(producer, dest, ['u1', 'u2', 'u3']);
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's');
    assert.deepEqual(bodies(await c.expectFrames('MESSAGE', 3)), ['u1', 'u2', 'u3']);
    producer.close();
    c.close();
  });
});
