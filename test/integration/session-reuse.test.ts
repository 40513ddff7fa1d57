/**
 * Session reuse (Apache prefork style): a session whose client ended cleanly serves the next client,
 * and nothing of the first client is visible to the second; one that sent an ERROR or whose client left
 * something unsettled never serves again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Broker, brokerStatus, connectStomp, encodeFrame, eventually, isAlive, type RawClient, receiptId,
  sendConfirmed, sessionPidOf, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';

/** Waits until the session `pid` is idle in the pool and no other session is starting (so it is next). */
async function waitUntilIdleAndNext(broker: Broker, pid: number): Promise<void> {
  await eventually(async () => {
    const { sessions } = await brokerStatus(broker);
    return sessions.some((s) => s.pid === pid && s.state === 'idle') && sessions.every((s) => s.state !== 'starting');
  });
}

/**
 * Connects until a client is served by session `pid`; clients that land on other idle sessions stay
 * connected meanwhile (so the next handoff goes elsewhere), then leave.
 */
async function connectTo(broker: Broker, pid: number): Promise<RawClient> {
  const others: RawClient[] = [];
  try {
    for (let i = 0; i < 16; i++) {
      const c = await connectStomp(broker.port);
      if (sessionPidOf(c) === pid) return c;
      others.push(c);
    }
    throw new Error(`session ${pid} was never handed a client`);
  } finally {
    for (const o of others) o.close();
  }
}

describe('session reuse', () => {
  const ctx = useBroker({ args: ['--prefork', '1'], producer: true });

  // A reset session shows the next client nothing of the last one: subscriptions, transactions, unacked
  // messages, heart-beat timers, a half-read frame and pending receipts are all gone.
  test('after DISCONNECT the session serves the next client, which sees nothing of the first', async () => {
    const queue = uniqueDest('queue', 'reuse');
    const a = await connectStomp(ctx.broker.port, { login: 'alice', 'heart-beat': '100,100', 'client-id': 'a' });
    const pid = sessionPidOf(a);
    await subscribe(a, queue, 's', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, queue, 'held-by-a');
    const held = await a.expectFrame('MESSAGE');
    await a.frame('BEGIN', { transaction: 't1' });
    await a.frame('SEND', { destination: queue, transaction: 't1' }, 'never-committed');
    // DISCONNECT, then the start of a frame that never ends: neither may reach the next client.
    const bye = receiptId('bye');
    await a.send(Buffer.concat([encodeFrame('DISCONNECT', { receipt: bye }),
      Buffer.from('SEND\ndestination:/queue/garbage\n\npartial')]));
    await a.expectReceipt(bye);
    await a.expectClosed();
    await waitUntilIdleAndNext(ctx.broker, pid);

    const b = await connectTo(ctx.broker, pid);
    assert.notEqual(b.connected?.headers.session, a.connected?.headers.session, 'a new session id');
    // The same subscription id and transaction name are free again.
    await subscribe(b, queue, 's', { ack: 'client-individual' });
    const begin = receiptId('begin');
    await b.frame('BEGIN', { transaction: 't1', receipt: begin });
    await b.expectReceipt(begin);
    // A's unacknowledged message comes back (to B, flagged); A's uncommitted SEND never appears.
    const back = await b.expectFrame('MESSAGE');
    assert.equal(back.body.toString(), 'held-by-a');
    assert.equal(back.headers.redelivered, 'true');
    await sendConfirmed(ctx.producer, queue, 'after');
    const after = await b.expectFrame('MESSAGE');
    assert.equal(after.body.toString(), 'after');
    for (const m of [back, after]) {
      const r = receiptId('ack');
      await b.frame('ACK', { id: m.headers.ack, receipt: r });
      await b.expectReceipt(r);
    }
    // B negotiated no heart-beats and received none of A's; nothing else of A's arrives.
    assert.equal(b.heartbeats, 0, 'no heart-beat of the previous client');
    await b.expectNoFrame();
    assert.notEqual(held.headers['message-id'], after.headers['message-id']);
    await b.disconnect();
  });

  // An abrupt close with nothing in flight is a clean end too.
  test('a client that closes with nothing unsettled frees its session for the next', async () => {
    const a = await connectStomp(ctx.broker.port);
    const pid = sessionPidOf(a);
    a.close();
    await waitUntilIdleAndNext(ctx.broker, pid);
    const b = await connectTo(ctx.broker, pid);
    await b.disconnect();
  });

  // A session that sent an ERROR is never reused: its process exits.
  test('a session that sent an ERROR exits', async () => {
    const a = await connectStomp(ctx.broker.port);
    const pid = sessionPidOf(a);
    await a.frame('ACK', { id: 'nothing' });
    await a.expectErrorAndClose();
    await eventually(() => !isAlive(pid));
  });

  // A client that leaves unacknowledged messages without DISCONNECT leaves its session unsettled: it exits.
  test('a session whose client vanished holding unacked messages exits', async () => {
    const queue = uniqueDest('queue', 'unsettled');
    const a = await connectStomp(ctx.broker.port);
    const pid = sessionPidOf(a);
    await subscribe(a, queue, 's', { ack: 'client' });
    await sendConfirmed(ctx.producer, queue, 'x');
    await a.expectFrame('MESSAGE');
    a.close();
    await eventually(() => !isAlive(pid));
  });
});

describe('session reuse: limits', () => {
  const ctx = useBroker({ args: ['--prefork', '1', '--session-reuse', '2'] });

  // --session-reuse 2: a process serves two clients, then a fresh one takes over.
  test('a session serves at most --session-reuse clients', async () => {
    const a = await connectStomp(ctx.broker.port);
    const pid = sessionPidOf(a);
    await a.disconnect();
    await waitUntilIdleAndNext(ctx.broker, pid);
    const b = await connectTo(ctx.broker, pid);
    await b.disconnect();
    await eventually(() => !isAlive(pid));
  });
});

describe('session reuse: off', () => {
  const ctx = useBroker({ args: ['--prefork', '1', '--session-reuse', '0'] });

  // --session-reuse 0: every client gets a fresh process.
  test('with --session-reuse 0 every session exits after its client', async () => {
    const a = await connectStomp(ctx.broker.port);
    const pid = sessionPidOf(a);
    await a.disconnect();
    await eventually(() => !isAlive(pid));
  });
});
