/** DISCONNECT handler: open transactions dropped, every subscription ended, the close with or without a receipt. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncMsg, UnsubscribeMsg } from '../../src/ipc/contract.js';
import { handleDisconnect } from '../../src/session/handlers/disconnect.js';
import { addSubscription, deliver, fakeContext, frame, receiptOf } from './fake-context.js';

describe('DISCONNECT', () => {
  // Without a receipt the connection closes at once (after what is already written).
  test('without a receipt: the connection is closed, nothing awaited', () => {
    const ctx = fakeContext();
    handleDisconnect(frame('DISCONNECT'), ctx);
    assert.deepEqual(ctx.connectionCalls, [{ call: 'close' }]);
    assert.equal(ctx.closeAfterRid, 0);
    assert.deepEqual(ctx.messages, []);
    assert.deepEqual(ctx.sent, []);
  });

  // With a receipt: a sync (answered once everything before it took effect), and the close waits for it.
  test('with a receipt: a sync, and the close waits for its answer', () => {
    const ctx = fakeContext();
    handleDisconnect(frame('DISCONNECT', { receipt: 'bye' }), ctx);
    assert.equal(ctx.messages.length, 1);
    const sync = ctx.messages[0] as SyncMsg;
    assert.equal(sync.t, 'sync');
    assert.equal(receiptOf(ctx, sync.rid), 'bye');
    assert.equal(ctx.closeAfterRid, sync.rid);
    assert.deepEqual(ctx.connectionCalls, [], 'not closed before the RECEIPT');
  });

  // Every subscription ends before the receipt's sync, so the hub has taken back what they held by then.
  // A durable subscription is only detached (forget: false).
  test('every subscription is ended (not forgotten) before the sync', () => {
    const ctx = fakeContext();
    const a = addSubscription(ctx, 'a', '/queue/a', { ack: 'client' });
    const t = addSubscription(ctx, 't', '/topic/t', { ack: 'auto' });
    const d = addSubscription(ctx, 'd', '/topic/d', { ack: 'client-individual', durable: true });
    deliver(ctx, a, 1);
    handleDisconnect(frame('DISCONNECT', { receipt: 'bye' }), ctx);
    const unsubscribes = ctx.messages.slice(0, 3) as UnsubscribeMsg[];
    assert.deepEqual(unsubscribes.map((m) => [m.t, m.sub, m.forget, m.rid]).sort(),
      [a, t, d].map((s) => ['unsubscribe', s.key, false, 0]).sort());
    assert.equal(ctx.messages[3].t, 'sync');
    assert.equal(ctx.messages.length, 4);
    assert.equal(ctx.state.subscriptions.size, 0);
    for (const sub of [a, t, d]) assert.equal(sub.closed, true);
    assert.deepEqual([...ctx.state.topicSubscriptionsFor('/topic/t')], []);
  });

  // Open transactions are aborted: their operations never reach the hub.
  test('open transactions are dropped', () => {
    const ctx = fakeContext();
    ctx.state.transactions.set('t', {
      ops: [{ t: 'ack', ids: [1] }], settles: [], bytes: 0,
    });
    handleDisconnect(frame('DISCONNECT'), ctx);
    assert.equal(ctx.state.transactions.size, 0);
    assert.deepEqual(ctx.messages, []);
  });
});
