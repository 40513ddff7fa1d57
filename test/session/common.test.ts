/** What the handlers share: the transaction a frame names, the per-transaction bounds, local receipts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncMsg, TxOp } from '../../src/ipc/contract.js';
import type { Transaction } from '../../src/session/state.js';
import {
  addToTransaction, openTransaction, receiptOnly, transactionOf,
} from '../../src/session/handlers/common.js';
import { addSubscription, deliver, fakeContext, frame, receiptOf, throwsStomp } from './fake-context.js';

const PROPS = { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 };

function publishOp(bytes: number): TxOp {
  return { t: 'publish', dest: '/queue/a', headers: {}, body: Buffer.alloc(bytes, 0x61), props: PROPS };
}

function emptyTransaction(): Transaction {
  return { ops: [], settles: [], bytes: 0 };
}

describe('transactionOf / openTransaction', () => {
  test('no transaction header → undefined', () => {
    const ctx = fakeContext();
    assert.equal(transactionOf(frame('SEND'), ctx), undefined);
  });

  test('an open transaction is found by name', () => {
    const ctx = fakeContext();
    const tx = emptyTransaction();
    ctx.state.transactions.set('t', tx);
    assert.equal(transactionOf(frame('SEND', { transaction: 't' }), ctx), tx);
    assert.equal(openTransaction('t', frame('COMMIT'), ctx), tx);
  });

  // An empty name is a name like any other: no BEGIN can open it, so it is never open.
  for (const name of ['other', '']) {
    test(`transaction '${name}' not open → UNKNOWN_TRANSACTION naming the command`, () => {
      const ctx = fakeContext();
      ctx.state.transactions.set('t', emptyTransaction());
      throwsStomp(() => transactionOf(frame('NACK', { transaction: name }), ctx), 'UNKNOWN_TRANSACTION',
        'Unknown transaction', new RegExp(`^NACK names transaction '${name}', which is not open\\.$`));
    });
  }
});

describe('addToTransaction: bounds', () => {
  // maxTransactionFrames operations fit; one more is refused and the transaction is left as it was.
  test('maxTransactionFrames: the limit fits, one more → RESOURCE_LIMIT', () => {
    const ctx = fakeContext({ config: { maxTransactionFrames: 3, maxTransactionBytes: 1000 } });
    const tx = emptyTransaction();
    for (let i = 0; i < 3; i++) addToTransaction(tx, { t: 'ack', ids: [i] }, frame('ACK'), ctx);
    throwsStomp(() => addToTransaction(tx, publishOp(1), frame('SEND'), ctx), 'RESOURCE_LIMIT', 'Transaction too large',
      /^A transaction may hold at most 3 frames and 1000 body bytes\.$/);
    assert.equal(tx.ops.length, 3);
    assert.equal(tx.bytes, 0);
  });

  // Body bytes add up across SENDs: exactly the limit fits, one byte more does not.
  test('maxTransactionBytes: exactly the limit fits, one byte more → RESOURCE_LIMIT', () => {
    const ctx = fakeContext({ config: { maxTransactionFrames: 100, maxTransactionBytes: 100 } });
    const tx = emptyTransaction();
    addToTransaction(tx, publishOp(60), frame('SEND'), ctx);
    addToTransaction(tx, publishOp(40), frame('SEND'), ctx);
    assert.equal(tx.bytes, 100);
    throwsStomp(() => addToTransaction(tx, publishOp(1), frame('SEND'), ctx), 'RESOURCE_LIMIT', 'Transaction too large',
      /at most 100 frames and 100 body bytes/);
    assert.equal(tx.ops.length, 2);
    assert.equal(tx.bytes, 100);
  });

  // ACK and NACK carry no body: they count as frames, not bytes (an empty SEND counts as a frame too).
  test('ACK/NACK and empty SENDs add no bytes', () => {
    const ctx = fakeContext({ config: { maxTransactionBytes: 0 } });
    const tx = emptyTransaction();
    addToTransaction(tx, { t: 'ack', ids: [1] }, frame('ACK'), ctx);
    const options = { requeue: true, retryAfterMs: -1, reason: '' };
    addToTransaction(tx, { t: 'nack', ids: [2], options }, frame('NACK'), ctx);
    addToTransaction(tx, publishOp(0), frame('SEND'), ctx);
    assert.equal(tx.ops.length, 3);
    assert.equal(tx.bytes, 0);
    throwsStomp(() => addToTransaction(tx, publishOp(1), frame('SEND'), ctx), 'RESOURCE_LIMIT',
      'Transaction too large');
  });

  // The deliveries an ACK settles are kept for COMMIT, which untracks them.
  test('settled deliveries are kept with the transaction; a receipt is answered by a sync', () => {
    const ctx = fakeContext();
    const sub = addSubscription(ctx, 's', '/queue/a');
    const d = deliver(ctx, sub, 5);
    const tx = emptyTransaction();
    addToTransaction(tx, { t: 'ack', ids: [5] }, frame('ACK', { receipt: 'r' }), ctx, [d]);
    assert.deepEqual(tx.settles, [d]);
    assert.equal(ctx.messages.length, 1);
    assert.equal(ctx.messages[0].t, 'sync');
    assert.equal(receiptOf(ctx, (ctx.messages[0] as SyncMsg).rid), 'r');
  });
});

describe('receiptOnly', () => {
  test('a frame with a receipt → a sync whose request id names it', () => {
    const ctx = fakeContext();
    receiptOnly(frame('BEGIN', { receipt: 'x' }), ctx);
    assert.equal(ctx.messages.length, 1);
    const [msg] = ctx.messages;
    assert.equal(msg.t, 'sync');
    assert.equal(receiptOf(ctx, (msg as SyncMsg).rid), 'x');
  });

  test('a frame without → nothing', () => {
    const ctx = fakeContext();
    receiptOnly(frame('BEGIN'), ctx);
    assert.deepEqual(ctx.messages, []);
    assert.equal(ctx.state.receipts.size, 0);
  });
});
