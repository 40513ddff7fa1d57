/**
 * ACK / NACK handlers: which deliveries a frame settles (client is cumulative, client-individual is not),
 * the ack id by version (1.2 `id`, 1.0/1.1 `message-id`), topic messages settled locally, transactions,
 * and the errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AckMsg, NackMsg, SyncMsg } from '../../src/ipc/contract.js';
import { handleAck, handleNack } from '../../src/session/handlers/ack.js';
import {
  addSubscription, deliver, type FakeContext, fakeContext, frame, receiptOf, throwsStomp,
} from './fake-context.js';

const KEEP = { requeue: true, retryAfterMs: -1, reason: '' };

/** A 1.2 session with a subscription in `ack` mode and `n` queue messages delivered (ids 101, 102, ...). */
function withDeliveries(ack: 'client' | 'client-individual', n: number, version: '1.0' | '1.1' | '1.2' = '1.2') {
  const ctx = fakeContext({ connected: version });
  const sub = addSubscription(ctx, 's', '/queue/a', { ack });
  const deliveries = Array.from({ length: n }, (_, i) => deliver(ctx, sub, 101 + i));
  return { ctx, sub, deliveries };
}

/** The ack ids still awaiting ACK/NACK in the session. */
function pending(ctx: FakeContext): string[] {
  return [...ctx.state.unacked.values()].map((d) => d.ackId);
}

describe('ACK', () => {
  // client-individual: only the message named is settled.
  test('client-individual settles only the message named', () => {
    const { ctx, sub, deliveries: [d1, d2, d3] } = withDeliveries('client-individual', 3);
    handleAck(frame('ACK', { id: d2.ackId }), ctx);
    assert.deepEqual(ctx.messages, [{ t: 'ack', ids: [102], rid: 0 }]);
    assert.deepEqual(pending(ctx), [d1.ackId, d3.ackId]);
    assert.deepEqual([...sub.unacked.keys()], [d1.ackId, d3.ackId]);
  });

  // client: cumulative, every earlier unacknowledged message of the subscription too.
  test('client settles the message named and every earlier one of its subscription', () => {
    const { ctx, deliveries: [, , d3, d4] } = withDeliveries('client', 4);
    handleAck(frame('ACK', { id: d3.ackId }), ctx);
    assert.deepEqual(ctx.messages, [{ t: 'ack', ids: [101, 102, 103], rid: 0 }]);
    assert.deepEqual(pending(ctx), [d4.ackId]);
  });

  // Cumulative within one subscription only: another subscription's messages stay.
  test('client: another subscription\'s deliveries are not settled', () => {
    const ctx = fakeContext();
    const a = addSubscription(ctx, 'a', '/queue/a', { ack: 'client' });
    const b = addSubscription(ctx, 'b', '/queue/b', { ack: 'client' });
    deliver(ctx, a, 1);
    const b1 = deliver(ctx, b, 2);
    const a2 = deliver(ctx, a, 3);
    handleAck(frame('ACK', { id: a2.ackId }), ctx);
    assert.deepEqual((ctx.messages[0] as AckMsg).ids, [1, 3]);
    assert.deepEqual(pending(ctx), [b1.ackId]);
    assert.equal(a.unacked.size, 0);
  });

  test('a receipt → the ack carries its request id', () => {
    const { ctx, deliveries: [d1] } = withDeliveries('client-individual', 1);
    handleAck(frame('ACK', { id: d1.ackId, receipt: 'ack-1' }), ctx);
    assert.equal(receiptOf(ctx, (ctx.messages[0] as AckMsg).rid), 'ack-1');
  });

  // Topic messages are settled in the session only: the hub holds nothing for them.
  test('a topic message is settled locally: no ack to the hub, a receipt is a sync', () => {
    const ctx = fakeContext();
    const sub = addSubscription(ctx, 't', '/topic/a', { ack: 'client-individual' });
    const d = deliver(ctx, sub, 7, false);
    handleAck(frame('ACK', { id: d.ackId, receipt: 'r' }), ctx);
    assert.equal(ctx.messages.length, 1);
    const sync = ctx.messages[0] as SyncMsg;
    assert.equal(sync.t, 'sync');
    assert.equal(receiptOf(ctx, sync.rid), 'r');
    assert.deepEqual(pending(ctx), []);
  });

  test('a topic message without receipt: nothing at all reaches the hub', () => {
    const ctx = fakeContext();
    const sub = addSubscription(ctx, 't', '/topic/a', { ack: 'client' });
    handleAck(frame('ACK', { id: deliver(ctx, sub, 7, false).ackId }), ctx);
    assert.deepEqual(ctx.messages, []);
    assert.deepEqual(pending(ctx), []);
  });

  // Only queue messages are named to the hub when a cumulative ACK spans both kinds (a durable topic
  // subscription is fed from its queue, so both can meet in one subscription's order).
  test('client: a cumulative ACK names the hub only the queue messages', () => {
    const ctx = fakeContext();
    const sub = addSubscription(ctx, 's', '/topic/a', { ack: 'client' });
    deliver(ctx, sub, 1, true);
    deliver(ctx, sub, 2, false);
    const last = deliver(ctx, sub, 3, true);
    handleAck(frame('ACK', { id: last.ackId }), ctx);
    assert.deepEqual(ctx.messages, [{ t: 'ack', ids: [1, 3], rid: 0 }]);
  });
});

describe('ACK: the id by version', () => {
  // 1.2 names the MESSAGE's `ack` header in `id`; `message-id` means nothing there.
  test('1.2: `id` names the delivery; message-id alone → MISSING_HEADER for id', () => {
    const { ctx, deliveries: [d] } = withDeliveries('client-individual', 1, '1.2');
    throwsStomp(() => handleAck(frame('ACK', { 'message-id': '101' }), ctx), 'MISSING_HEADER', 'Missing header',
      /^ACK frame requires the 'id' header\.$/);
    handleAck(frame('ACK', { id: d.ackId }), ctx);
    assert.deepEqual((ctx.messages[0] as AckMsg).ids, [101]);
  });

  // 1.0 and 1.1 name the message-id (with `subscription` in 1.1, which the session does not need).
  for (const version of ['1.0', '1.1'] as const) {
    test(`${version}: \`message-id\` names the delivery; id alone → MISSING_HEADER for message-id`, () => {
      const { ctx } = withDeliveries('client-individual', 2, version);
      throwsStomp(() => handleAck(frame('ACK', { id: '101' }), ctx), 'MISSING_HEADER', 'Missing header',
        /^ACK frame requires the 'message-id' header\.$/);
      handleAck(frame('ACK', { 'message-id': '102', subscription: 's' }), ctx);
      assert.deepEqual(ctx.messages, [{ t: 'ack', ids: [102], rid: 0 }]);
      assert.deepEqual(pending(ctx), ['101']);
    });
  }

  test('an empty id → MISSING_HEADER', () => {
    const { ctx } = withDeliveries('client-individual', 1);
    throwsStomp(() => handleAck(frame('ACK', { id: '' }), ctx), 'MISSING_HEADER', 'Missing header');
  });
});

describe('ACK: errors', () => {
  test('an id not awaiting acknowledgement → UNKNOWN_MESSAGE', () => {
    const { ctx } = withDeliveries('client-individual', 1);
    throwsStomp(() => handleAck(frame('ACK', { id: 'nope' }), ctx), 'UNKNOWN_MESSAGE', 'Unknown message',
      /^ACK names 'nope', which is not a message awaiting acknowledgement on this connection\. A STOMP 1\.2 ACK or NACK names the MESSAGE's ack header in its id header, not its message-id\.$/);
    assert.deepEqual(ctx.messages, []);
  });

  test('the same message acked twice → UNKNOWN_MESSAGE the second time', () => {
    const { ctx, deliveries: [d] } = withDeliveries('client-individual', 1);
    handleAck(frame('ACK', { id: d.ackId }), ctx);
    throwsStomp(() => handleAck(frame('ACK', { id: d.ackId }), ctx), 'UNKNOWN_MESSAGE', 'Unknown message');
    assert.equal(ctx.messages.length, 1);
  });

  // A message whose ack timeout passed went back to its queue: a late ACK says so.
  test('an id revoked by its ack timeout → ACK_TIMEOUT', () => {
    const { ctx, deliveries: [d] } = withDeliveries('client-individual', 1);
    ctx.state.untrack([d]);
    ctx.state.revoke(d.ackId);
    throwsStomp(() => handleAck(frame('ACK', { id: d.ackId }), ctx), 'ACK_TIMEOUT', 'Ack timeout expired',
      new RegExp(`^ACK names '${d.ackId}', which went back to its queue when its ack timeout passed\\.$`));
    assert.deepEqual(ctx.messages, []);
  });

  // An UNSUBSCRIBE gives the subscription's messages back: they cannot be acked any more.
  test('after its subscription ended → UNKNOWN_MESSAGE', () => {
    const { ctx, sub, deliveries: [d] } = withDeliveries('client', 1);
    ctx.state.closeSubscription(sub);
    ctx.state.untrack([...sub.unacked.values()]);
    throwsStomp(() => handleAck(frame('ACK', { id: d.ackId }), ctx), 'UNKNOWN_MESSAGE', 'Unknown message');
  });
});

describe('NACK', () => {
  test('client-individual: refuses the message named, with the default options', () => {
    const { ctx, deliveries: [d1, d2] } = withDeliveries('client-individual', 2);
    handleNack(frame('NACK', { id: d1.ackId }), ctx);
    assert.deepEqual(ctx.messages, [{ t: 'nack', ids: [101], options: KEEP, rid: 0 }]);
    assert.deepEqual(pending(ctx), [d2.ackId]);
  });

  test('client: cumulative like ACK', () => {
    const { ctx, deliveries: [, d2] } = withDeliveries('client', 2);
    handleNack(frame('NACK', { id: d2.ackId }), ctx);
    assert.deepEqual((ctx.messages[0] as NackMsg).ids, [101, 102]);
    assert.deepEqual(pending(ctx), []);
  });

  // requeue:false dead-letters, retry-after is the worker's "retry in", message the reason kept.
  test('requeue, retry-after and message become the options', () => {
    const { ctx, deliveries: [d1, d2] } = withDeliveries('client-individual', 2);
    handleNack(frame('NACK', { id: d1.ackId, requeue: 'false', message: 'perm-fail' }), ctx);
    handleNack(frame('NACK', { id: d2.ackId, 'retry-after': '3000', receipt: 'n' }), ctx);
    assert.deepEqual((ctx.messages[0] as NackMsg).options, { requeue: false, retryAfterMs: -1, reason: 'perm-fail' });
    const second = ctx.messages[1] as NackMsg;
    assert.deepEqual(second.options, { requeue: true, retryAfterMs: 3000, reason: '' });
    assert.equal(receiptOf(ctx, second.rid), 'n');
  });

  test('1.1: by message-id', () => {
    const { ctx } = withDeliveries('client-individual', 1, '1.1');
    handleNack(frame('NACK', { 'message-id': '101', subscription: 's' }), ctx);
    assert.deepEqual((ctx.messages[0] as NackMsg).ids, [101]);
  });

  // The options are checked first: a bad one is an error even for a message that is not awaited.
  test('requeue:no or a bad retry-after → BAD_HEADER, nothing settled', () => {
    const { ctx, deliveries: [d] } = withDeliveries('client-individual', 1);
    throwsStomp(() => handleNack(frame('NACK', { id: d.ackId, requeue: 'no' }), ctx), 'BAD_HEADER', 'Invalid header',
      /'requeue' must be true or false, got 'no'/);
    throwsStomp(() => handleNack(frame('NACK', { id: 'unknown', 'retry-after': 'later' }), ctx), 'BAD_HEADER',
      'Invalid header', /'retry-after' must be a non-negative integer/);
    assert.deepEqual(pending(ctx), [d.ackId]);
    assert.deepEqual(ctx.messages, []);
  });

  test('an unknown id → UNKNOWN_MESSAGE naming NACK', () => {
    const { ctx } = withDeliveries('client-individual', 1);
    throwsStomp(() => handleNack(frame('NACK', { id: 'x' }), ctx), 'UNKNOWN_MESSAGE', 'Unknown message',
      /^NACK names 'x'/);
  });

  test('a revoked id → ACK_TIMEOUT naming NACK', () => {
    const { ctx, deliveries: [d] } = withDeliveries('client-individual', 1);
    ctx.state.untrack([d]);
    ctx.state.revoke(d.ackId);
    throwsStomp(() => handleNack(frame('NACK', { id: d.ackId }), ctx), 'ACK_TIMEOUT', 'Ack timeout expired',
      /^NACK names/);
  });
});

describe('ACK / NACK in a transaction', () => {
  function inTransaction(ack: 'client' | 'client-individual', n: number) {
    const setup = withDeliveries(ack, n);
    setup.ctx.state.transactions.set('t', { ops: [], settles: [], bytes: 0 });
    return { ...setup, tx: setup.ctx.state.transactions.get('t')! };
  }

  // The settlement waits for COMMIT: the deliveries stay awaited until then (an ABORT leaves them so).
  test('ACK is held in the transaction; the deliveries stay tracked until COMMIT', () => {
    const { ctx, tx, deliveries: [d1, d2] } = inTransaction('client', 3);
    handleAck(frame('ACK', { id: d2.ackId, transaction: 't' }), ctx);
    assert.deepEqual(ctx.messages, []);
    assert.deepEqual(tx.ops, [{ t: 'ack', ids: [101, 102] }]);
    assert.deepEqual(tx.settles, [d1, d2]);
    assert.equal(tx.bytes, 0);
    assert.equal(pending(ctx).length, 3);
  });

  test('NACK is held with its options; a receipt is answered by a sync', () => {
    const { ctx, tx, deliveries: [d1] } = inTransaction('client-individual', 1);
    handleNack(frame('NACK', { id: d1.ackId, transaction: 't', requeue: 'false', receipt: 'r' }), ctx);
    assert.deepEqual(tx.ops, [{ t: 'nack', ids: [101], options: { requeue: false, retryAfterMs: -1, reason: '' } }]);
    assert.equal(ctx.messages.length, 1);
    assert.equal(ctx.messages[0].t, 'sync');
    assert.equal(receiptOf(ctx, (ctx.messages[0] as SyncMsg).rid), 'r');
  });

  test('an unknown transaction → UNKNOWN_TRANSACTION', () => {
    const { ctx, deliveries: [d] } = withDeliveries('client-individual', 1);
    throwsStomp(() => handleAck(frame('ACK', { id: d.ackId, transaction: 'nope' }), ctx),
      'UNKNOWN_TRANSACTION', 'Unknown transaction', /^ACK names transaction 'nope', which is not open\.$/);
    assert.deepEqual(pending(ctx), [d.ackId]);
  });

  // ACKs count against maxTransactionFrames like SENDs.
  test('past maxTransactionFrames → RESOURCE_LIMIT "Transaction too large"', () => {
    const ctx = fakeContext({ config: { maxTransactionFrames: 2 } });
    const sub = addSubscription(ctx, 's', '/queue/a');
    const ds = [1, 2, 3].map((id) => deliver(ctx, sub, id));
    ctx.state.transactions.set('t', { ops: [], settles: [], bytes: 0 });
    handleAck(frame('ACK', { id: ds[0].ackId, transaction: 't' }), ctx);
    handleNack(frame('NACK', { id: ds[1].ackId, transaction: 't' }), ctx);
    throwsStomp(() => handleAck(frame('ACK', { id: ds[2].ackId, transaction: 't' }), ctx),
      'RESOURCE_LIMIT', 'Transaction too large', /at most 2 frames/);
    assert.equal(ctx.state.transactions.get('t')!.ops.length, 2);
  });
});

describe('ACK: overlapping subscriptions in 1.0/1.1', () => {
  // Two topic subscriptions of one connection (`/topic/x.a` and `/topic/x.*`) both get message 7, with
  // the same message-id: 1.1's `subscription` header says which one an ACK settles, and 1.0 (which has
  // none) settles the first; neither ACK of the pair is refused.
  for (const version of ['1.0', '1.1'] as const) {
    test(`${version}: both deliveries of one message can be acked`, () => {
      const ctx = fakeContext({ connected: version });
      const s1 = addSubscription(ctx, 's1', '/topic/x.a', { ack: 'client' });
      const s2 = addSubscription(ctx, 's2', '/topic/x.*', { ack: 'client' });
      deliver(ctx, s1, 7, false);
      deliver(ctx, s2, 7, false);
      assert.equal(ctx.state.unacked.size, 2);
      const first: Record<string, string> = version === '1.1' ? { subscription: 's2' } : {};
      handleAck(frame('ACK', { 'message-id': '7', ...first }), ctx);
      assert.equal((version === '1.1' ? s2 : s1).unacked.size, 0);
      const second: Record<string, string> = version === '1.1' ? { subscription: 's1' } : {};
      handleAck(frame('ACK', { 'message-id': '7', ...second }), ctx);
      assert.equal(ctx.state.unacked.size, 0);
      assert.equal(s1.unacked.size + s2.unacked.size, 0);
    });
  }
});
