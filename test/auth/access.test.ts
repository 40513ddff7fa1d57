/** Access: the right a request lacks (admin too for durable subscriptions and dead-letter queues), and the ERROR text. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Access, ANONYMOUS, isDeadLetter, missingRight, ownReplyQueues, refusalText,
} from '../../src/auth/access.js';

const ALICE: Access = {
  user: { name: 'alice', grants: [{ rights: ['read', 'write'], pattern: '*' }, { rights: ['admin'], pattern: '/topic/audit.*' }] },
  deadLetters: ['/queue/failed'],
  ownQueues: '/reply-queue/session-42-Zm9vYmFyYmF6.',
};

describe('missingRight', () => {
  test('read and write by pattern; none when the user holds them', () => {
    assert.equal(missingRight(ALICE, 'write', '/queue/jobs'), null);
    assert.equal(missingRight(ALICE, 'read', '/topic/x.#'), null);
    const bob: Access = { user: { name: 'bob', grants: [{ rights: ['read'], pattern: '/queue/jobs.*' }] }, deadLetters: [], ownQueues: '' };
    assert.equal(missingRight(bob, 'write', '/queue/jobs.a'), 'write');
    assert.equal(missingRight(bob, 'read', '/queue/other'), 'read');
  });

  test('dead-letter queues, by name or by configuration, need admin too', () => {
    assert.equal(missingRight(ALICE, 'read', '/queue/DLQ.jobs'), 'admin');
    assert.equal(missingRight(ALICE, 'write', '/queue/failed'), 'admin');
    assert.ok(isDeadLetter(ALICE, '/queue/failed'));
    assert.ok(!isDeadLetter(ALICE, '/queue/DLQjobs'));
  });

  test('a durable subscription needs admin on its topic', () => {
    assert.equal(missingRight(ALICE, 'read', '/topic/news.a', true), 'admin');
    assert.equal(missingRight(ALICE, 'read', '/topic/audit.a', true), null);
  });

  test('without a users file everything is allowed', () => {
    const anonymous: Access = { user: ANONYMOUS, deadLetters: ['/queue/failed'], ownQueues: '' };
    for (const right of ['read', 'write'] as const) {
      assert.equal(missingRight(anonymous, right, '/queue/DLQ.x'), null);
      assert.equal(missingRight(anonymous, right, '/topic/#', true), null);
    }
  });

  // A connection's own temporary queues need no right; anyone else's is an ordinary destination.
  test('own temporary queues need nothing; another connection\'s need the right', () => {
    const own = ownReplyQueues(42);
    assert.match(own, /^\/reply-queue\/session-42-[\w-]{16}\.$/);
    assert.notEqual(ownReplyQueues(42), own, 'a fresh token per login');
    const carol: Access = { user: { name: 'carol', grants: [] }, deadLetters: [], ownQueues: own };
    assert.equal(missingRight(carol, 'read', `${own}replies`), null);
    assert.equal(missingRight(carol, 'write', `${own}replies`), null);
    assert.equal(missingRight(carol, 'write', `${ownReplyQueues(42)}replies`), 'write');
    assert.equal(missingRight(carol, 'read', '/reply-queue/session-42-.x'), 'read');
  });

  test('the ERROR names the destination and the missing right', () => {
    const { message, detail } = refusalText(ALICE, 'admin', '/queue/DLQ.jobs');
    assert.equal(message, 'access refused: no admin right on /queue/DLQ.jobs');
    assert.match(detail, /User "alice" has no admin right on \/queue\/DLQ\.jobs \(dead-letter queues need it\)/);
  });
});
