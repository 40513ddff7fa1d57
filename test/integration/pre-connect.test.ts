/**
 * A connection that has not sent its first frame costs no session: the hub holds the socket (and at most
 * the pre-CONNECT frame limit of bytes) until the frame has ended, applies the CONNECT deadline itself,
 * and limits connections per client address. Clients that connect and close in a tight loop therefore
 * use up no session, and clients that connect, CONNECT and leave cleanly give theirs back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  bodies, brokerStatus, connectStomp, encodeFrame, eventually, RawClient, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';

describe('before CONNECT', () => {
  const ctx = useBroker({ args: ['--prefork', '2', '--connect-timeout', '1500'] });

  // Half-open connections (a CONNECT that never ends) are held by the hub, not by sessions.
  test('20 half-open connections hold no session; a new client is served meanwhile', async () => {
    const before = await brokerStatus(ctx.broker);
    const stalled = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(ctx.broker.port)));
    for (const c of stalled) await c.send('CONNECT\naccept-version:1.2\nhost:/\n');
    await eventually(async () => (await brokerStatus(ctx.broker)).pendingConnections === 20);
    const status = await brokerStatus(ctx.broker);
    assert.equal(status.connections, before.connections, 'no session serves a half-open connection');
    const client = await connectStomp(ctx.broker.port);
    await client.disconnect();
    // The hub's own CONNECT deadline ends them: ERROR "Connect timeout", then a close.
    for (const c of stalled) {
      const err = await c.expectErrorAndClose(10_000);
      assert.equal(err.headers.message, 'Connect timeout');
    }
    assert.equal((await brokerStatus(ctx.broker)).pendingConnections, 0);
  });

  // More than the pre-CONNECT frame limit (64 KiB) without a frame end is refused by the hub.
  test('64 KiB before the first frame ends gets ERROR "Frame too large"', async () => {
    const c = await RawClient.connect(ctx.broker.port);
    await c.send(Buffer.alloc(65 * 1024, 'x'));
    const err = await c.expectErrorAndClose();
    assert.equal(err.headers.message, 'Frame too large');
  });

  // A client that pipelines: CONNECT and 2,000 SENDs (~300 KiB) in one write. The hub reads the first
  // frame and reads on while the socket waits for a session; every byte it read must reach the
  // session, and it must read nothing past what it hands over (once, a 64 KiB chunk was lost there).
  test('SENDs pipelined behind CONNECT in one write all arrive, in order, intact', async () => {
    const dest = uniqueDest('queue', 'pipelined');
    const n = 2000;
    const frames = Array.from({ length: n }, (_, i) =>
      encodeFrame('SEND', { destination: dest, receipt: `p${i}` }, `body-${i}-${'x'.repeat(100)}`));
    const c = await RawClient.connect(ctx.broker.port);
    await c.send(Buffer.concat([encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/' }), ...frames]));
    await c.expectFrame('CONNECTED');
    const receipts = await c.expectFrames('RECEIPT', n, 30_000);
    assert.deepEqual(receipts.map((f) => f.headers['receipt-id']), frames.map((_, i) => `p${i}`));
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    const got = await consumer.expectFrames('MESSAGE', n, 30_000);
    assert.deepEqual(bodies(got), frames.map((_, i) => `body-${i}-${'x'.repeat(100)}`));
    await consumer.disconnect();
    await c.disconnect();
  });

  // `printf 'CONNECT...SEND...' | nc -N host port`: the client writes its frames and ends its side at
  // once, before CONNECTED. The frames still take effect (STOMP: "previously received frames SHOULD
  // continue to get processed"), and a client still reading gets CONNECTED and every RECEIPT, then a close.
  test('frames sent behind CONNECT by a client that ends its side at once are processed and answered', async () => {
    const dest = uniqueDest('queue', 'half-closed');
    const c = await RawClient.connect(ctx.broker.port);
    await c.send(Buffer.concat([
      encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/' }),
      encodeFrame('SEND', { destination: dest }, 'first'),
      encodeFrame('SEND', { destination: dest, receipt: 'r2' }, 'second'),
      encodeFrame('DISCONNECT', { receipt: 'bye' }),
    ]));
    c.socket.end(); // FIN: nothing more from this client
    await c.expectFrame('CONNECTED');
    assert.deepEqual((await c.expectFrames('RECEIPT', 2)).map((f) => f.headers['receipt-id']), ['r2', 'bye']);
    await c.expectClosed();
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    assert.deepEqual(bodies(await consumer.expectFrames('MESSAGE', 2)), ['first', 'second']);
    await consumer.disconnect();
  });

  // Bytes that arrive while the login is checked are parsed under the limits of after CONNECTED: a
  // 1 MiB SEND pipelined behind CONNECT is no "Frame too large" (the pre-CONNECT limit is 64 KiB).
  test('a 1 MiB SEND pipelined behind CONNECT is taken', async () => {
    const dest = uniqueDest('queue', 'big-behind');
    const c = await RawClient.connect(ctx.broker.port);
    await c.send(Buffer.concat([
      encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/' }),
      encodeFrame('SEND', { destination: dest, receipt: 'big' }, Buffer.alloc(1024 * 1024, 'b')),
    ]));
    await c.expectFrame('CONNECTED');
    assert.equal((await c.expectFrame('RECEIPT')).headers['receipt-id'], 'big');
    await c.disconnect();
  });

  // The same without reading: the client closes its socket outright right after writing.
  test('SENDs behind CONNECT from a client that closes at once still reach their queue', async () => {
    const dest = uniqueDest('queue', 'closed');
    const c = await RawClient.connect(ctx.broker.port);
    await c.send(Buffer.concat([
      encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/' }),
      ...['a', 'b', 'c'].map((body) => encodeFrame('SEND', { destination: dest }, body)),
    ]));
    c.close();
    const consumer = await connectStomp(ctx.broker.port);
    await subscribe(consumer, dest, 's');
    assert.deepEqual(bodies(await consumer.expectFrames('MESSAGE', 3)), ['a', 'b', 'c']);
    await consumer.disconnect();
  });

  // Fifty connect-then-close cycles use up no session: the sessions are the same before and after, and
  // the next client is served by one of them.
  test('connect/close loops consume no session', async () => {
    const before = (await brokerStatus(ctx.broker)).sessions.map((s) => s.pid).sort();
    for (let i = 0; i < 50; i++) {
      const c = await RawClient.connect(ctx.broker.port);
      c.close();
      await c.expectClosed();
    }
    const client = await connectStomp(ctx.broker.port);
    await client.disconnect();
    const after = (await brokerStatus(ctx.broker)).sessions.map((s) => s.pid).sort();
    assert.ok(before.every((pid) => after.includes(pid)), `sessions ${before} are still there: ${after}`);
  });

  // Fifty CONNECT → CONNECTED → DISCONNECT cycles are served by reused sessions, not fifty new processes.
  test('connect/disconnect loops are served by reused sessions', async () => {
    const firstId = Math.max(...(await brokerStatus(ctx.broker)).sessions.map((s) => s.id));
    for (let i = 0; i < 50; i++) {
      const c = await connectStomp(ctx.broker.port);
      await c.disconnect();
    }
    const { sessions } = await brokerStatus(ctx.broker);
    const started = Math.max(...sessions.map((s) => s.id)) - firstId;
    assert.ok(started < 10, `${started} sessions started for 50 clients`);
    assert.ok(sessions.some((s) => s.clients > 1), 'some session served several clients');
  });
});

describe('connections per address', () => {
  const ctx = useBroker({ args: ['--prefork', '2', '--max-connections-per-address', '3'] });

  // One address holds at most --max-connections-per-address connections; the next gets ERROR.
  test('the 4th connection from one address is refused; a slot frees when one leaves', async () => {
    const held = [await connectStomp(ctx.broker.port), await connectStomp(ctx.broker.port),
      await RawClient.connect(ctx.broker.port)]; // the third has not even sent CONNECT: it counts too
    await eventually(async () => (await brokerStatus(ctx.broker)).pendingConnections === 1);
    const fourth = await RawClient.connect(ctx.broker.port);
    await fourth.frame('CONNECT', { 'accept-version': '1.2', host: '/' });
    const err = await fourth.expectErrorAndClose();
    assert.match(`${err.headers.message} ${err.body.toString()}`, /too many connections.*127\.0\.0\.1/s);
    await held[0].disconnect();
    const again = await eventually(async () => {
      try {
        return await connectStomp(ctx.broker.port);
      } catch {
        return null;
      }
    });
    for (const c of [again, held[1], held[2]]) c.close();
  });
});

/** `n` cycles, `parallel` at a time, of: connect, send a whole CONNECT frame, reset the connection. */
async function connectAbortCycles(port: number, n: number, parallel: number): Promise<void> {
  const frame = Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
  let started = 0;
  const one = () => new Promise<void>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.write(frame);
      s.resetAndDestroy();
      resolve();
    });
    s.once('error', () => resolve());
  });
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (started < n) {
      started++;
      await one();
    }
  }));
}

describe('connect-and-abort churn', () => {
  const ctx = useBroker({ args: ['--prefork', '2', '--max-connections', '24'] });

  // Clients that send CONNECT and reset at once, many of them before the hub has even accepted their
  // socket or while they wait for a session: each gives its connection slot back, no session is
  // stopped because a socket was gone before it reached it, and afterwards as many clients as
  // --max-connections allows are served at once.
  test('2,000 connect/CONNECT/reset cycles leave every connection slot and session behind them', async () => {
    await connectAbortCycles(ctx.broker.port, 2000, 16);
    await eventually(async () => {
      const status = await brokerStatus(ctx.broker);
      return status.connections === 0 && status.pendingConnections === 0;
    }, 20_000);
    assert.doesNotMatch(ctx.broker.logs(), /refused a client/, 'no session was stopped for a socket that was gone');
    const clients = await Promise.all(Array.from({ length: 24 }, () => connectStomp(ctx.broker.port)));
    for (const c of clients) await c.disconnect();
  });
});
