/**
 * Process isolation: each client lives in its own session process, so one client's crash, half frame
 * or misbehaviour does not touch the others; and connection limits.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodies, connectStomp, eventually, isAlive, RawClient, sendConfirmed, sendMany, sessionPidOf, subscribe, uniqueDest,
  useBroker,
} from '../helpers/broker.js';

describe('isolation', () => {
  const ctx = useBroker({ args: ['--prefork', '8'] });

  // Every client has its own session process, distinct from the hub.
  test('each connection is served by its own process', async () => {
    const a = await connectStomp(ctx.broker.port);
    const b = await connectStomp(ctx.broker.port);
    const pa = sessionPidOf(a);
    const pb = sessionPidOf(b);
    assert.notEqual(pa, pb);
    assert.notEqual(pa, ctx.broker.pid);
    assert.ok(isAlive(pa) && isAlive(pb));
    a.close();
    b.close();
  });

  // A killed session's unacknowledged messages return to the queue, redelivered; other clients are unaffected.
  test('SIGKILL of a session: its 3 unacked messages go to another consumer, others keep working', { timeout: 120_000 },
    async () => {
      const dest = uniqueDest('queue', 'kill');
      const bystander = await connectStomp(ctx.broker.port);
      const producer = await connectStomp(ctx.broker.port);
      const victim = await connectStomp(ctx.broker.port);
      await subscribe(victim, dest, 'v', { ack: 'client' });
      await sendMany(producer, dest, ['k1', 'k2', 'k3']);
      await victim.expectFrames('MESSAGE', 3);
      const pid = sessionPidOf(victim);
      process.kill(pid, 'SIGKILL');
      await victim.expectClosed(10_000);
      await eventually(() => !isAlive(pid), 10_000);

      const heir = await connectStomp(ctx.broker.port);
      await subscribe(heir, dest, 'h', { ack: 'client' });
      const got = await heir.expectFrames('MESSAGE', 3, 20_000);
      assert.deepEqual(bodies(got), ['k1', 'k2', 'k3']);
      for (const m of got) assert.equal(m.headers.redelivered, 'true');

      // The bystander, connected throughout, still works.
      await sendConfirmed(bystander, uniqueDest('queue', 'bystander'), 'still here');
      const bdest = uniqueDest('queue', 'bystander-rx');
      await subscribe(bystander, bdest, 'b');
      await sendConfirmed(producer, bdest, 'to bystander');
      assert.equal((await bystander.expectFrame('MESSAGE')).body.toString(), 'to bystander');
      for (const c of [bystander, producer, heir]) c.close();
    });

  // The hub replaces a killed session; new clients are still served.
  test('after a session is killed, new clients connect', { timeout: 60_000 }, async () => {
    const victim = await connectStomp(ctx.broker.port);
    process.kill(sessionPidOf(victim), 'SIGKILL');
    await victim.expectClosed(10_000);
    for (let i = 0; i < 3; i++) {
      const c = await connectStomp(ctx.broker.port);
      await c.disconnect();
    }
  });

  // A client that vanishes in the middle of a frame affects nobody; its half frame is never delivered.
  test('a client disconnecting mid-frame does not affect others', async () => {
    const dest = uniqueDest('queue', 'half');
    const rx = await connectStomp(ctx.broker.port);
    await subscribe(rx, dest, 's');
    const half = await connectStomp(ctx.broker.port);
    const frame = Buffer.from(`SEND\ndestination:${dest}\ncontent-length:100\n\nonly part of the bo`);
    await half.send(frame);
    half.close();
    await half.expectClosed();
    const other = await connectStomp(ctx.broker.port);
    await sendConfirmed(other, dest, 'whole');
    const m = await rx.expectFrame('MESSAGE');
    assert.equal(m.body.toString(), 'whole');
    other.close();
    rx.close();
  });

  // Same before CONNECT: a half CONNECT that disappears leaves the broker serving.
  test('a client disconnecting in the middle of CONNECT does not affect others', async () => {
    const half = await RawClient.connect(ctx.broker.port);
    await half.send('CONNECT\naccept-version:1.2\nho');
    half.close();
    const c = await connectStomp(ctx.broker.port);
    await c.disconnect();
  });

  // Many clients at once: each is served by a session process, all get CONNECTED and can send and receive.
  test('200 clients connected at once each send and receive one message', { timeout: 120_000 }, async () => {
    const n = 200;
    const clients: RawClient[] = [];
    try {
      const connecting: Promise<RawClient>[] = [];
      for (let i = 0; i < n; i++) connecting.push(connectStomp(ctx.broker.port, {}, { timeoutMs: 100_000 }));
      const settled = await Promise.allSettled(connecting);
      for (const s of settled) if (s.status === 'fulfilled') clients.push(s.value);
      const failed = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
      assert.equal(failed.length, 0, `${failed.length} of ${n} clients did not get CONNECTED: ${
        failed.slice(0, 3).map((f) => (f.reason as Error).message).join('; ')}`);
      const sessions = new Set(clients.map((c) => c.connected!.headers.session));
      assert.equal(sessions.size, n, 'every client has its own session');

      const dests = clients.map((_, i) => uniqueDest('queue', `many-${i}`));
      await Promise.all(clients.map((c, i) => subscribe(c, dests[i], 's')));
      await Promise.all(clients.map((c, i) => c.frame('SEND', { destination: dests[i] }, `hello ${i}`)));
      const got = await Promise.all(clients.map((c) => c.expectFrame('MESSAGE', 60_000)));
      assert.deepEqual(bodies(got), clients.map((_, i) => `hello ${i}`));
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('isolation: --max-connections 2', () => {
  const ctx = useBroker({ args: ['--max-connections', '2'] });

  // Past the connection limit the client gets ERROR "too many connections" and a close.
  test('the 3rd client gets ERROR mentioning "too many connections"', async () => {
    const a = await connectStomp(ctx.broker.port);
    const b = await connectStomp(ctx.broker.port);
    const c = await RawClient.connect(ctx.broker.port);
    await c.frame('CONNECT', { 'accept-version': '1.2', host: '/' });
    const error = await c.expectErrorAndClose(10_000);
    assert.match(`${error.headers.message}\n${error.body.toString()}`, /too many connections/i);
    // The two admitted clients are unaffected.
    const dest = uniqueDest('queue', 'limit');
    await subscribe(b, dest, 's');
    await sendConfirmed(a, dest, 'fine');
    assert.equal((await b.expectFrame('MESSAGE')).body.toString(), 'fine');
    await a.disconnect();
    await b.disconnect();
  });

  /** Connects, retrying while earlier tests' sessions are still exiting (polling, not timing). */
  function connectWhenFree(): Promise<RawClient> {
    return eventually(async () => {
      try {
        return await connectStomp(ctx.broker.port);
      } catch {
        return null;
      }
    }, 30_000, 200);
  }

  // Once a client leaves, its slot is free again.
  test('a slot frees up when a client leaves', { timeout: 60_000 }, async () => {
    const a = await connectWhenFree();
    const b = await connectWhenFree();
    await a.disconnect();
    const c = await connectWhenFree();
    await c.disconnect();
    await b.disconnect();
  });
});

describe('isolation: the hub dies', () => {
  const ctx = useBroker();

  // Sessions exit when their hub is gone (no orphans), and a stale lock does not block the next broker.
  test('SIGKILL of the hub: clients are closed, sessions exit, a new broker takes the data dir', { timeout: 90_000 },
    async () => {
      const { broker } = ctx;
      const clients = [await connectStomp(broker.port), await connectStomp(broker.port)];
      const pids = clients.map(sessionPidOf);
      process.kill(broker.pid, 'SIGKILL');
      await broker.exited;
      for (const c of clients) await c.expectClosed(15_000);
      await eventually(() => pids.every((pid) => !isAlive(pid)), 30_000);
      const next = await ctx.restart(); // the hub is dead already: this only starts a new one on its data dir
      const c = await connectStomp(next.port);
      await c.disconnect();
      await next.stop();
    });
});
