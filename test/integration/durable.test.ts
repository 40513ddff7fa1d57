/**
 * Durable topic subscriptions, ActiveMQ style (CONNECT `client-id` + SUBSCRIBE `activemq.subscriptionName`)
 * and RabbitMQ style (`durable:true`, `auto-delete:false`, named by `id`), next to plain subscribers.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectStomp, type RawClient, sendConfirmed, uniqueDest, useBroker } from '../helpers/broker.js';
import { drainQuiet, nextMessage, nextMessages, subscribeTo, text, withReceipt } from '../helpers/jobs.js';

/** How one style names a durable subscription on SUBSCRIBE and ends it on UNSUBSCRIBE. */
interface Style {
  name: string;
  connect: (tag: string) => Record<string, string>;
  subscribe: (tag: string) => Record<string, string>;
  /** Headers (besides `id`) of the UNSUBSCRIBE that ends the subscription. */
  end: (tag: string) => Record<string, string>;
  /** The SUBSCRIBE id. */
  id: (tag: string) => string;
}

const ACTIVEMQ: Style = {
  name: 'ActiveMQ (client-id + activemq.subscriptionName)',
  connect: (tag) => ({ 'client-id': `c1-${tag}` }),
  subscribe: () => ({ 'activemq.subscriptionName': 's1' }),
  end: () => ({ 'activemq.subscriptionName': 's1' }),
  id: () => 'sub-1',
};

const RABBITMQ: Style = {
  name: 'RabbitMQ (durable:true, auto-delete:false, id)',
  connect: () => ({}),
  subscribe: () => ({ durable: 'true', 'auto-delete': 'false' }),
  end: () => ({ durable: 'true' }),
  id: (tag) => `durable-${tag}`,
};

describe('durable topic subscriptions', () => {
  const ctx = useBroker({ producer: true });
  const clients: RawClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  async function connect(headers: Record<string, string> = {}): Promise<RawClient> {
    const c = await connectStomp(ctx.broker.port, headers);
    clients.push(c);
    return c;
  }

  async function publish(topic: string, bodyList: string[]): Promise<void> {
    for (const body of bodyList) await sendConfirmed(ctx.producer, topic, body);
  }

  /** Connects and subscribes durably (auto ack) in `style`; `tag` keeps names apart between tests. */
  async function durable(style: Style, topic: string, tag: string): Promise<RawClient> {
    const c = await connect(style.connect(tag));
    await subscribeTo(c, topic, style.id(tag), style.subscribe(tag));
    return c;
  }

  for (const style of [ACTIVEMQ, RABBITMQ]) {
    describe(style.name, () => {
      // A durable subscription keeps what is published while its subscriber is away.
      test('disconnect, publish 3, reconnect and subscribe again → receives the 3', async () => {
        const topic = uniqueDest('topic', 'dur');
        const tag = topic.slice(-6);
        const first = await durable(style, topic, tag);
        await publish(topic, ['live']);
        assert.equal(text(await nextMessage(first)), 'live');
        await first.disconnect();
        await publish(topic, ['away-1', 'away-2', 'away-3']);
        const back = await durable(style, topic, tag);
        const got = await nextMessages(back, 3);
        assert.deepEqual(got.map(text), ['away-1', 'away-2', 'away-3']);
        for (const m of got) {
          assert.equal(m.headers.destination, topic);
          assert.equal(m.headers.subscription, style.id(tag));
        }
        assert.deepEqual((await drainQuiet(back)).map(text), [], 'each kept message once');
      });

      // UNSUBSCRIBE naming the durable subscription ends it: later publications are not kept.
      test('UNSUBSCRIBE that names the durable subscription ends it', async () => {
        const topic = uniqueDest('topic', 'dur-end');
        const tag = topic.slice(-6);
        const first = await durable(style, topic, tag);
        await withReceipt(first, 'UNSUBSCRIBE', { id: style.id(tag), ...style.end(tag) });
        await first.disconnect();
        await publish(topic, ['not-kept-1', 'not-kept-2']);
        const back = await durable(style, topic, tag); // a new, empty durable subscription
        assert.deepEqual((await drainQuiet(back)).map(text), []);
        await publish(topic, ['after']);
        assert.equal(text(await nextMessage(back)), 'after');
      });

      // A plain UNSUBSCRIBE only detaches: the subscription keeps collecting.
      test('plain UNSUBSCRIBE only detaches', async () => {
        const topic = uniqueDest('topic', 'dur-detach');
        const tag = topic.slice(-6);
        const first = await durable(style, topic, tag);
        await withReceipt(first, 'UNSUBSCRIBE', { id: style.id(tag) });
        await publish(topic, ['kept']);
        await subscribeTo(first, topic, style.id(tag), style.subscribe(tag));
        assert.equal(text(await nextMessage(first)), 'kept');
      });
    });
  }

  // A plain subscriber gets topic messages only while subscribed, once each, next to a durable one
  // (even on the same connection and topic).
  test('a non-durable subscriber gets messages only while connected, never twice', async () => {
    const topic = uniqueDest('topic', 'dur-mixed');
    const tag = topic.slice(-6);
    const dur = await durable(ACTIVEMQ, topic, tag);
    await subscribeTo(dur, topic, 'plain-same-conn'); // a plain subscription beside the durable one
    const plain = await connect();
    await subscribeTo(plain, topic, 'plain');

    await publish(topic, ['m1']);
    assert.equal(text(await nextMessage(plain)), 'm1');
    const both = await nextMessages(dur, 2);
    assert.deepEqual(both.map((m) => `${m.headers.subscription}:${text(m)}`).sort(),
      [`plain-same-conn:m1`, `sub-1:m1`]);

    await plain.disconnect();
    await dur.disconnect();
    await publish(topic, ['m2']);

    const plainAgain = await connect();
    await subscribeTo(plainAgain, topic, 'plain');
    const durAgain = await durable(ACTIVEMQ, topic, tag);
    assert.equal(text(await nextMessage(durAgain)), 'm2', 'the durable subscription kept m2');
    await publish(topic, ['m3']);
    assert.equal(text(await nextMessage(plainAgain)), 'm3', 'the plain subscriber missed m2 and gets m3');
    assert.equal(text(await nextMessage(durAgain)), 'm3');
    assert.deepEqual((await drainQuiet(plainAgain)).map(text), [], 'plain: nothing twice');
    assert.deepEqual((await drainQuiet(durAgain)).map(text), [], 'durable: nothing twice');
  });

  // ActiveMQ scopes a subscription name by the connection's client-id: another client-id is another subscription.
  test('the same subscriptionName under another client-id is a separate subscription', async () => {
    const topic = uniqueDest('topic', 'dur-scope');
    const tag = topic.slice(-6);
    const one = await connect({ 'client-id': `one-${tag}` });
    await subscribeTo(one, topic, 'sub-1', { 'activemq.subscriptionName': 'shared-name' });
    const two = await connect({ 'client-id': `two-${tag}` });
    await subscribeTo(two, topic, 'sub-1', { 'activemq.subscriptionName': 'shared-name' });
    await one.disconnect();
    await two.disconnect();
    await publish(topic, ['for-both']);
    for (const who of ['one', 'two']) {
      const back = await connect({ 'client-id': `${who}-${tag}` });
      await subscribeTo(back, topic, 'sub-1', { 'activemq.subscriptionName': 'shared-name' });
      assert.equal(text(await nextMessage(back)), 'for-both', `${who} kept its own copy`);
      assert.deepEqual(await drainQuiet(back), []);
    }
  });

  // RabbitMQ names a durable subscription by destination and id: two applications that both use id "1"
  // on different topics each keep their own messages (they used to share one subscription that moved).
  test('RabbitMQ style: the same id on two topics is two subscriptions', async () => {
    const news = uniqueDest('topic', 'dur-id-a');
    const sport = uniqueDest('topic', 'dur-id-b');
    const headers = { durable: 'true', 'auto-delete': 'false' };
    const a = await connect();
    await subscribeTo(a, news, '1', headers);
    await a.disconnect();
    await publish(news, ['news-1', 'news-2']);
    const b = await connect();
    await subscribeTo(b, sport, '1', headers);
    await publish(sport, ['sport-1']);
    assert.equal(text(await nextMessage(b)), 'sport-1');
    assert.deepEqual(await drainQuiet(b), [], 'nothing of the other topic');
    const back = await connect();
    await subscribeTo(back, news, '1', headers);
    assert.deepEqual((await nextMessages(back, 2)).map(text), ['news-1', 'news-2']);
  });

  // JMS: a durable subscription named again on another topic is a new one; what the old one kept for
  // its topic is deleted, never handed to the subscriber of the new topic.
  test('ActiveMQ style: the same name on another topic starts afresh; the old backlog is not delivered', async () => {
    const first = uniqueDest('topic', 'dur-move-a');
    const second = uniqueDest('topic', 'dur-move-b');
    const id = { 'client-id': `mover-${first.slice(-6)}` };
    const one = await connect(id);
    await subscribeTo(one, first, 'sub-1', { 'activemq.subscriptionName': 'moving' });
    await one.disconnect();
    await publish(first, ['old-topic']);
    const two = await connect(id);
    await subscribeTo(two, second, 'sub-1', { 'activemq.subscriptionName': 'moving' });
    await publish(second, ['new-topic']);
    assert.equal(text(await nextMessage(two)), 'new-topic');
    assert.deepEqual(await drainQuiet(two), []);
  });

  // In a client ack mode, what a durable subscriber received but did not ACK comes back when it returns.
  test('unacked messages of a durable subscription come back, redelivered, after a reconnect', async () => {
    const topic = uniqueDest('topic', 'dur-unacked');
    const tag = topic.slice(-6);
    const headers = { ...ACTIVEMQ.subscribe(tag), ack: 'client-individual' };
    const first = await connect(ACTIVEMQ.connect(tag));
    await subscribeTo(first, topic, 'sub-1', headers);
    await publish(topic, ['unacked']);
    assert.equal(text(await nextMessage(first)), 'unacked');
    first.close(); // gone without ACK
    const back = await connect(ACTIVEMQ.connect(tag));
    await subscribeTo(back, topic, 'sub-1', headers);
    const again = await nextMessage(back, 10_000);
    assert.equal(text(again), 'unacked');
    assert.equal(again.headers.redelivered, 'true');
  });
});
