/** Transactions: BEGIN / COMMIT / ABORT around SEND and ACK (STOMP 1.2 "BEGIN", "COMMIT", "ABORT"). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodies, connectStomp, encodeFrame, type RawClient, sendConfirmed, sendMany, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';
import { withReceipt } from '../helpers/jobs.js';

describe('transactions', () => {
  const ctx = useBroker({ producer: true });


  async function consumer(dest: string, ack = 'auto'): Promise<RawClient> {
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, dest, 's', { ack });
    return c;
  }

  // SENDs in a transaction take effect only at COMMIT: a later plain SEND overtakes them.
  test('SEND in a transaction is invisible until COMMIT', async () => {
    const dest = uniqueDest('queue', 'tx-commit');
    const rx = await consumer(dest);
    const tx = await connectStomp(ctx.broker.port);
    await withReceipt(tx, 'BEGIN', { transaction: 't1' });
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 't1' }, 'in-tx-1');
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 't1' }, 'in-tx-2');
    await withReceipt(tx, 'SEND', { destination: dest }, 'outside');
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'outside');
    await rx.expectNoFrame(200);
    await withReceipt(tx, 'COMMIT', { transaction: 't1' });
    assert.deepEqual(bodies(await rx.expectFrames('MESSAGE', 2)), ['in-tx-1', 'in-tx-2']);
    tx.close();
    rx.close();
  });

  // ABORT drops the transaction's SENDs.
  test('SEND in an aborted transaction is dropped', async () => {
    const dest = uniqueDest('queue', 'tx-abort');
    const rx = await consumer(dest);
    const tx = await connectStomp(ctx.broker.port);
    await withReceipt(tx, 'BEGIN', { transaction: 't2' });
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 't2' }, 'aborted');
    await withReceipt(tx, 'ABORT', { transaction: 't2' });
    await withReceipt(tx, 'SEND', { destination: dest }, 'after-abort');
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'after-abort');
    tx.close();
    rx.close();
  });

  // A disconnect aborts open transactions: their SENDs never arrive.
  test('disconnect with an open transaction drops its SENDs', async () => {
    const dest = uniqueDest('queue', 'tx-disc');
    const tx = await connectStomp(ctx.broker.port);
    await withReceipt(tx, 'BEGIN', { transaction: 't3' });
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 't3' }, 'never');
    await tx.disconnect();
    await sendConfirmed(ctx.producer, dest, 'only');
    const rx = await consumer(dest);
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'only');
    rx.close();
  });

  // Transactional SENDs keep their order and interleave correctly with other transactions.
  test('two transactions on one connection commit independently', async () => {
    const dest = uniqueDest('queue', 'tx-two');
    const rx = await consumer(dest);
    const tx = await connectStomp(ctx.broker.port);
    await withReceipt(tx, 'BEGIN', { transaction: 'ta' });
    await withReceipt(tx, 'BEGIN', { transaction: 'tb' });
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 'ta' }, 'a1');
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 'tb' }, 'b1');
    await withReceipt(tx, 'SEND', { destination: dest, transaction: 'ta' }, 'a2');
    await withReceipt(tx, 'COMMIT', { transaction: 'tb' });
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'b1');
    await withReceipt(tx, 'ABORT', { transaction: 'ta' });
    await withReceipt(tx, 'SEND', { destination: dest }, 'end');
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'end');
    tx.close();
    rx.close();
  });

  // ACK in a transaction takes effect only at COMMIT; after ABORT and a disconnect the message returns.
  test('ACK in an aborted transaction does not settle the message', async () => {
    const dest = uniqueDest('queue', 'tx-ack-abort');
    const c = await consumer(dest, 'client-individual');
    await sendConfirmed(ctx.producer, dest, 'held');
    const msg = await c.expectFrame('MESSAGE');
    await withReceipt(c, 'BEGIN', { transaction: 'ta1' });
    await withReceipt(c, 'ACK', { id: msg.headers.ack, transaction: 'ta1' });
    await withReceipt(c, 'ABORT', { transaction: 'ta1' });
    await c.disconnect();
    await sendConfirmed(ctx.producer, dest, 'sentinel');
    const c2 = await consumer(dest);
    const got = await c2.expectFrames('MESSAGE', 2);
    assert.deepEqual(bodies(got), ['held', 'sentinel']);
    assert.equal(got[0].headers.redelivered, 'true');
    c2.close();
  });

  // An ACK in a transaction is applied at COMMIT: after a disconnect the message does not return.
  test('ACK in a committed transaction settles the message', async () => {
    const dest = uniqueDest('queue', 'tx-ack-commit');
    const c = await consumer(dest, 'client-individual');
    await sendConfirmed(ctx.producer, dest, 'done');
    const msg = await c.expectFrame('MESSAGE');
    await withReceipt(c, 'BEGIN', { transaction: 'tc1' });
    await withReceipt(c, 'ACK', { id: msg.headers.ack, transaction: 'tc1' });
    await withReceipt(c, 'COMMIT', { transaction: 'tc1' });
    await c.disconnect();
    await sendConfirmed(ctx.producer, dest, 'sentinel');
    const c2 = await consumer(dest);
    assert.equal((await c2.expectFrame('MESSAGE')).body.toString(), 'sentinel');
    c2.close();
  });

  // An ACK in a transaction is not applied before COMMIT: a disconnect before COMMIT returns the message.
  test('ACK in an open transaction: disconnect returns the message', async () => {
    const dest = uniqueDest('queue', 'tx-ack-open');
    const c = await consumer(dest, 'client');
    await sendMany(ctx.producer, dest, ['o1', 'o2']);
    const got = await c.expectFrames('MESSAGE', 2);
    await withReceipt(c, 'BEGIN', { transaction: 'to1' });
    await withReceipt(c, 'ACK', { id: got[1].headers.ack, transaction: 'to1' });
    c.close();
    await sendConfirmed(ctx.producer, dest, 'sentinel');
    const c2 = await consumer(dest);
    assert.deepEqual(bodies(await c2.expectFrames('MESSAGE', 3)), ['o1', 'o2', 'sentinel']);
    c2.close();
  });

  // After ABORT the message is still awaiting acknowledgement: a plain ACK is accepted.
  test('after ABORT the message can still be ACKed outside the transaction', async () => {
    const dest = uniqueDest('queue', 'tx-reack');
    const c = await consumer(dest, 'client-individual');
    await sendConfirmed(ctx.producer, dest, 'reack');
    const msg = await c.expectFrame('MESSAGE');
    await withReceipt(c, 'BEGIN', { transaction: 'tr1' });
    await withReceipt(c, 'ACK', { id: msg.headers.ack, transaction: 'tr1' });
    await withReceipt(c, 'ABORT', { transaction: 'tr1' });
    await withReceipt(c, 'ACK', { id: msg.headers.ack });
    await c.disconnect();
    await sendConfirmed(ctx.producer, dest, 'sentinel');
    const c2 = await consumer(dest);
    assert.equal((await c2.expectFrame('MESSAGE')).body.toString(), 'sentinel');
    c2.close();
  });

  // NACK inside a transaction returns the message only at COMMIT.
  test('NACK in a transaction takes effect at COMMIT', async () => {
    const dest = uniqueDest('queue', 'tx-nack');
    const c = await consumer(dest, 'client-individual');
    await sendConfirmed(ctx.producer, dest, 'nacked');
    const msg = await c.expectFrame('MESSAGE');
    await withReceipt(c, 'BEGIN', { transaction: 'tn1' });
    await withReceipt(c, 'NACK', { id: msg.headers.ack, transaction: 'tn1' });
    await c.expectNoFrame(200);
    await withReceipt(c, 'COMMIT', { transaction: 'tn1' });
    const again = await c.expectFrame('MESSAGE');
    assert.equal(again.body.toString(), 'nacked');
    assert.equal(again.headers.redelivered, 'true');
    c.close();
  });

  // COMMIT of a transaction that was never begun is an error.
  test('COMMIT of an unknown transaction gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('COMMIT', { transaction: 'nope' });
    await c.expectErrorAndClose();
  });

  // ABORT of an unknown transaction is an error.
  test('ABORT of an unknown transaction gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('ABORT', { transaction: 'nope' });
    await c.expectErrorAndClose();
  });

  // SEND naming an unknown transaction is an error.
  test('SEND in an unknown transaction gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('SEND', { destination: '/queue/tx-unknown', transaction: 'nope', receipt: 'r-unk' }, 'x');
    const error = await c.expectErrorAndClose();
    assert.equal(error.headers['receipt-id'], 'r-unk');
  });

  // A committed transaction is closed: committing it again is an error.
  test('COMMIT twice gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await withReceipt(c, 'BEGIN', { transaction: 'once' });
    await withReceipt(c, 'COMMIT', { transaction: 'once' });
    await c.frame('COMMIT', { transaction: 'once' });
    await c.expectErrorAndClose();
  });

  // BEGIN of a transaction that is already open is an error.
  test('duplicate BEGIN gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await withReceipt(c, 'BEGIN', { transaction: 'dup' });
    await c.frame('BEGIN', { transaction: 'dup' });
    await c.expectErrorAndClose();
  });

  // BEGIN requires a transaction header.
  test('BEGIN without transaction header gets ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('BEGIN', {});
    await c.expectErrorAndClose();
  });

  // Transaction names are per connection: two connections may use the same name.
  test('transaction names are scoped to the connection', async () => {
    const dest = uniqueDest('queue', 'tx-scope');
    const rx = await consumer(dest);
    const a = await connectStomp(ctx.broker.port);
    const b = await connectStomp(ctx.broker.port);
    await withReceipt(a, 'BEGIN', { transaction: 'same' });
    await withReceipt(b, 'BEGIN', { transaction: 'same' });
    await withReceipt(a, 'SEND', { destination: dest, transaction: 'same' }, 'from-a');
    await withReceipt(b, 'SEND', { destination: dest, transaction: 'same' }, 'from-b');
    await withReceipt(b, 'ABORT', { transaction: 'same' });
    await withReceipt(a, 'COMMIT', { transaction: 'same' });
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'from-a');
    await sendConfirmed(ctx.producer, dest, 'end');
    assert.equal((await rx.expectFrame('MESSAGE')).body.toString(), 'end');
    a.close();
    b.close();
    rx.close();
  });
});

// Nothing a client holds open grows without bound: transactions, their frames and bytes, subscriptions.
describe('transactions and subscriptions are bounded per connection', () => {
  const ctx = useBroker({
    args: ['--max-transaction-frames', '3', '--max-transaction-bytes', '100', '--max-subscriptions', '2'],
  });

  test('a 4th frame in a transaction gets ERROR "Transaction too large", and nothing is sent', async () => {
    const dest = uniqueDest('queue', 'tx-frames');
    const c = await connectStomp(ctx.broker.port);
    await withReceipt(c, 'BEGIN', { transaction: 't' });
    for (let i = 0; i < 3; i++) await withReceipt(c, 'SEND', { destination: dest, transaction: 't' }, `f${i}`);
    await c.frame('SEND', { destination: dest, transaction: 't', receipt: 'over' }, 'f3');
    const err = await c.expectErrorAndClose();
    assert.equal(err.headers.message, 'Transaction too large');
    assert.equal(err.headers['receipt-id'], 'over');
    const check = await connectStomp(ctx.broker.port);
    await sendConfirmed(check, dest, 'only');
    await subscribe(check, dest, 's');
    assert.equal((await check.expectFrame('MESSAGE')).body.toString(), 'only');
    check.close();
  });

  test('body bytes past the transaction limit get ERROR', async () => {
    const c = await connectStomp(ctx.broker.port);
    await withReceipt(c, 'BEGIN', { transaction: 't' });
    await withReceipt(c, 'SEND', { destination: '/queue/txb', transaction: 't' }, 'x'.repeat(60));
    await c.frame('SEND', { destination: '/queue/txb', transaction: 't' }, 'y'.repeat(60));
    assert.equal((await c.expectErrorAndClose()).headers.message, 'Transaction too large');
  });

  test('a 3rd subscription gets ERROR "Too many subscriptions"', async () => {
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, '/queue/s1', 'a');
    await subscribe(c, '/topic/s2.#', 'b');
    await c.frame('SUBSCRIBE', { destination: '/queue/s3', id: 'c' });
    assert.equal((await c.expectErrorAndClose()).headers.message, 'Too many subscriptions');
  });

  test('a 65th open transaction gets ERROR "Too many transactions"', async () => {
    const c = await connectStomp(ctx.broker.port);
    const begins = Array.from({ length: 64 }, (_, i) => encodeFrame('BEGIN', { transaction: `t${i}` }));
    await c.send(Buffer.concat([...begins, encodeFrame('BEGIN', { transaction: 'last', receipt: 'b' })]));
    assert.equal((await c.expectErrorAndClose()).headers.message, 'Too many transactions');
  });
});
