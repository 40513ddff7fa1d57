/**
 * Temporary queues (`/temp-queue/NAME`) for request/reply, as RabbitMQ offers them: a SEND with
 * `reply-to:/temp-queue/NAME` subscribes its connection to a private queue and rewrites `reply-to` to the
 * queue's public name; only that connection may consume from it, and it is gone when the connection ends.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  brokerStatus, connectStomp, eventually, REPO_ROOT, sendConfirmed, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';

function findPython(): string | null {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (spawnSync(candidate, ['-c', 'import stomp'], { stdio: 'ignore', timeout: 30_000 }).status === 0) return candidate;
  }
  return null;
}
const PYTHON = findPython();

describe('temporary queues', () => {
  const ctx = useBroker({ producer: true });

  test('reply-to /temp-queue/… is rewritten, subscribed and answered', async () => {
    const requests = uniqueDest('queue', 'requests');
    const responder = await connectStomp(ctx.broker.port);
    await subscribe(responder, requests, 'r');
    const requester = await connectStomp(ctx.broker.port);
    await sendConfirmed(requester, requests, 'ping', { 'reply-to': '/temp-queue/answers' });
    const request = await responder.expectFrame('MESSAGE');
    const replyTo = request.headers['reply-to'];
    assert.match(replyTo, /^\/reply-queue\/.+\.answers$/);
    await sendConfirmed(responder, replyTo, 'pong');
    const reply = await requester.expectFrame('MESSAGE');
    assert.equal(reply.body.toString(), 'pong');
    assert.equal(reply.headers.subscription, '/temp-queue/answers');
    assert.equal(reply.headers.destination, '/temp-queue/answers');

    // Nobody else may consume from it.
    const thief = await connectStomp(ctx.broker.port);
    await thief.frame('SUBSCRIBE', { destination: replyTo, id: 'steal', receipt: 'steal' });
    assert.equal((await thief.expectErrorAndClose()).headers.message, 'Access refused');

    // When its connection ends the queue is gone: a late reply is dropped, not kept for anyone.
    await requester.disconnect();
    // (The hub learns of the end from the session, so the reply may still reach the queue and be
    // dropped with it a moment later.)
    await sendConfirmed(responder, replyTo, 'too late');
    await eventually(async () => ((await brokerStatus(ctx.broker)).destinations.find((d) => d.name === replyTo)?.depth ?? 0) === 0);
    responder.close();
  });

  // Explicit SUBSCRIBE to a temporary queue, and SEND to it by its temporary name, stay on the connection.
  test('a connection can subscribe to and send to its own /temp-queue/', async () => {
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, '/temp-queue/mine', 'm');
    await sendConfirmed(c, '/temp-queue/mine', 'to myself');
    const m = await c.expectFrame('MESSAGE');
    assert.equal(m.body.toString(), 'to myself');
    assert.equal(m.headers.destination, '/temp-queue/mine');
    // Another connection's /temp-queue/mine is another queue.
    const other = await connectStomp(ctx.broker.port);
    await sendConfirmed(other, '/temp-queue/mine', 'elsewhere');
    await c.expectNoFrame();
    c.close();
    other.close();
  });

  test('stomp.py: request/reply round trip over a temporary queue',
    { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 90_000 }, async () => {
      const script = path.join(REPO_ROOT, 'test', 'integration', 'python', 'request_reply.py');
      const requests = uniqueDest('queue', 'py-requests');
      const out = await new Promise<string>((resolve, reject) => {
        execFile(PYTHON!, [script, '127.0.0.1', String(ctx.broker.port), requests], { timeout: 60_000 },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
      });
      const report = JSON.parse(out.trim().split('\n').at(-1)!) as {
        replies: string[]; subscriptions: string[]; destinations: string[]; reply_to_seen: string[];
      };
      assert.deepEqual(report.replies, ['reply to q0', 'reply to q1', 'reply to q2']);
      assert.deepEqual(report.subscriptions, ['/temp-queue/replies']);
      assert.equal(report.reply_to_seen.length, 1);
      assert.match(report.reply_to_seen[0], /^\/reply-queue\//);
    });
});
