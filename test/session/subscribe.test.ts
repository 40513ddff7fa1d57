/** SUBSCRIBE / UNSUBSCRIBE handlers: subscription state, what the hub is told, durable names, 1.0 ids, limits. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SubscribeMsg, UnsubscribeMsg } from '../../src/ipc/contract.js';
import { handleSubscribe, handleUnsubscribe } from '../../src/session/handlers/subscribe.js';
import {
  addSubscription, deliver, type FakeContext, fakeContext, frame, FULL_ACCESS, receiptOf, throwsStomp,
} from './fake-context.js';

function subscribeMsg(ctx: FakeContext, i = 0): SubscribeMsg {
  const m = ctx.messages[i];
  assert.equal(m.t, 'subscribe');
  return m as SubscribeMsg;
}

describe('SUBSCRIBE', () => {
  // Defaults: auto ack, unlimited credit, the destination's ack timeout, not durable, no receipt.
  test('the hub is told the subscription with its defaults; the state holds it', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 's1' }), ctx);
    assert.deepEqual(ctx.messages, [{
      t: 'subscribe', sub: 1, dest: '/queue/a', ack: 'auto', prefetch: 0, ackTimeoutMs: 0, durable: '', rid: 0,
    }]);
    const sub = ctx.state.subscriptions.get('s1');
    assert.ok(sub);
    assert.equal(ctx.state.subsByKey.get(1), sub);
    assert.deepEqual({ ...sub, unacked: [...sub.unacked] }, {
      id: 's1', key: 1, dest: '/queue/a', ack: 'auto', prefetch: 0, claims: 0, passedEpoch: -1, unacked: [], closed: false,
      durable: false,
    });
    assert.deepEqual(ctx.sent, []);
  });

  // Each subscription gets its own bus key; a receipt becomes the request id.
  test('keys are distinct; receipt → request id', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 'x' }), ctx);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 'y', receipt: 'sub-y' }), ctx);
    assert.notEqual(subscribeMsg(ctx, 0).sub, subscribeMsg(ctx, 1).sub);
    assert.equal(receiptOf(ctx, subscribeMsg(ctx, 1).rid), 'sub-y');
  });

  // Client ack modes get the configured default credit; auto gets none unless asked.
  for (const [ack, prefetch] of [['client', 1000], ['client-individual', 1000], ['auto', 0]] as const) {
    test(`ack:${ack} → prefetch ${prefetch} by default`, () => {
      const ctx = fakeContext();
      handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 's', ack }), ctx);
      assert.equal(subscribeMsg(ctx).ack, ack);
      assert.equal(subscribeMsg(ctx).prefetch, prefetch);
      assert.equal(ctx.state.subscriptions.get('s')!.prefetch, prefetch);
    });
  }

  test('the default credit is the configured one', () => {
    const ctx = fakeContext({ config: { defaultPrefetch: 7 } });
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 's', ack: 'client' }), ctx);
    assert.equal(subscribeMsg(ctx).prefetch, 7);
  });

  // RabbitMQ's prefetch-count wins over ActiveMQ's activemq.prefetchSize; 0 = unlimited.
  test('prefetch-count and activemq.prefetchSize set the credit', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE',
      { destination: '/queue/a', id: 'a', ack: 'client', 'prefetch-count': '5' }), ctx);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 'b', 'activemq.prefetchSize': '3' }), ctx);
    handleSubscribe(frame('SUBSCRIBE', {
      destination: '/queue/a', id: 'c', ack: 'client', 'prefetch-count': '0', 'activemq.prefetchSize': '9',
    }), ctx);
    assert.deepEqual(ctx.messages.map((m) => (m as SubscribeMsg).prefetch), [5, 3, 0]);
  });

  test('ack-timeout is passed on', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE',
      { destination: '/queue/a', id: 's', ack: 'client', 'ack-timeout': '1500' }), ctx);
    assert.equal(subscribeMsg(ctx).ackTimeoutMs, 1500);
  });

  // Topic subscriptions feed topic fan-out in the session (durable ones are fed through offers instead).
  test('a topic subscription is matched by topic messages; a queue one is not', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/a.*', id: 't' }), ctx);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a.b', id: 'q' }), ctx);
    assert.deepEqual([...ctx.state.topicSubscriptionsFor('/topic/a.b')].map((s) => s.id), ['t']);
  });

  // The matches are remembered per destination: each SUBSCRIBE and UNSUBSCRIBE must show in the next lookup.
  test('topic matches follow SUBSCRIBE and UNSUBSCRIBE', () => {
    const ctx = fakeContext();
    const ids = () => [...ctx.state.topicSubscriptionsFor('/topic/a.b')].map((s) => s.id).sort();
    assert.deepEqual(ids(), []);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/a.*', id: 'w' }), ctx);
    assert.deepEqual(ids(), ['w']);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/a.b', id: 'e' }), ctx);
    assert.deepEqual(ids(), ['e', 'w']);
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 'w' }), ctx);
    assert.deepEqual(ids(), ['e']);
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 'e' }), ctx);
    assert.deepEqual(ids(), []);
  });
});

describe('SUBSCRIBE: durable topic subscriptions', () => {
  /** The durable name SUBSCRIBE with `headers` asks the hub for, on a connection with `clientId`. */
  function durableOf(headers: Record<string, string>, clientId = '', dest = '/topic/news'): string {
    const ctx = fakeContext();
    ctx.state.clientId = clientId;
    handleSubscribe(frame('SUBSCRIBE', { destination: dest, id: 'sub-1', ...headers }), ctx);
    const sub = ctx.state.subscriptions.get('sub-1')!;
    assert.equal(sub.durable, subscribeMsg(ctx).durable !== '', 'the state agrees with the hub');
    // A durable subscription is fed through offers, never by topic fan-out in the session.
    const fanOut = [...ctx.state.topicSubscriptionsFor(dest)];
    if (dest.startsWith('/topic/')) assert.deepEqual(fanOut, sub.durable ? [] : [sub]);
    return subscribeMsg(ctx).durable;
  }

  // ActiveMQ: activemq.subscriptionName, scoped by CONNECT's client-id.
  test('activemq.subscriptionName → "<client-id>:<name>"', () => {
    assert.equal(durableOf({ 'activemq.subscriptionName': 'feed' }, 'c1'), 'c1:feed');
    assert.equal(durableOf({ 'activemq.subscriptionName': 'feed' }), 'feed');
  });

  // With a users file the login scopes the name: another user naming it gets a subscription of his own.
  test('a logged-in user\'s durable names start with the login', () => {
    const ctx = fakeContext({ access: { ...FULL_ACCESS, user: { name: 'alice', grants: FULL_ACCESS.user.grants } } });
    ctx.state.clientId = 'c1';
    handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/news', id: 'sub-1', 'activemq.subscriptionName': 'feed' }), ctx);
    assert.equal(subscribeMsg(ctx).durable, 'alice/c1:feed');
  });

  // RabbitMQ: durable:true (or persistent:true) with auto-delete:false, named by the id and the topic.
  test('durable:true + auto-delete:false → "<client-id>:<id>@<topic>"', () => {
    assert.equal(durableOf({ durable: 'true', 'auto-delete': 'false' }, 'c1'), 'c1:sub-1@/topic/news');
    assert.equal(durableOf({ persistent: 'true', 'auto-delete': 'false' }), 'sub-1@/topic/news');
    assert.equal(durableOf({ durable: 'true', 'auto-delete': 'false' }, '', '/topic/sport'), 'sub-1@/topic/sport');
  });

  test('durable:true alone (auto-delete defaults to true), or an empty subscriptionName → not durable', () => {
    assert.equal(durableOf({ durable: 'true' }), '');
    assert.equal(durableOf({ durable: 'false', 'auto-delete': 'false' }), '');
    assert.equal(durableOf({ 'activemq.subscriptionName': '' }), '');
  });

  // Only topics have durable subscriptions: on a queue the headers mean nothing.
  test('durable headers on a queue → not durable', () => {
    assert.equal(durableOf({ 'activemq.subscriptionName': 'feed' }, 'c1', '/queue/news'), '');
    assert.equal(durableOf({ durable: 'true', 'auto-delete': 'false' }, 'c1', '/queue/news'), '');
  });

  test('durable:maybe on a topic → BAD_HEADER', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/t', id: 's', durable: 'maybe' }), ctx),
      'BAD_HEADER', 'Invalid header', /'durable' must be true or false, got 'maybe'/);
    assert.equal(ctx.state.subscriptions.size, 0);
  });
});

describe('SUBSCRIBE: id by version', () => {
  // STOMP 1.0 makes `id` optional: the destination then names the subscription.
  test('1.0 without id: the destination is the id', () => {
    const ctx = fakeContext({ connected: '1.0' });
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a' }), ctx);
    assert.ok(ctx.state.subscriptions.has('/queue/a'));
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a' }), ctx),
      'DUPLICATE_SUBSCRIPTION', 'Duplicate subscription', /^Subscription id '\/queue\/a' is already in use\.$/);
  });

  test('1.0 with an id uses it', () => {
    const ctx = fakeContext({ connected: '1.0' });
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 'mine' }), ctx);
    assert.deepEqual([...ctx.state.subscriptions.keys()], ['mine']);
  });

  for (const version of ['1.1', '1.2'] as const) {
    test(`${version} without id → MISSING_HEADER`, () => {
      const ctx = fakeContext({ connected: version });
      throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a' }), ctx),
        'MISSING_HEADER', 'Missing header', /^SUBSCRIBE frame requires the 'id' header\.$/);
      assert.deepEqual(ctx.messages, []);
    });
  }
});

describe('SUBSCRIBE: errors (no state change, nothing reaches the hub)', () => {
  /** Asserts that SUBSCRIBE with `headers` is refused and changed nothing. */
  function refused(headers: Record<string, string>, code: Parameters<typeof throwsStomp>[1], message: string,
    detail?: RegExp): void {
    const ctx = fakeContext();
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', headers), ctx), code, message, detail);
    assert.equal(ctx.state.subscriptions.size, 0);
    assert.equal(ctx.state.subsByKey.size, 0);
    assert.deepEqual(ctx.messages, []);
  }

  test('no destination → MISSING_HEADER', () => {
    refused({ id: 's' }, 'MISSING_HEADER', 'Missing header', /'destination'/);
  });

  test('a destination over the limit → BAD_DESTINATION', () => {
    refused({ id: 's', destination: `/queue/${'x'.repeat(1024)}` }, 'BAD_DESTINATION', 'Invalid destination');
  });

  test('ack:sometimes → BAD_HEADER "Invalid ack mode"', () => {
    refused({ id: 's', destination: '/queue/a', ack: 'sometimes' }, 'BAD_HEADER', 'Invalid ack mode',
      /ack must be auto, client or client-individual, got 'sometimes'/);
  });

  test('a bad prefetch-count, activemq.prefetchSize or ack-timeout → BAD_HEADER', () => {
    refused({ id: 's', destination: '/queue/a', 'prefetch-count': '-1' }, 'BAD_HEADER', 'Invalid header',
      /'prefetch-count' must be a non-negative integer/);
    refused({ id: 's', destination: '/queue/a', 'activemq.prefetchSize': 'many' }, 'BAD_HEADER', 'Invalid header',
      /'activemq.prefetchSize'/);
    refused({ id: 's', destination: '/queue/a', 'ack-timeout': '1.5' }, 'BAD_HEADER', 'Invalid header',
      /'ack-timeout'/);
  });

  test('an id in use → DUPLICATE_SUBSCRIPTION; the first subscription is untouched', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 'same' }), ctx);
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/b', id: 'same' }), ctx),
      'DUPLICATE_SUBSCRIPTION', 'Duplicate subscription', /^Subscription id 'same' is already in use\.$/);
    assert.equal(ctx.state.subscriptions.get('same')!.dest, '/queue/a');
    assert.equal(ctx.messages.length, 1);
  });

  // maxSubscriptions bounds what one connection holds; an UNSUBSCRIBE frees a place.
  test('past maxSubscriptions → RESOURCE_LIMIT "Too many subscriptions"; UNSUBSCRIBE frees a place', () => {
    const ctx = fakeContext({ config: { maxSubscriptions: 2 } });
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: '1' }), ctx);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/b', id: '2' }), ctx);
    throwsStomp(() => handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/c', id: '3' }), ctx),
      'RESOURCE_LIMIT', 'Too many subscriptions', /^A connection may hold at most 2 subscriptions at once\.$/);
    assert.equal(ctx.state.subscriptions.size, 2);
    assert.equal(ctx.messages.length, 2);
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: '1' }), ctx);
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/c', id: '3' }), ctx);
    assert.deepEqual([...ctx.state.subscriptions.keys()].sort(), ['2', '3']);
  });
});

describe('UNSUBSCRIBE', () => {
  // The subscription ends in the session (closed, unacked deliveries forgotten) and the hub takes them back.
  test('ends the subscription and forgets its unacked deliveries; the hub is told', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/a', id: 's', ack: 'client' }), ctx);
    const sub = ctx.state.subscriptions.get('s')!;
    const d = deliver(ctx, sub, 10);
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 's', receipt: 'bye' }), ctx);
    const msg = ctx.messages[1] as UnsubscribeMsg;
    assert.equal(msg.t, 'unsubscribe');
    assert.equal(msg.sub, sub.key);
    assert.equal(msg.forget, false);
    assert.equal(receiptOf(ctx, msg.rid), 'bye');
    assert.equal(sub.closed, true);
    assert.equal(ctx.state.subscriptions.has('s'), false);
    assert.equal(ctx.state.subsByKey.has(sub.key), false);
    assert.equal(ctx.state.unacked.has(d.ackId), false);
    assert.equal(sub.unacked.size, 0);
    assert.deepEqual([...ctx.state.topicSubscriptionsFor('/topic/a')], []);
  });

  // Grants may still be in flight for a subscription with claims: the session keeps its key until they land.
  test('a subscription with claims outstanding keeps its bus key', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 's' }), ctx);
    const sub = ctx.state.subscriptions.get('s')!;
    sub.claims = 1;
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 's' }), ctx);
    assert.equal(ctx.state.subsByKey.get(sub.key), sub);
    assert.equal(sub.closed, true);
  });

  // A durable subscription is only detached, unless the UNSUBSCRIBE says to end it (ActiveMQ's or RabbitMQ's way).
  for (const [headers, forget] of [
    [{}, false],
    [{ 'activemq.subscriptionName': 'feed' }, true],
    [{ durable: 'true' }, true],
    [{ persistent: 'true' }, true],
    [{ durable: 'false' }, false],
  ] as const) {
    test(`UNSUBSCRIBE ${JSON.stringify(headers)} → forget ${forget}`, () => {
      const ctx = fakeContext();
      handleSubscribe(frame('SUBSCRIBE',
        { destination: '/topic/a', id: 's', 'activemq.subscriptionName': 'feed' }), ctx);
      handleUnsubscribe(frame('UNSUBSCRIBE', { id: 's', ...headers }), ctx);
      assert.equal((ctx.messages[1] as UnsubscribeMsg).forget, forget);
    });
  }

  // 1.0: by id, or else by destination (which is the id of a SUBSCRIBE that had none).
  test('1.0: by destination when the SUBSCRIBE had no id', () => {
    const ctx = fakeContext({ connected: '1.0' });
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a' }), ctx);
    handleUnsubscribe(frame('UNSUBSCRIBE', { destination: '/queue/a' }), ctx);
    assert.equal(ctx.state.subscriptions.size, 0);
    assert.equal(ctx.messages[1].t, 'unsubscribe');
  });

  test('1.0: by id', () => {
    const ctx = fakeContext({ connected: '1.0' });
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 'mine' }), ctx);
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 'mine' }), ctx);
    assert.equal(ctx.state.subscriptions.size, 0);
  });

  test('1.0: neither id nor destination → MISSING_HEADER naming destination', () => {
    const ctx = fakeContext({ connected: '1.0' });
    throwsStomp(() => handleUnsubscribe(frame('UNSUBSCRIBE'), ctx), 'MISSING_HEADER', 'Missing header',
      /^UNSUBSCRIBE frame requires the 'destination' header\.$/);
  });

  // 1.1 and 1.2 require the id; a destination does not name a subscription.
  for (const version of ['1.1', '1.2'] as const) {
    test(`${version}: without id → MISSING_HEADER, even with a destination`, () => {
      const ctx = fakeContext({ connected: version });
      handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 's' }), ctx);
      throwsStomp(() => handleUnsubscribe(frame('UNSUBSCRIBE', { destination: '/queue/a' }), ctx),
        'MISSING_HEADER', 'Missing header', /'id'/);
      assert.equal(ctx.state.subscriptions.size, 1);
    });
  }

  test('an id with no subscription → UNKNOWN_SUBSCRIPTION', () => {
    const ctx = fakeContext();
    throwsStomp(() => handleUnsubscribe(frame('UNSUBSCRIBE', { id: 'ghost' }), ctx),
      'UNKNOWN_SUBSCRIPTION', 'Unknown subscription', /^No subscription with id 'ghost'\.$/);
    assert.deepEqual(ctx.messages, []);
  });

  test('the same id twice → UNKNOWN_SUBSCRIPTION the second time', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/queue/a', id: 's' }), ctx);
    handleUnsubscribe(frame('UNSUBSCRIBE', { id: 's' }), ctx);
    throwsStomp(() => handleUnsubscribe(frame('UNSUBSCRIBE', { id: 's' }), ctx),
      'UNKNOWN_SUBSCRIPTION', 'Unknown subscription');
  });

  test('durable:maybe → BAD_HEADER, the subscription stays', () => {
    const ctx = fakeContext();
    handleSubscribe(frame('SUBSCRIBE', { destination: '/topic/a', id: 's' }), ctx);
    throwsStomp(() => handleUnsubscribe(frame('UNSUBSCRIBE', { id: 's', durable: 'maybe' }), ctx),
      'BAD_HEADER', 'Invalid header');
    assert.equal(ctx.state.subscriptions.get('s')!.closed, false);
  });
});

describe('UNSUBSCRIBE: 1.0 by destination', () => {
  // STOMP 1.0 lets UNSUBSCRIBE name the destination, also when the SUBSCRIBE gave an id.
  test('a subscription made with an id is found by its destination', () => {
    const ctx = fakeContext({ connected: '1.0' });
    addSubscription(ctx, 'mine', '/queue/by-dest');
    handleUnsubscribe(frame('UNSUBSCRIBE', { destination: '/queue/by-dest' }), ctx);
    assert.equal(ctx.state.subscriptions.size, 0);
  });
});
