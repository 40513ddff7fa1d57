/**
 * Message selectors (SUBSCRIBE `selector`, ActiveMQ's SQL-92 subset over headers), evaluated in the
 * subscriber's own session: topics deliver only what a subscription selects; on a queue a message a
 * consumer's selector refuses goes to another consumer, and one nobody selects waits aside without
 * holding up the messages behind it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bodies, connectStomp, sendConfirmed, subscribe, uniqueDest, useBroker } from '../helpers/broker.js';

describe('selectors', () => {
  const ctx = useBroker({ producer: true });

  test('a topic subscription gets only what its selector selects', async () => {
    const topic = uniqueDest('topic', 'sel');
    const c = await connectStomp(ctx.broker.port);
    await subscribe(c, topic, 's', { selector: "type = 'order' AND amount > 10" });
    await sendConfirmed(ctx.producer, topic, 'small', { type: 'order', amount: '5' });
    await sendConfirmed(ctx.producer, topic, 'refund', { type: 'refund', amount: '50' });
    await sendConfirmed(ctx.producer, topic, 'big', { type: 'order', amount: '50' });
    assert.deepEqual(bodies([await c.expectFrame('MESSAGE')]), ['big']);
    await c.expectNoFrame();
    c.close();
  });

  test('queue consumers with selectors each get what they select; the rest waits without blocking', async () => {
    const queue = uniqueDest('queue', 'sel');
    const red = await connectStomp(ctx.broker.port);
    await subscribe(red, queue, 'r', { selector: "color = 'red'" });
    const blue = await connectStomp(ctx.broker.port);
    await subscribe(blue, queue, 'b', { selector: "color = 'blue'" });
    for (const [body, color] of [['r1', 'red'], ['g1', 'green'], ['b1', 'blue'], ['r2', 'red'], ['b2', 'blue']]) {
      await sendConfirmed(ctx.producer, queue, body, { color });
    }
    assert.deepEqual(bodies(await red.expectFrames('MESSAGE', 2)), ['r1', 'r2']);
    assert.deepEqual(bodies(await blue.expectFrames('MESSAGE', 2)), ['b1', 'b2']);
    // The green message was selected by nobody: a consumer without a selector gets it.
    const any = await connectStomp(ctx.broker.port);
    await subscribe(any, queue, 'a');
    assert.deepEqual(bodies([await any.expectFrame('MESSAGE')]), ['g1']);
    for (const c of [red, blue, any]) c.close();
  });

  test('a selector that does not parse gets ERROR naming the column', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.frame('SUBSCRIBE', { destination: '/queue/x', id: 's', selector: "color = ", receipt: 'r' });
    const err = await c.expectErrorAndClose();
    assert.equal(err.headers.message, 'Invalid selector');
    assert.match(err.body.toString(), /column \d+/);
  });
});
