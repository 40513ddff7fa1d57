/** SEND handler: what is published to the hub (headers, body, props, receipt) or held in a transaction. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishMsg, SyncMsg } from '../../src/ipc/contract.js';
import { MAX_DESTINATION_LENGTH } from '../../src/protocol/destination.js';
import { handleSend } from '../../src/session/handlers/send.js';
import { fakeContext, frame, receiptOf, throwsStomp } from './fake-context.js';

const DEFAULT_PROPS = { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 };

describe('SEND', () => {
  // A plain SEND goes to the hub at once, body untouched, with no request id when no receipt is asked.
  test('publishes destination, headers, body and default props', () => {
    const ctx = fakeContext();
    const body = Buffer.from([0, 1, 2, 0, 255]);
    handleSend(frame('SEND', { destination: '/queue/a', 'content-type': 'application/octet-stream' }, body), ctx);
    assert.deepEqual(ctx.messages, [{
      t: 'publish', dest: '/queue/a', headers: { 'content-type': 'application/octet-stream' }, body,
      props: DEFAULT_PROPS, rid: 0,
    }]);
    assert.deepEqual(ctx.sent, [], 'nothing is written to the client');
  });

  // A receipt becomes a request id whose `done` releases the RECEIPT.
  test('receipt → a request id naming it', () => {
    const ctx = fakeContext();
    handleSend(frame('SEND', { destination: '/topic/t', receipt: 'r-1' }, 'x'), ctx);
    const msg = ctx.messages[0] as PublishMsg;
    assert.notEqual(msg.rid, 0);
    assert.equal(receiptOf(ctx, msg.rid), 'r-1');
    assert.deepEqual(msg.headers, {}, 'receipt is not a message header');
  });

  // Custom headers travel on; headers the broker sets on MESSAGE (or that belong to the SEND) do not.
  test('custom headers pass; broker-set and SEND-only headers are dropped', () => {
    const ctx = fakeContext();
    handleSend(frame('SEND', {
      destination: '/queue/a', receipt: 'r', 'message-id': 'forged', subscription: 'forged', ack: 'forged',
      redelivered: 'true', 'x-delivery-count': '9', 'content-length': '1', 'x-job': 'thumb',
      'content-type': 'text/plain', persistent: 'true', priority: '7',
    }, 'x'), ctx);
    assert.deepEqual((ctx.messages[0] as PublishMsg).headers, {
      'x-job': 'thumb', 'content-type': 'text/plain', persistent: 'true', priority: '7',
    });
  });

  // persistent, priority, delay (ours and ActiveMQ's name) and expiry become props.
  test('persistent, priority and delay headers become props', () => {
    const ctx = fakeContext();
    handleSend(frame('SEND', { destination: '/queue/a', persistent: 'true', priority: '9', delay: '1500' }), ctx);
    handleSend(frame('SEND', { destination: '/queue/a', AMQ_SCHEDULED_DELAY: '250', priority: '0' }), ctx);
    handleSend(frame('SEND', { destination: '/queue/a', expires: '1234567' }), ctx);
    assert.deepEqual(ctx.messages.map((m) => (m as PublishMsg).props), [
      { persistent: true, priority: 9, delayMs: 1500, expiresAt: 0 },
      { persistent: false, priority: 0, delayMs: 250, expiresAt: 0 },
      { persistent: false, priority: 4, delayMs: 0, expiresAt: 1234567 },
    ]);
  });

  // `expiration` (RabbitMQ) is relative: now + the value.
  test('expiration is relative to the time of the SEND', () => {
    const ctx = fakeContext();
    const before = Date.now();
    handleSend(frame('SEND', { destination: '/queue/a', expiration: '60000' }), ctx);
    const after = Date.now();
    const { expiresAt } = (ctx.messages[0] as PublishMsg).props;
    assert.ok(expiresAt >= before + 60_000 && expiresAt <= after + 60_000, `expiresAt ${expiresAt}`);
  });
});

describe('SEND in a transaction', () => {
  // Inside a transaction the SEND is held (nothing reaches the hub); its receipt is answered in order.
  test('is held until COMMIT; a receipt becomes a sync', () => {
    const ctx = fakeContext();
    ctx.state.transactions.set('t', { ops: [], settles: [], bytes: 0 });
    handleSend(frame('SEND', { destination: '/queue/a', transaction: 't', 'x-k': 'v' }, 'held'), ctx);
    assert.deepEqual(ctx.messages, []);
    handleSend(frame('SEND', { destination: '/queue/b', transaction: 't', receipt: 'r' }, 'more'), ctx);
    assert.equal(ctx.messages.length, 1);
    const sync = ctx.messages[0] as SyncMsg;
    assert.equal(sync.t, 'sync');
    assert.equal(receiptOf(ctx, sync.rid), 'r');
    const tx = ctx.state.transactions.get('t')!;
    assert.deepEqual(tx.ops, [
      { t: 'publish', dest: '/queue/a', headers: { 'x-k': 'v' }, body: Buffer.from('held'), props: DEFAULT_PROPS },
      { t: 'publish', dest: '/queue/b', headers: {}, body: Buffer.from('more'), props: DEFAULT_PROPS },
    ]);
    assert.equal(tx.bytes, 'held'.length + 'more'.length);
  });

  test('naming a transaction that is not open → UNKNOWN_TRANSACTION', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleSend(frame('SEND', { destination: '/queue/a', transaction: 'nope' }, 'x'), ctx),
      'UNKNOWN_TRANSACTION', 'Unknown transaction', /^SEND names transaction 'nope', which is not open\.$/);
    assert.deepEqual(ctx.messages, []);
  });

  // The transaction's bounds apply to SENDs (see common.test.ts for the rule itself).
  test('past maxTransactionBytes → RESOURCE_LIMIT "Transaction too large"', () => {
    const ctx = fakeContext({ config: { maxTransactionBytes: 10 } });
    ctx.state.transactions.set('t', { ops: [], settles: [], bytes: 0 });
    handleSend(frame('SEND', { destination: '/queue/a', transaction: 't' }, '0123456789'), ctx);
    throwsStomp(() => handleSend(frame('SEND', { destination: '/queue/a', transaction: 't' }, 'x'), ctx),
      'RESOURCE_LIMIT', 'Transaction too large');
    assert.equal(ctx.state.transactions.get('t')!.ops.length, 1);
  });
});

describe('SEND: errors (nothing reaches the hub)', () => {
  for (const headers of [{}, { destination: '' }] as Record<string, string>[]) {
    test(`destination ${JSON.stringify(headers)} → MISSING_HEADER`, () => {
      const ctx = fakeContext();
      throwsStomp(() => handleSend(frame('SEND', headers, 'x'), ctx), 'MISSING_HEADER', 'Missing header',
        /^SEND frame requires the 'destination' header\.$/);
      assert.deepEqual(ctx.messages, []);
    });
  }

  test('a destination over the length limit → BAD_DESTINATION', () => {
    const ctx = fakeContext();
    const dest = `/queue/${'q'.repeat(MAX_DESTINATION_LENGTH)}`;
    throwsStomp(() => handleSend(frame('SEND', { destination: dest }), ctx), 'BAD_DESTINATION', 'Invalid destination',
      /at most 1024 characters/);
    assert.deepEqual(ctx.messages, []);
  });

  test('a topic of more than 128 words → BAD_DESTINATION', () => {
    const ctx = fakeContext();
    const dest = `/topic/${Array.from({ length: 129 }, () => 'w').join('.')}`;
    throwsStomp(() => handleSend(frame('SEND', { destination: dest }), ctx), 'BAD_DESTINATION', 'Invalid destination',
      /at most 128 dot-separated words/);
  });

  const badProps: Array<[Record<string, string>, string, RegExp]> = [
    [{ priority: '10' }, 'Invalid priority', /priority must be 0 to 9, got 10/],
    [{ priority: 'high' }, 'Invalid header', /'priority' must be a non-negative integer/],
    [{ persistent: 'yes' }, 'Invalid header', /'persistent' must be true or false/],
    [{ delay: '-5' }, 'Invalid header', /'delay' must be a non-negative integer/],
    [{ AMQ_SCHEDULED_DELAY: 'soon' }, 'Invalid header', /'AMQ_SCHEDULED_DELAY' must be a non-negative integer/],
    [{ expires: '1e9' }, 'Invalid header', /'expires' must be a non-negative integer/],
    [{ expiration: '' }, 'Invalid header', /'expiration' must be a non-negative integer/],
  ];
  for (const [headers, message, detail] of badProps) {
    test(`${JSON.stringify(headers)} → BAD_HEADER "${message}"`, () => {
      const ctx = fakeContext();
      throwsStomp(() => handleSend(frame('SEND', { destination: '/queue/a', ...headers }), ctx), 'BAD_HEADER', message,
        detail);
      assert.deepEqual(ctx.messages, []);
    });
  }

  // Headers are checked before the transaction: a bad SEND in a transaction leaves the transaction as it was.
  test('a bad SEND in a transaction is not added to it', () => {
    const ctx = fakeContext();
    ctx.state.transactions.set('t', { ops: [], settles: [], bytes: 0 });
    throwsStomp(() => handleSend(frame('SEND', { destination: '/queue/a', transaction: 't', priority: '11' }), ctx),
      'BAD_HEADER', 'Invalid priority');
    assert.deepEqual(ctx.state.transactions.get('t')!.ops, []);
  });
});

describe('SEND: reply-to a temporary queue', () => {
  // Each temporary queue named in reply-to subscribes the sender: it counts against --max-subscriptions,
  // and past it the SEND gets an ERROR like a SUBSCRIBE would (the hub used to refuse the bus message).
  test('reply-to temporary queues count as subscriptions; past the limit → RESOURCE_LIMIT', () => {
    const ctx = fakeContext({ config: { maxSubscriptions: 2 } });
    handleSend(frame('SEND', { destination: '/queue/requests', 'reply-to': '/temp-queue/a' }, 'q1'), ctx);
    handleSend(frame('SEND', { destination: '/queue/requests', 'reply-to': '/temp-queue/a' }, 'q2'), ctx);
    handleSend(frame('SEND', { destination: '/queue/requests', 'reply-to': '/temp-queue/b' }, 'q3'), ctx);
    assert.equal(ctx.state.subscriptions.size, 2);
    throwsStomp(() => handleSend(frame('SEND', { destination: '/queue/requests', 'reply-to': '/temp-queue/c' }, 'q4'), ctx),
      'RESOURCE_LIMIT', 'Too many subscriptions');
    assert.equal(ctx.messages.filter((m) => m.t === 'publish').length, 3, 'the refused SEND published nothing');
  });
});
