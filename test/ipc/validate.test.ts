/** Bus validation: the hub checks every session message against the contract before acting on it. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type BusLimits, checkSessionMessage } from '../../src/ipc/validate.js';
import { SESSION_TO_HUB } from './samples.js';

const LIMITS: BusLimits = {
  maxFrameSize: 1024, maxHeaderLines: 4, maxHeaderLineLength: 64, maxTransactionFrames: 5, maxTransactionBytes: 600,
};

/** A copy of sample `t` with `changes` applied. */
function variant<T extends keyof typeof SESSION_TO_HUB>(t: T, changes: Record<string, unknown>): unknown {
  return { ...SESSION_TO_HUB[t], ...changes };
}

describe('checkSessionMessage', () => {
  // Every well-formed sample of the contract passes.
  test('every contract sample is valid', () => {
    for (const m of Object.values(SESSION_TO_HUB)) assert.equal(checkSessionMessage(m, LIMITS), null, JSON.stringify(m).slice(0, 80));
  });

  // Each of these is what a broken or hostile session could send; each names what is wrong.
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 'hello', /not an object/],
    ['unknown kind', { t: 'explode' }, /unknown message kind/],
    ['prototype key as kind', { t: 'constructor' }, /unknown message kind/],
    ['priority 10', variant('publish', { props: { persistent: true, priority: 10, delayMs: 0, expiresAt: 0 } }), /priority/],
    ['negative delay', variant('publish', { props: { persistent: false, priority: 4, delayMs: -1, expiresAt: 0 } }), /delayMs/],
    ['body too big', variant('publish', { body: Buffer.alloc(1025) }), /body/],
    ['body not bytes', variant('publish', { body: 'text' }), /body/],
    ['too many headers', variant('publish', { headers: { a: '1', b: '2', c: '3', d: '4', e: '5' } }), /too many headers/],
    ['header not a string', variant('publish', { headers: { a: 1 } }), /header a/],
    ['header too long', variant('publish', { headers: { a: 'x'.repeat(65) } }), /header a/],
    ['empty destination', variant('publish', { dest: '' }), /dest/],
    ['fractional rid', variant('publish', { rid: 1.5 }), /rid/],
    ['bad ack mode', variant('subscribe', { ack: 'sometimes' }), /ack/],
    ['negative prefetch', variant('subscribe', { prefetch: -1 }), /prefetch/],
    ['ids with zero', variant('ack', { ids: [0] }), /ids/],
    ['ids not a list', variant('ack', { ids: 5 }), /ids/],
    ['retryAfterMs -2', variant('nack', { options: { requeue: true, retryAfterMs: -2, reason: '' } }), /retryAfterMs/],
    ['unknown version', variant('connected', { version: '2.0' }), /version/],
    ['too many transaction ops', variant('commit', { ops: Array(6).fill({ t: 'ack', ids: [1] }) }), /transaction limit/],
    ['transaction bytes', variant('commit', {
      ops: [1, 2].map(() => ({ t: 'publish', dest: '/queue/a', headers: {}, body: Buffer.alloc(400),
        props: { persistent: false, priority: 4, delayMs: 0, expiresAt: 0 } })),
    }), /transaction bytes/],
    ['unknown operation', variant('commit', { ops: [{ t: 'drop' }] }), /unknown transaction operation/],
    ['flow without boolean', variant('flow', { writable: 'yes' }), /writable/],
    ['passcode not a string', variant('auth', { passcode: 42 }), /passcode/],
    ['certificate not bytes', variant('auth', { cert: 'MIIB' }), /cert/],
    ['certificate too large', variant('auth', { cert: Buffer.alloc(65 * 1024) }), /cert/],
    ['rights-ack without generation', variant('rights-ack', { gen: -1 }), /gen/],
  ];
  for (const [name, message, expected] of bad) {
    test(`refuses ${name}`, () => {
      const problem = checkSessionMessage(message, LIMITS);
      assert.ok(problem !== null, 'accepted');
      assert.match(problem, expected);
    });
  }

  // Whatever a session sends, validation answers; it never throws.
  test('arbitrary values never throw', () => {
    const kinds = fc.constantFrom(...Object.keys(SESSION_TO_HUB), 'status', '__proto__', '');
    const message = fc.record({ t: kinds }, { requiredKeys: [] }).chain((base) =>
      fc.dictionary(fc.string({ maxLength: 12 }), fc.anything(), { maxKeys: 8 }).map((rest) => ({ ...rest, ...base })));
    fc.assert(fc.property(fc.oneof(fc.anything(), message), (m) => {
      const problem = checkSessionMessage(m, LIMITS);
      assert.ok(problem === null || typeof problem === 'string');
    }), { numRuns: 2000 });
  });
});
