/** BEGIN / COMMIT / ABORT handlers: the transaction's life in the session, what COMMIT sends, maxTransactions. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitMsg, SyncMsg } from '../../src/ipc/contract.js';
import { handleAck } from '../../src/session/handlers/ack.js';
import { handleSend } from '../../src/session/handlers/send.js';
import { handleAbort, handleBegin, handleCommit } from '../../src/session/handlers/transaction.js';
import { addSubscription, deliver, fakeContext, frame, receiptOf, throwsStomp } from './fake-context.js';

const PROPS = { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 };

describe('BEGIN', () => {
  test('opens an empty transaction; nothing reaches the hub without a receipt', () => {
    const ctx = fakeContext();
    handleBegin(frame('BEGIN', { transaction: 't1' }), ctx);
    assert.deepEqual(ctx.state.transactions.get('t1'), { ops: [], settles: [], bytes: 0 });
    assert.deepEqual(ctx.messages, []);
    assert.deepEqual(ctx.sent, []);
  });

  // The session answers BEGIN itself, but its RECEIPT must follow everything sent before: a sync.
  test('a receipt is answered through a sync, in order with earlier requests', () => {
    const ctx = fakeContext();
    handleBegin(frame('BEGIN', { transaction: 't1', receipt: 'b' }), ctx);
    const sync = ctx.messages[0] as SyncMsg;
    assert.equal(sync.t, 'sync');
    assert.equal(receiptOf(ctx, sync.rid), 'b');
  });

  for (const headers of [{}, { transaction: '' }] as Record<string, string>[]) {
    test(`transaction ${JSON.stringify(headers)} → MISSING_HEADER`, () => {
      const ctx = fakeContext();
      throwsStomp(() => handleBegin(frame('BEGIN', headers), ctx), 'MISSING_HEADER', 'Missing header',
        /^BEGIN frame requires the 'transaction' header\.$/);
      assert.equal(ctx.state.transactions.size, 0);
    });
  }

  test('a name already open → DUPLICATE_TRANSACTION; the open one keeps its content', () => {
    const ctx = fakeContext();
    handleBegin(frame('BEGIN', { transaction: 't1' }), ctx);
    handleSend(frame('SEND', { destination: '/queue/a', transaction: 't1' }, 'kept'), ctx);
    throwsStomp(() => handleBegin(frame('BEGIN', { transaction: 't1', receipt: 'r' }), ctx),
      'DUPLICATE_TRANSACTION', 'Transaction already started', /^Transaction 't1' is already open\.$/);
    assert.equal(ctx.state.transactions.get('t1')!.ops.length, 1);
    assert.deepEqual(ctx.messages, []);
  });

  // maxTransactions bounds the transactions open at once; a COMMIT or ABORT frees a place.
  test('past maxTransactions → RESOURCE_LIMIT "Too many transactions"; ending one frees a place', () => {
    const ctx = fakeContext({ config: { maxTransactions: 2 } });
    handleBegin(frame('BEGIN', { transaction: 'a' }), ctx);
    handleBegin(frame('BEGIN', { transaction: 'b' }), ctx);
    throwsStomp(() => handleBegin(frame('BEGIN', { transaction: 'c' }), ctx),
      'RESOURCE_LIMIT', 'Too many transactions', /^A connection may have at most 2 transactions open at once\.$/);
    assert.deepEqual([...ctx.state.transactions.keys()], ['a', 'b']);
    handleAbort(frame('ABORT', { transaction: 'a' }), ctx);
    handleBegin(frame('BEGIN', { transaction: 'c' }), ctx);
    handleCommit(frame('COMMIT', { transaction: 'b' }), ctx);
    handleBegin(frame('BEGIN', { transaction: 'd' }), ctx);
    assert.deepEqual([...ctx.state.transactions.keys()], ['c', 'd']);
  });
});

describe('COMMIT', () => {
  // Everything the transaction held goes to the hub in one message, in the client's order.
  test('sends every operation in one commit, in order; the transaction is gone', () => {
    const ctx = fakeContext();
    const sub = addSubscription(ctx, 's', '/queue/jobs', { ack: 'client-individual' });
    const job = deliver(ctx, sub, 42);
    handleBegin(frame('BEGIN', { transaction: 'replace' }), ctx);
    handleAck(frame('ACK', { id: job.ackId, transaction: 'replace' }), ctx);
    handleSend(frame('SEND', { destination: '/queue/next', transaction: 'replace' }, 'job-B'), ctx);
    handleCommit(frame('COMMIT', { transaction: 'replace', receipt: 'c' }), ctx);
    assert.equal(ctx.messages.length, 1);
    const commit = ctx.messages[0] as CommitMsg;
    assert.deepEqual(commit.ops, [
      { t: 'ack', ids: [42] },
      { t: 'publish', dest: '/queue/next', headers: {}, body: Buffer.from('job-B'), props: PROPS },
    ]);
    assert.equal(receiptOf(ctx, commit.rid), 'c');
    assert.equal(ctx.state.transactions.has('replace'), false);
    // What the ACK settled is no longer awaited.
    assert.equal(ctx.state.unacked.has(job.ackId), false);
    assert.equal(sub.unacked.size, 0);
  });

  test('an empty transaction commits with no operations', () => {
    const ctx = fakeContext();
    handleBegin(frame('BEGIN', { transaction: 't' }), ctx);
    handleCommit(frame('COMMIT', { transaction: 't' }), ctx);
    assert.deepEqual(ctx.messages, [{ t: 'commit', ops: [], rid: 0 }]);
  });

  test('no transaction header → MISSING_HEADER', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleCommit(frame('COMMIT'), ctx), 'MISSING_HEADER', 'Missing header', /'transaction'/);
  });

  test('a transaction not open (never begun, or committed already) → UNKNOWN_TRANSACTION', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleCommit(frame('COMMIT', { transaction: 'never' }), ctx),
      'UNKNOWN_TRANSACTION', 'Unknown transaction', /^COMMIT names transaction 'never', which is not open\.$/);
    handleBegin(frame('BEGIN', { transaction: 'once' }), ctx);
    handleCommit(frame('COMMIT', { transaction: 'once' }), ctx);
    throwsStomp(() => handleCommit(frame('COMMIT', { transaction: 'once' }), ctx),
      'UNKNOWN_TRANSACTION', 'Unknown transaction');
    assert.equal(ctx.messages.length, 1);
  });
});

describe('ABORT', () => {
  // Nothing the transaction held takes effect; what its ACKs named is still awaited (and can be acked again).
  test('drops the operations; the deliveries its ACKs named stay awaited', () => {
    const ctx = fakeContext();
    const sub = addSubscription(ctx, 's', '/queue/jobs', { ack: 'client-individual' });
    const job = deliver(ctx, sub, 42);
    handleBegin(frame('BEGIN', { transaction: 't' }), ctx);
    handleAck(frame('ACK', { id: job.ackId, transaction: 't' }), ctx);
    handleSend(frame('SEND', { destination: '/queue/x', transaction: 't' }, 'dropped'), ctx);
    handleAbort(frame('ABORT', { transaction: 't', receipt: 'a' }), ctx);
    assert.equal(ctx.state.transactions.has('t'), false);
    assert.equal(ctx.messages.length, 1);
    const sync = ctx.messages[0] as SyncMsg;
    assert.equal(sync.t, 'sync');
    assert.equal(receiptOf(ctx, sync.rid), 'a');
    assert.equal(ctx.state.unacked.get(job.ackId), job);
    handleAck(frame('ACK', { id: job.ackId }), ctx);
    assert.deepEqual(ctx.messages[1], { t: 'ack', ids: [42], rid: 0 });
  });

  test('without a receipt nothing reaches the hub', () => {
    const ctx = fakeContext();
    handleBegin(frame('BEGIN', { transaction: 't' }), ctx);
    handleAbort(frame('ABORT', { transaction: 't' }), ctx);
    assert.deepEqual(ctx.messages, []);
  });

  test('no transaction header → MISSING_HEADER', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleAbort(frame('ABORT', { transaction: '' }), ctx), 'MISSING_HEADER', 'Missing header');
  });

  test('a transaction not open → UNKNOWN_TRANSACTION', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleAbort(frame('ABORT', { transaction: 'ghost' }), ctx),
      'UNKNOWN_TRANSACTION', 'Unknown transaction', /^ABORT names transaction 'ghost', which is not open\.$/);
  });
});
