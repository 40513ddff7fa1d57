/** Typed header accessors: version and heart-beat negotiation, ack mode, prefetch, SEND props, NACK options. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ackModeHeader, booleanHeader, heartBeatHeader, integerHeader, messageProps, nackOptions, negotiateHeartBeat,
  negotiateVersion, prefetchHeader, requireHeader,
} from '../../src/protocol/headers.js';
import { StompError, type StompErrorCode } from '../../src/protocol/errors.js';
import type { Frame, Headers } from '../../src/protocol/frame.js';

function frame(headers: Headers, command = 'SEND'): Frame {
  return { command, headers, body: Buffer.alloc(0) };
}

/** Asserts `fn` throws a StompError with `code`. */
function throwsCode(fn: () => unknown, code: StompErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StompError, `expected StompError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('negotiateVersion', () => {
  // No accept-version header means a STOMP 1.0 client.
  test('absent → 1.0', () => {
    assert.equal(negotiateVersion(undefined), '1.0');
  });

  // The highest version both sides speak is chosen, whatever the order offered.
  test('picks the highest common version', () => {
    assert.equal(negotiateVersion('1.0,1.1,1.2'), '1.2');
    assert.equal(negotiateVersion('1.2,1.0'), '1.2');
    assert.equal(negotiateVersion('1.0,1.1'), '1.1');
    assert.equal(negotiateVersion('1.0'), '1.0');
    assert.equal(negotiateVersion(' 1.1 , 2.0 '), '1.1');
  });

  // A list with none of our versions is an UNSUPPORTED_VERSION error.
  test('unsupported → UNSUPPORTED_VERSION', () => {
    throwsCode(() => negotiateVersion('2.0,3.0'), 'UNSUPPORTED_VERSION');
    throwsCode(() => negotiateVersion(''), 'UNSUPPORTED_VERSION');
    assert.throws(() => negotiateVersion('9.9'), /1\.0,1\.1,1\.2/);
  });
});

describe('heart-beat', () => {
  // heartBeatHeader: absent is 0,0; "cx,cy" parses with optional spaces.
  test('heartBeatHeader parses', () => {
    assert.deepEqual(heartBeatHeader(frame({}, 'CONNECT')), [0, 0]);
    assert.deepEqual(heartBeatHeader(frame({ 'heart-beat': '1000,2000' }, 'CONNECT')), [1000, 2000]);
    assert.deepEqual(heartBeatHeader(frame({ 'heart-beat': ' 0 , 5 ' }, 'CONNECT')), [0, 5]);
  });

  // A malformed heart-beat header is BAD_HEADER.
  test('heartBeatHeader malformed → BAD_HEADER', () => {
    for (const value of ['', '1000', '1000,', 'a,b', '-1,0', '1,2,3', '1.5,2']) {
      throwsCode(() => heartBeatHeader(frame({ 'heart-beat': value }, 'CONNECT')), 'BAD_HEADER');
    }
  });

  // 0 on either side stays 0 (that direction is off), whatever the broker minimum.
  test('negotiateHeartBeat: 0 stays 0', () => {
    const n = negotiateHeartBeat([0, 0], [5000, 5000]);
    assert.deepEqual([n.send, n.receive, n.header], [0, 0, '0,0']);
    const onlyReceive = negotiateHeartBeat([0, 3000], [1000, 1000]);
    assert.equal(onlyReceive.send, 3000);
    assert.equal(onlyReceive.receive, 0);
  });

  // The broker sends as often as the client wants (cy) and expects beats per the client's cx, never below its minimum.
  test('negotiateHeartBeat: minimum applied', () => {
    const fast = negotiateHeartBeat([100, 200], [1000, 2000]);
    assert.deepEqual([fast.send, fast.receive, fast.header], [1000, 2000, '1000,2000']);
    const slow = negotiateHeartBeat([30000, 40000], [1000, 2000]);
    assert.deepEqual([slow.send, slow.receive, slow.header], [40000, 30000, '40000,30000']);
    const noMin = negotiateHeartBeat([10, 20], [0, 0]);
    assert.deepEqual([noMin.send, noMin.receive], [20, 10]);
  });
});

describe('SUBSCRIBE headers', () => {
  // ack defaults to auto; client and client-individual in every version (1.0 too, as RabbitMQ and ActiveMQ).
  test('ackModeHeader', () => {
    assert.equal(ackModeHeader(frame({}, 'SUBSCRIBE')), 'auto');
    assert.equal(ackModeHeader(frame({ ack: 'client' }, 'SUBSCRIBE')), 'client');
    assert.equal(ackModeHeader(frame({ ack: 'client-individual' }, 'SUBSCRIBE')), 'client-individual');
    throwsCode(() => ackModeHeader(frame({ ack: 'sometimes' }, 'SUBSCRIBE')), 'BAD_HEADER');
  });

  // Credit comes from prefetch-count (RabbitMQ) or activemq.prefetchSize, the former first; else the fallback.
  test('prefetchHeader: both names', () => {
    assert.equal(prefetchHeader(frame({}, 'SUBSCRIBE'), 7), 7);
    assert.equal(prefetchHeader(frame({ 'prefetch-count': '3' }, 'SUBSCRIBE'), 0), 3);
    assert.equal(prefetchHeader(frame({ 'activemq.prefetchSize': '5' }, 'SUBSCRIBE'), 0), 5);
    assert.equal(prefetchHeader(frame({ 'prefetch-count': '2', 'activemq.prefetchSize': '9' }, 'SUBSCRIBE'), 0), 2);
    throwsCode(() => prefetchHeader(frame({ 'prefetch-count': 'many' }, 'SUBSCRIBE'), 0), 'BAD_HEADER');
    throwsCode(() => prefetchHeader(frame({ 'activemq.prefetchSize': '-1' }, 'SUBSCRIBE'), 0), 'BAD_HEADER');
  });
});

describe('SEND headers: messageProps', () => {
  const NOW = 1_700_000_000_000;

  // No headers: not persistent, priority 4, no delay, never expires.
  test('defaults', () => {
    assert.deepEqual(messageProps(frame({}), NOW), { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 });
  });

  // priority 0–9 is accepted; anything above 9 or non-numeric is BAD_HEADER.
  test('priority bounds', () => {
    assert.equal(messageProps(frame({ priority: '0' }), NOW).priority, 0);
    assert.equal(messageProps(frame({ priority: '9' }), NOW).priority, 9);
    throwsCode(() => messageProps(frame({ priority: '42' }), NOW), 'BAD_HEADER');
    throwsCode(() => messageProps(frame({ priority: '10' }), NOW), 'BAD_HEADER');
    throwsCode(() => messageProps(frame({ priority: 'high' }), NOW), 'BAD_HEADER');
  });

  // delay (or AMQ_SCHEDULED_DELAY) must be a non-negative integer.
  test('delay', () => {
    assert.equal(messageProps(frame({ delay: '250' }), NOW).delayMs, 250);
    assert.equal(messageProps(frame({ AMQ_SCHEDULED_DELAY: '300' }), NOW).delayMs, 300);
    assert.equal(messageProps(frame({ delay: '10', AMQ_SCHEDULED_DELAY: '300' }), NOW).delayMs, 10);
    throwsCode(() => messageProps(frame({ delay: '-5' }), NOW), 'BAD_HEADER');
    throwsCode(() => messageProps(frame({ delay: 'soon' }), NOW), 'BAD_HEADER');
    throwsCode(() => messageProps(frame({ AMQ_SCHEDULED_DELAY: '1e3' }), NOW), 'BAD_HEADER');
  });

  // expiration is relative to now; expires is an absolute epoch ms; expiration wins when both are present.
  test('expiration relative, expires absolute', () => {
    assert.equal(messageProps(frame({ expiration: '5000' }), NOW).expiresAt, NOW + 5000);
    assert.equal(messageProps(frame({ expires: '1800000000000' }), NOW).expiresAt, 1_800_000_000_000);
    assert.equal(messageProps(frame({ expires: '1800000000000', expiration: '10' }), NOW).expiresAt, NOW + 10);
    throwsCode(() => messageProps(frame({ expiration: '-1' }), NOW), 'BAD_HEADER');
    throwsCode(() => messageProps(frame({ expires: 'tomorrow' }), NOW), 'BAD_HEADER');
  });

  // persistent must be exactly true or false.
  test('persistent must be true/false', () => {
    assert.equal(messageProps(frame({ persistent: 'true' }), NOW).persistent, true);
    assert.equal(messageProps(frame({ persistent: 'false' }), NOW).persistent, false);
    throwsCode(() => messageProps(frame({ persistent: 'yes' }), NOW), 'BAD_HEADER');
    throwsCode(() => messageProps(frame({ persistent: 'TRUE' }), NOW), 'BAD_HEADER');
  });
});

describe('NACK headers: nackOptions', () => {
  // Defaults: requeue, the policy's back-off (-1), no reason.
  test('defaults', () => {
    assert.deepEqual(nackOptions(frame({}, 'NACK')), { requeue: true, retryAfterMs: -1, reason: '' });
  });

  // requeue:false, retry-after and message are read.
  test('explicit values', () => {
    assert.deepEqual(nackOptions(frame({ requeue: 'false', 'retry-after': '1500', message: 'timeout' }, 'NACK')),
      { requeue: false, retryAfterMs: 1500, reason: 'timeout' });
  });

  // Malformed requeue or retry-after is BAD_HEADER.
  test('malformed values', () => {
    throwsCode(() => nackOptions(frame({ requeue: 'no' }, 'NACK')), 'BAD_HEADER');
    throwsCode(() => nackOptions(frame({ 'retry-after': '-1' }, 'NACK')), 'BAD_HEADER');
  });
});

describe('integerHeader and friends', () => {
  // Absent → fallback; digits (with surrounding spaces) → number.
  test('integerHeader accepts digits', () => {
    assert.equal(integerHeader(frame({}), 'n', 17), 17);
    assert.equal(integerHeader(frame({ n: '0' }), 'n', 17), 0);
    assert.equal(integerHeader(frame({ n: ' 123 ' }), 'n', 17), 123);
    assert.equal(integerHeader(frame({ n: '007' }), 'n', 17), 7);
  });

  // Empty, signed, fractional, hex, exponent and too-long values are BAD_HEADER naming the header.
  test('integerHeader rejects everything else', () => {
    for (const v of ['', '-1', '+1', '1.0', '0x10', '1e3', 'abc', '1 2', '1234567890123456']) {
      throwsCode(() => integerHeader(frame({ n: v }), 'n', 0), 'BAD_HEADER');
    }
    assert.throws(() => integerHeader(frame({ 'my-header': 'x' }), 'my-header', 0), (e: unknown) =>
      e instanceof StompError && e.detail.includes('my-header'));
  });

  // requireHeader: missing (or empty when nonEmpty) is MISSING_HEADER.
  test('requireHeader', () => {
    assert.equal(requireHeader(frame({ destination: '/queue/a' }), 'destination'), '/queue/a');
    throwsCode(() => requireHeader(frame({}), 'destination'), 'MISSING_HEADER');
    throwsCode(() => requireHeader(frame({ destination: '' }), 'destination'), 'MISSING_HEADER');
    assert.equal(requireHeader(frame({ destination: '' }), 'destination', false), '');
  });

  // booleanHeader: only true/false.
  test('booleanHeader', () => {
    assert.equal(booleanHeader(frame({}), 'b', true), true);
    assert.equal(booleanHeader(frame({ b: 'false' }), 'b', true), false);
    throwsCode(() => booleanHeader(frame({ b: '1' }), 'b', true), 'BAD_HEADER');
  });
});
