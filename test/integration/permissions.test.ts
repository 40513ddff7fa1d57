/**
 * Rights per user and destination pattern: read (SUBSCRIBE), write (SEND, also inside a transaction),
 * admin (durable subscriptions, dead-letter queues). A frame without the right gets ERROR naming the
 * destination and the missing right, then a close, and what it carried is not queued.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brokerStatus, connectStomp, type RawClient, receiptId, sendConfirmed, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';
import { removeUsers, type TestUser, usersPath, writeUsers } from '../helpers/users.js';

const USERS: Record<string, TestUser> = {
  // Producers and consumers of the jobs queues; reads the events topics.
  alice: { password: 'a', allow: [['read,write', '/queue/jobs-*'], ['read', '/topic/events.*']] },
  // Everything but admin.
  carol: { password: 'c', allow: [['read,write', '*']] },
  // Everything.
  ops: { password: 'o', allow: [['read,write,admin', '*']] },
  // Answers requests: reads the jobs queues, may reply to anyone's temporary queue.
  responder: { password: 'r', allow: [['read', '/queue/jobs-*'], ['write', '/reply-queue/*']] },
  // A user without any permission line may do nothing.
  nobody: { password: 'n' },
};

/** Connects as `user` (its password is its name's first letter). */
function login(port: number, user: string): Promise<RawClient> {
  return connectStomp(port, { login: user, passcode: USERS[user].password });
}

/** Sends `command` with a receipt; expects ERROR with that receipt-id and a close; returns its message. */
async function refused(client: RawClient, command: string, headers: Record<string, string>, body = ''): Promise<string> {
  const receipt = receiptId('refused');
  await client.frame(command, { ...headers, receipt }, body);
  const err = await client.expectErrorAndClose();
  assert.equal(err.headers['receipt-id'], receipt);
  return err.headers.message;
}

describe('permissions', () => {
  const usersFile = usersPath();
  before(() => writeUsers(USERS, usersFile));
  after(() => removeUsers(usersFile));
  const ctx = useBroker({
    args: ['--users', usersFile],
    config: { destinations: { '/queue/jobs-*': { deadLetter: '/queue/failed-jobs' } } },
  });

  /** The depth of queue `name` (0 when it does not exist). */
  async function depth(name: string): Promise<number> {
    return (await brokerStatus(ctx.broker)).destinations.find((d) => d.name === name)?.depth ?? 0;
  }

  // SEND without write: ERROR naming destination and right; the message is not queued.
  test('SEND without write → ERROR "access refused: no write right on …", nothing queued', async () => {
    const queue = uniqueDest('queue', 'other');
    const alice = await login(ctx.broker.port, 'alice');
    assert.equal(await refused(alice, 'SEND', { destination: queue }, 'not allowed'), `access refused: no write right on ${queue}`);
    assert.equal(await depth(queue), 0);
  });

  test('SUBSCRIBE without read → ERROR naming the destination and read', async () => {
    const queue = uniqueDest('queue', 'other');
    const alice = await login(ctx.broker.port, 'alice');
    assert.equal(await refused(alice, 'SUBSCRIBE', { destination: queue, id: 's' }), `access refused: no read right on ${queue}`);
  });

  // The rights of a user without permission lines: none at all.
  test('a user without permission lines may neither read nor write', async () => {
    const queue = uniqueDest('queue', 'jobs');
    assert.match(await refused(await login(ctx.broker.port, 'nobody'), 'SEND', { destination: queue }), /no write right/);
    assert.match(await refused(await login(ctx.broker.port, 'nobody'), 'SUBSCRIBE', { destination: queue, id: 's' }), /no read right/);
  });

  // What the lines allow works, on the same connection, for both directions.
  test('within its patterns a user reads and writes', async () => {
    const queue = uniqueDest('queue', 'jobs');
    const alice = await login(ctx.broker.port, 'alice');
    await subscribe(alice, queue, 's');
    await sendConfirmed(alice, queue, 'job');
    assert.equal((await alice.expectFrame('MESSAGE')).body.toString(), 'job');
    await alice.disconnect();
  });

  // A wildcard subscription must be covered as a whole: /topic/events.# also receives /topic/events.
  test('wildcard topic subscriptions: events.* allowed, events.# refused', async () => {
    const alice = await login(ctx.broker.port, 'alice');
    await subscribe(alice, '/topic/events.*', 'star');
    assert.equal(await refused(alice, 'SUBSCRIBE', { destination: '/topic/events.#', id: 'hash' }),
      'access refused: no read right on /topic/events.#');
  });

  // A SEND inside a transaction is checked when it is sent (and again at COMMIT: see reload tests).
  test('a transactional SEND without write → ERROR; the transaction is gone with the connection', async () => {
    const allowed = uniqueDest('queue', 'jobs');
    const forbidden = uniqueDest('queue', 'other');
    const alice = await login(ctx.broker.port, 'alice');
    await alice.frame('BEGIN', { transaction: 't' });
    await alice.frame('SEND', { destination: allowed, transaction: 't' }, 'in tx');
    assert.match(await refused(alice, 'SEND', { destination: forbidden, transaction: 't' }), /no write right/);
    assert.equal(await depth(allowed), 0);
    assert.equal(await depth(forbidden), 0);
  });

  // Durable subscriptions need admin besides read.
  test('a durable subscription needs admin', async () => {
    const topic = '/topic/events.durable';
    const alice = await connectStomp(ctx.broker.port, { login: 'alice', passcode: 'a', 'client-id': 'alice-1' });
    assert.equal(await refused(alice, 'SUBSCRIBE', { destination: topic, id: 'd', 'activemq.subscriptionName': 'keep' }),
      `access refused: no admin right on ${topic}`);
    const ops = await connectStomp(ctx.broker.port, { login: 'ops', passcode: 'o', 'client-id': 'ops-1' });
    await subscribe(ops, topic, 'd', { 'activemq.subscriptionName': 'keep' });
    await ops.frame('UNSUBSCRIBE', { id: 'd', 'activemq.subscriptionName': 'keep', receipt: 'gone' });
    await ops.expectReceipt('gone');
    await ops.disconnect();
  });

  // Dead-letter queues need admin: /queue/DLQ.* by name and the ones the configuration names.
  for (const dlq of ['/queue/DLQ.jobs', '/queue/failed-jobs']) {
    test(`${dlq}: carol (read,write on *) is refused, ops (admin) may`, async () => {
      const carol = await login(ctx.broker.port, 'carol');
      assert.equal(await refused(carol, 'SUBSCRIBE', { destination: dlq, id: 'd' }), `access refused: no admin right on ${dlq}`);
      const carol2 = await login(ctx.broker.port, 'carol');
      assert.equal(await refused(carol2, 'SEND', { destination: dlq }, 'x'), `access refused: no admin right on ${dlq}`);
      const ops = await login(ctx.broker.port, 'ops');
      await subscribe(ops, dlq, 'd');
      await sendConfirmed(ops, dlq, 're-sent');
      assert.equal((await ops.expectFrame('MESSAGE')).body.toString(), 're-sent');
      await ops.disconnect();
    });
  }

  // Request/reply: the requester needs no right on its own temporary queue; replying to it needs write
  // on /reply-queue/*; consuming someone else's needs read there.
  test('temporary queues: own ones free, replies need write on /reply-queue/*', async () => {
    const requests = uniqueDest('queue', 'jobs');
    const responder = await login(ctx.broker.port, 'responder');
    await subscribe(responder, requests, 'r');
    const requester = await login(ctx.broker.port, 'alice');
    await sendConfirmed(requester, requests, 'ping', { 'reply-to': '/temp-queue/answers' });
    const replyTo = (await responder.expectFrame('MESSAGE')).headers['reply-to'];
    await sendConfirmed(responder, replyTo, 'pong');
    assert.equal((await requester.expectFrame('MESSAGE')).body.toString(), 'pong');
    const carol = await login(ctx.broker.port, 'alice');
    assert.equal(await refused(carol, 'SEND', { destination: replyTo }, 'x'), `access refused: no write right on ${replyTo}`);
    const thief = await login(ctx.broker.port, 'responder');
    assert.equal(await refused(thief, 'SUBSCRIBE', { destination: replyTo, id: 's' }), `access refused: no read right on ${replyTo}`);
    await requester.disconnect();
    await responder.disconnect();
  });

  // A refused client does not disturb anyone else.
  test('other clients go on while one is refused', async () => {
    const queue = uniqueDest('queue', 'jobs');
    const worker = await login(ctx.broker.port, 'alice');
    await subscribe(worker, queue, 'w');
    const intruder = await login(ctx.broker.port, 'nobody');
    await refused(intruder, 'SEND', { destination: queue }, 'intrusion');
    const producer = await login(ctx.broker.port, 'carol');
    await sendConfirmed(producer, queue, 'legit');
    assert.equal((await worker.expectFrame('MESSAGE')).body.toString(), 'legit');
    await producer.disconnect();
    await worker.disconnect();
  });
});
