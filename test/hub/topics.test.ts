/** TopicRegistry: one deliver per session, wildcard patterns, statistics kept only while a name has subscribers. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliverMsg, HubToSession, WireMessage } from '../../src/ipc/contract.js';
import type { HubSession, HubSubscription } from '../../src/hub/model.js';
import { TopicRegistry } from '../../src/hub/topics.js';

interface FakeSession extends HubSession {
  sent: HubToSession[];
}

let nextId = 1;
function session(): FakeSession {
  const s: FakeSession = {
    id: nextId++, serial: 0, pid: 1, send: (m) => s.sent.push(m), sent: [], subs: new Map(), writable: true,
    login: '', version: '1.2', remote: 'test', clientId: '', pending: null,
  };
  return s;
}

/** A subscription of `s` on topic name or pattern `source`, added to `s.subs` under the next key. */
function sub(s: FakeSession, source: string): HubSubscription {
  const key = s.subs.size + 1;
  const made: HubSubscription = {
    session: s, key, source, ack: 'auto', prefetch: 0, ackTimeoutMs: 0, pendingOffers: new Set(), unacked: new Set(),
    stalled: false, passes: 0, staleThrough: 0, stale: 0,
  };
  s.subs.set(key, made);
  return made;
}

let nextMsg = 1;
function message(dest: string): WireMessage {
  return { id: nextMsg++, dest, headers: {}, body: Buffer.from(dest), redeliveries: 0 };
}

/** The destinations of the deliver messages `s` received (and forgets them). */
function delivered(s: FakeSession): string[] {
  const got = s.sent.map((m) => {
    assert.equal(m.t, 'deliver');
    return (m as DeliverMsg).msg.dest;
  });
  s.sent = [];
  return got;
}

/** The status row of `name`, or undefined. */
function row(topics: TopicRegistry, name: string) {
  return topics.status().find((r) => r.name === name);
}

describe('TopicRegistry: delivery', () => {
  test('with no subscriptions a publish goes nowhere', () => {
    const topics = new TopicRegistry();
    topics.publish(message('/topic/a'));
    assert.deepEqual(topics.status(), []);
  });

  // The session fans the message out to its own subscriptions: the hub sends it once, whatever their number.
  test('one deliver per session, however many of its subscriptions match', () => {
    const topics = new TopicRegistry();
    const s = session();
    for (const source of ['/topic/a.b', '/topic/a.*', '/topic/#', '/topic/a.b']) topics.add(sub(s, source));
    const msg = message('/topic/a.b');
    topics.publish(msg);
    assert.equal(s.sent.length, 1);
    assert.deepEqual(s.sent[0], { t: 'deliver', msg });
  });

  test('every matching session gets it once; others nothing', () => {
    const topics = new TopicRegistry();
    const [a, b, c] = [session(), session(), session()];
    topics.add(sub(a, '/topic/news'));
    topics.add(sub(b, '/topic/news'));
    topics.add(sub(b, '/topic/#'));
    topics.add(sub(c, '/topic/sport'));
    topics.publish(message('/topic/news'));
    assert.deepEqual(delivered(a), ['/topic/news']);
    assert.deepEqual(delivered(b), ['/topic/news']);
    assert.deepEqual(delivered(c), []);
  });

  test('a removed subscription gets nothing more; the session\'s other ones still do', () => {
    const topics = new TopicRegistry();
    const s = session();
    const exact = sub(s, '/topic/a');
    const other = sub(s, '/topic/b');
    topics.add(exact);
    topics.add(other);
    topics.remove(exact);
    topics.publish(message('/topic/a'));
    topics.publish(message('/topic/b'));
    assert.deepEqual(delivered(s), ['/topic/b']);
  });

  // Routes are remembered per name: every change of the subscriptions must be seen by the next publish.
  test('publishes between subscription changes follow the changes', () => {
    const topics = new TopicRegistry();
    const [a, b] = [session(), session()];
    topics.publish(message('/topic/x.y'));
    const wide = sub(a, '/topic/x.*');
    topics.add(wide);
    topics.publish(message('/topic/x.y'));
    const exact = sub(b, '/topic/x.y');
    topics.add(exact);
    topics.publish(message('/topic/x.y'));
    topics.remove(wide);
    topics.publish(message('/topic/x.y'));
    topics.remove(exact);
    topics.publish(message('/topic/x.y'));
    assert.deepEqual(delivered(a), ['/topic/x.y', '/topic/x.y']);
    assert.deepEqual(delivered(b), ['/topic/x.y', '/topic/x.y']);
    assert.equal(row(topics, '/topic/x.y'), undefined);
  });

  // A session whose client is too far behind asked for no topic messages (FlowMsg): the hub drops them.
  test('a session with topics paused is sent nothing until it resumes', () => {
    const topics = new TopicRegistry();
    const [slow, fast] = [session(), session()];
    topics.add(sub(slow, '/topic/f'));
    topics.add(sub(fast, '/topic/f'));
    slow.topicsPaused = true;
    topics.publish(message('/topic/f'));
    slow.topicsPaused = false;
    topics.publish(message('/topic/f'));
    assert.deepEqual(delivered(slow), ['/topic/f']);
    assert.deepEqual(delivered(fast), ['/topic/f', '/topic/f']);
  });

  test('statistics count every matching subscription of a remembered route', () => {
    const topics = new TopicRegistry();
    const s = session();
    topics.add(sub(s, '/topic/m.#'));
    topics.add(sub(s, '/topic/m.n'));
    for (let i = 0; i < 3; i++) topics.publish(message('/topic/m.n'));
    assert.equal(row(topics, '/topic/m.#')?.delivered, 3);
    assert.equal(row(topics, '/topic/m.n')?.delivered, 3);
    assert.equal(s.sent.length, 3);
  });
});

describe('TopicRegistry: patterns (RabbitMQ words; ActiveMQ > as #)', () => {
  /** Which of `names` a subscriber of `pattern` receives. */
  function receives(pattern: string, names: string[]): string[] {
    const topics = new TopicRegistry();
    const s = session();
    topics.add(sub(s, pattern));
    for (const name of names) topics.publish(message(name));
    return delivered(s);
  }

  const NAMES = ['/topic/a', '/topic/a.b', '/topic/a.b.c', '/topic/x.b', '/topic/ab'];

  test('an exact name matches only itself', () => {
    assert.deepEqual(receives('/topic/a.b', NAMES), ['/topic/a.b']);
  });

  test('* matches exactly one word', () => {
    assert.deepEqual(receives('/topic/a.*', NAMES), ['/topic/a.b']);
    assert.deepEqual(receives('/topic/*.b', NAMES), ['/topic/a.b', '/topic/x.b']);
    assert.deepEqual(receives('/topic/*', NAMES), ['/topic/a', '/topic/ab']);
  });

  test('# matches zero or more words', () => {
    assert.deepEqual(receives('/topic/a.#', NAMES), ['/topic/a', '/topic/a.b', '/topic/a.b.c']);
    assert.deepEqual(receives('/topic/#.c', NAMES), ['/topic/a.b.c']);
    assert.deepEqual(receives('/topic/#', NAMES), NAMES);
  });

  test('> is #', () => {
    assert.deepEqual(receives('/topic/a.>', NAMES), ['/topic/a', '/topic/a.b', '/topic/a.b.c']);
  });

  // A wildcard in a published name is an ordinary word: it matches only a subscription spelled the same.
  test('a published name with * is not a pattern', () => {
    assert.deepEqual(receives('/topic/a.b', ['/topic/a.*']), []);
    assert.deepEqual(receives('/topic/a.*', ['/topic/a.*']), ['/topic/a.*']);
  });
});

describe('TopicRegistry: statistics', () => {
  // One row per subscribed name or pattern: its subscribers, and the copies delivered to them.
  test('one row per subscribed name or pattern, counting subscribers and deliveries', () => {
    const topics = new TopicRegistry();
    const [a, b] = [session(), session()];
    topics.add(sub(a, '/topic/news'));
    topics.add(sub(b, '/topic/news'));
    topics.add(sub(b, '/topic/#'));
    topics.publish(message('/topic/news'));
    topics.publish(message('/topic/sport'));
    assert.deepEqual(row(topics, '/topic/news'), {
      name: '/topic/news', kind: 'topic', depth: 0, bytes: 0, consumers: 2, inFlight: 0, enqueued: 2, delivered: 2,
    });
    assert.deepEqual(row(topics, '/topic/#'), {
      name: '/topic/#', kind: 'topic', depth: 0, bytes: 0, consumers: 1, inFlight: 0, enqueued: 2, delivered: 2,
    });
    assert.equal(topics.status().length, 2, 'no row for a published name nobody subscribed to');
  });

  // Rows never outgrow the subscriptions: the last subscriber takes its row (and its counts) with it.
  test('the row goes with its last subscriber; a new subscriber starts from zero', () => {
    const topics = new TopicRegistry();
    const [a, b] = [session(), session()];
    const first = sub(a, '/topic/t');
    const second = sub(b, '/topic/t');
    topics.add(first);
    topics.add(second);
    topics.publish(message('/topic/t'));
    topics.remove(first);
    assert.equal(row(topics, '/topic/t')?.consumers, 1);
    assert.equal(row(topics, '/topic/t')?.delivered, 2);
    topics.remove(second);
    assert.equal(row(topics, '/topic/t'), undefined);
    assert.deepEqual(topics.status(), []);
    topics.add(sub(a, '/topic/t'));
    assert.deepEqual(row(topics, '/topic/t'), {
      name: '/topic/t', kind: 'topic', depth: 0, bytes: 0, consumers: 1, inFlight: 0, enqueued: 0, delivered: 0,
    });
  });

  // Many short-lived subscribers on distinct names leave nothing behind.
  test('subscribe/unsubscribe churn on distinct names leaves no rows', () => {
    const topics = new TopicRegistry();
    const s = session();
    for (let i = 0; i < 1000; i++) {
      const one = sub(s, `/topic/churn.${i}`);
      topics.add(one);
      topics.publish(message(`/topic/churn.${i}`));
      topics.remove(one);
    }
    assert.deepEqual(topics.status(), []);
    assert.equal(delivered(s).length, 1000);
  });
});

describe('TopicRegistry: idempotent', () => {
  // Adding or removing the same subscription twice changes nothing the second time (the count stays true,
  // and a publish after a double removal still works).
  test('double add and double remove', () => {
    const topics = new TopicRegistry();
    const a = session();
    const b = session();
    const sa = sub(a, '/topic/t');
    const sb = sub(b, '/topic/t');
    topics.add(sa);
    topics.add(sa);
    topics.add(sb);
    assert.equal(row(topics, '/topic/t')?.consumers, 2);
    topics.remove(sa);
    topics.remove(sa);
    assert.equal(row(topics, '/topic/t')?.consumers, 1);
    topics.publish(message('/topic/t'));
    assert.deepEqual(delivered(b), ['/topic/t']);
  });
});
