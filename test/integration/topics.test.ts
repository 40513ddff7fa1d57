/** Topic (publish-subscribe) semantics: fan-out, no retention, RabbitMQ-style wildcards. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bodies, connectStomp, sendConfirmed, sendMany, subscribe, uniqueDest, useBroker } from '../helpers/broker.js';

describe('topics', () => {
  const ctx = useBroker();

  // Every subscriber of a topic gets a copy of every message, in order.
  test('3 subscribers each get every message', async () => {
    const dest = uniqueDest('topic', 'fan');
    const subs = await Promise.all([0, 1, 2].map(() => connectStomp(ctx.broker.port)));
    for (const [i, s] of subs.entries()) await subscribe(s, dest, `s${i}`);
    const producer = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 50 }, (_, i) => `t-${i}`);
    await sendMany(producer, dest, sent);
    for (const [i, s] of subs.entries()) {
      const got = await s.expectFrames('MESSAGE', 50);
      assert.deepEqual(bodies(got), sent);
      for (const m of got) {
        assert.equal(m.headers.subscription, `s${i}`);
        assert.equal(m.headers.destination, dest);
        assert.ok(m.headers['message-id']);
      }
      s.close();
    }
    producer.close();
  });

  // A topic keeps nothing: a later subscriber gets only what is published after it subscribed.
  test('a later subscriber does not get earlier messages', async () => {
    const dest = uniqueDest('topic', 'late');
    const early = await connectStomp(ctx.broker.port);
    await subscribe(early, dest, 'early');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, dest, 'before');
    const late = await connectStomp(ctx.broker.port);
    await subscribe(late, dest, 'late');
    await sendConfirmed(producer, dest, 'after');
    assert.deepEqual(bodies(await early.expectFrames('MESSAGE', 2)), ['before', 'after']);
    assert.equal((await late.expectFrame('MESSAGE')).body.toString(), 'after');
    producer.close();
    early.close();
    late.close();
  });

  // Messages published while nobody listens are gone, not queued.
  test('a topic message with no subscriber is dropped', async () => {
    const dest = uniqueDest('topic', 'void');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, dest, 'into the void');
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, dest, 's');
    await sendConfirmed(producer, dest, 'heard');
    assert.equal((await s.expectFrame('MESSAGE')).body.toString(), 'heard');
    producer.close();
    s.close();
  });

  // RabbitMQ topic syntax: `*` matches exactly one dot-separated word.
  test('wildcard /topic/<p>.a.* matches one word', async () => {
    const base = uniqueDest('topic', 'wc').replace(/\./g, '_');
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, `${base}.a.*`, 'star');
    const producer = await connectStomp(ctx.broker.port);
    // Non-matching first: if any of them were delivered it would arrive before the matching ones.
    for (const d of [`${base}.a`, `${base}.a.b.c`, `${base}.b.c`, `${base}.ab.c`]) await sendConfirmed(producer, d, `no ${d}`);
    await sendConfirmed(producer, `${base}.a.b`, 'yes a.b');
    await sendConfirmed(producer, `${base}.a.zz`, 'yes a.zz');
    const got = await s.expectFrames('MESSAGE', 2);
    assert.deepEqual(bodies(got), ['yes a.b', 'yes a.zz']);
    assert.equal(got[0].headers.destination, `${base}.a.b`);
    assert.equal(got[0].headers.subscription, 'star');
    producer.close();
    s.close();
  });

  // RabbitMQ topic syntax: `#` matches zero or more words.
  test('wildcard /topic/<p>.a.# matches zero or more words', async () => {
    const base = uniqueDest('topic', 'wc').replace(/\./g, '_');
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, `${base}.a.#`, 'hash');
    const producer = await connectStomp(ctx.broker.port);
    for (const d of [`${base}.b`, `${base}.b.a`, `${base}.ab`]) await sendConfirmed(producer, d, `no ${d}`);
    for (const d of [`${base}.a`, `${base}.a.b`, `${base}.a.b.c.d`]) await sendConfirmed(producer, d, `yes ${d}`);
    const got = await s.expectFrames('MESSAGE', 3);
    assert.deepEqual(bodies(got), [`yes ${base}.a`, `yes ${base}.a.b`, `yes ${base}.a.b.c.d`]);
    assert.deepEqual(got.map((m) => m.headers.destination), [`${base}.a`, `${base}.a.b`, `${base}.a.b.c.d`]);
    producer.close();
    s.close();
  });

  // The literal names from the brief: /topic/a.* and /topic/a.# (no other test in this file uses "a.").
  test('wildcards /topic/a.* and /topic/a.# on one connection', async () => {
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, '/topic/a.*', 'star');
    await subscribe(s, '/topic/a.#', 'hash');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, '/topic/a.b.c', 'deep');
    await sendConfirmed(producer, '/topic/a.b', 'one');
    // a.b.c: only the # subscription; a.b: both (one MESSAGE per matching subscription).
    const got = await s.expectFrames('MESSAGE', 3);
    const seen = got.map((m) => `${m.headers.subscription}:${m.body.toString()}`).sort();
    assert.deepEqual(seen, ['hash:deep', 'hash:one', 'star:one']);
    producer.close();
    s.close();
  });

  // ActiveMQ's `>` is accepted as `#` (zero or more words).
  test('wildcard /topic/<p>.> works as #', async () => {
    const base = uniqueDest('topic', 'gt').replace(/\./g, '_');
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, `${base}.>`, 'gt');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, `${base}x.y`, 'no');
    for (const d of [`${base}.y`, `${base}.y.z`]) await sendConfirmed(producer, d, `yes ${d}`);
    assert.deepEqual(bodies(await s.expectFrames('MESSAGE', 2)), [`yes ${base}.y`, `yes ${base}.y.z`]);
    producer.close();
    s.close();
  });

  // UNSUBSCRIBE stops delivery from that subscription.
  test('no messages after UNSUBSCRIBE', async () => {
    const dest = uniqueDest('topic', 'unsub');
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, dest, 'gone');
    await subscribe(s, dest, 'stays');
    await s.frame('UNSUBSCRIBE', { id: 'gone', receipt: 'u' });
    await s.expectReceipt('u');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, dest, 'm1');
    await sendConfirmed(producer, dest, 'm2');
    const got = await s.expectFrames('MESSAGE', 2);
    assert.deepEqual(got.map((m) => m.headers.subscription), ['stays', 'stays']);
    producer.close();
    s.close();
  });

  // Topic subscriptions may use client ack modes: MESSAGE carries `ack`; ACK/NACK are accepted, nothing is redelivered.
  test('topic subscription with ack:client-individual', async () => {
    const dest = uniqueDest('topic', 'ack');
    const s = await connectStomp(ctx.broker.port);
    await subscribe(s, dest, 's', { ack: 'client-individual' });
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, dest, 'one');
    await sendConfirmed(producer, dest, 'two');
    const [m1, m2] = await s.expectFrames('MESSAGE', 2);
    assert.ok(m1.headers.ack && m2.headers.ack && m1.headers.ack !== m2.headers.ack);
    await s.frame('NACK', { id: m1.headers.ack, receipt: 'n' });
    await s.expectReceipt('n');
    await s.frame('ACK', { id: m2.headers.ack, receipt: 'a' });
    await s.expectReceipt('a');
    // A NACKed topic message is not redelivered: the next message is the next one published.
    await sendConfirmed(producer, dest, 'three');
    assert.equal((await s.expectFrame('MESSAGE')).body.toString(), 'three');
    producer.close();
    s.close();
  });

  // Topic and queue of the same name are different destinations.
  test('topic and queue namespaces are separate', async () => {
    const name = uniqueDest('topic', 'ns').slice('/topic/'.length);
    const t = await connectStomp(ctx.broker.port);
    await subscribe(t, `/topic/${name}`, 't');
    const producer = await connectStomp(ctx.broker.port);
    await sendConfirmed(producer, `/queue/${name}`, 'to the queue');
    await sendConfirmed(producer, `/topic/${name}`, 'to the topic');
    assert.equal((await t.expectFrame('MESSAGE')).body.toString(), 'to the topic');
    producer.close();
    t.close();
  });
});
