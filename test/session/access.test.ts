/**
 * The session's own permission checks, before anything reaches the hub: SEND needs write (at SEND and
 * again at COMMIT), SUBSCRIBE read, a durable subscription and its end admin, dead-letter queues admin.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Access } from '../../src/auth/access.js';
import { handleSend } from '../../src/session/handlers/send.js';
import { handleSubscribe, handleUnsubscribe } from '../../src/session/handlers/subscribe.js';
import { handleBegin, handleCommit } from '../../src/session/handlers/transaction.js';
import { acceptLogin, handleConnect } from '../../src/session/handlers/connect.js';
import { addSubscription, fakeContext, frame, throwsStomp } from './fake-context.js';

const BOB: Access = {
  user: { name: 'bob', grants: [{ rights: ['read', 'write'], pattern: '/queue/jobs.*' }, { rights: ['read'], pattern: '/topic/*' }] },
  deadLetters: ['/queue/jobs.failed'],
  ownQueues: '/reply-queue/session-4242-Zm9vYmFyYmF6.',
};

describe('session permission checks', () => {
  test('SEND without write: ACCESS_REFUSED naming destination and right; nothing sent to the hub', () => {
    const ctx = fakeContext({ access: BOB });
    throwsStomp(() => handleSend(frame('SEND', { destination: '/queue/other' }), ctx),
      'ACCESS_REFUSED', 'access refused: no write right on /queue/other', /User "bob" has no write right on \/queue\/other/);
    assert.deepEqual(ctx.messages, []);
    handleSend(frame('SEND', { destination: '/queue/jobs.a' }), ctx);
    assert.equal((ctx.messages as Array<{ t: string }>)[0].t, 'publish');
  });

  test('SUBSCRIBE without read; a durable one without admin; a configured dead-letter queue without admin', () => {
    const ctx = fakeContext({ access: BOB });
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/other', id: '1' }), ctx),
      'ACCESS_REFUSED', 'access refused: no read right on /queue/other');
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/t', id: '2', 'activemq.subscriptionName': 'd' }), ctx),
      'ACCESS_REFUSED', 'access refused: no admin right on /topic/t', /durable subscriptions need it/);
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/jobs.failed', id: '3' }), ctx),
      'ACCESS_REFUSED', 'access refused: no admin right on /queue/jobs.failed', /dead-letter queues need it/);
    assert.deepEqual(ctx.messages, []);
    assert.equal(ctx.state.subscriptions.size, 0);
  });

  // The rights of COMMIT time count: a reload may have taken write away since the SEND.
  test('COMMIT checks every SEND of the transaction again', () => {
    const ctx = fakeContext({ access: BOB });
    handleBegin(frame('BEGIN', { transaction: 't' }), ctx);
    handleSend(frame('SEND', { destination: '/queue/jobs.a', transaction: 't' }), ctx);
    ctx.state.access = { ...BOB, user: { name: 'bob', grants: [{ rights: ['read'], pattern: '*' }] } };
    throwsStomp(() => handleCommit(frame('COMMIT', { transaction: 't' }), ctx), 'ACCESS_REFUSED', /no write right on \/queue\/jobs\.a/);
    assert.ok(!ctx.messages.some((m) => m.t === 'commit'));
  });

  test('ending a durable subscription for good needs admin; detaching does not', () => {
    const ctx = fakeContext({ access: BOB });
    addSubscription(ctx, 'd1', '/topic/t', { durable: true });
    throwsStomp(() => handleUnsubscribe(frame('UNSUBSCRIBE', { id: 'd1', durable: 'true' }), ctx),
      'ACCESS_REFUSED', 'access refused: no admin right on /topic/t');
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 'd1' }), ctx);
    assert.equal(ctx.messages.at(-1)?.t, 'unsubscribe');
  });

  // Temporary queues are private to their connection: no right needed; another connection's need write.
  test('own temporary queues need no right; replying to another connection\'s needs write', () => {
    const ctx = fakeContext({ access: BOB });
    handleSend(frame('SEND', { destination: '/queue/jobs.req', 'reply-to': '/temp-queue/answers' }), ctx);
    handleSend(frame('SEND', { destination: '/temp-queue/notes' }), ctx);
    assert.deepEqual(ctx.messages.map((m) => (m as { dest: string }).dest),
      ['/reply-queue/session-4242-Zm9vYmFyYmF6.answers', '/queue/jobs.req', '/reply-queue/session-4242-Zm9vYmFyYmF6.notes']);
    throwsStomp(() => handleSend(frame('SEND', { destination: '/reply-queue/session-99-1.answers' }), ctx),
      'ACCESS_REFUSED', 'access refused: no write right on /reply-queue/session-99-1.answers');
  });

  // The hub's name for the client (a certificate's CN) replaces the login header.
  test('the login is the one the hub accepted', () => {
    const ctx = fakeContext({ connected: false });
    handleConnect(frame('CONNECT', { 'accept-version': '1.2', login: 'whatever' }), ctx);
    acceptLogin(ctx, BOB);
    assert.equal(ctx.state.login, 'bob');
    assert.deepEqual(ctx.messages.at(-1), { t: 'connected', login: 'bob', version: '1.2', remote: ctx.remote, clientId: '' });
  });
});
