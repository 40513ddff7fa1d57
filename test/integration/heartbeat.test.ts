/** Heart-beating (STOMP 1.1/1.2 "Heart-beating"). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectStomp, RawClient, sleep, useBroker } from '../helpers/broker.js';

describe('heartbeat', () => {
  const ctx = useBroker();

  function pair(header: string | undefined): [number, number] {
    assert.match(header ?? '', /^\d+,\d+$/);
    const [a, b] = header!.split(',').map(Number);
    return [a, b];
  }

  // Client wants beats every 200 ms (cy=200): the server sends EOL heart-beats at an interval >= 200.
  test('heart-beat:0,200 → the server sends EOL heart-beats', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '0,200' });
    const [sx, sy] = pair(c.connected!.headers['heart-beat']);
    assert.ok(sx >= 200, `server sends every ${sx} ms, at least the 200 the client asked for`);
    assert.equal(sy, 0, 'the client offered to send none, so the server expects none');
    await c.waitForHeartbeats(2, 10_000);
    assert.equal(c.isClosed, false);
    c.close();
  });

  // A client that promises beats every 200 ms and goes silent is disconnected (after a grace period).
  test('heart-beat:200,0 then silence → the server closes the connection', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '200,0' });
    const [sx, sy] = pair(c.connected!.headers['heart-beat']);
    assert.equal(sx, 0, 'the client wants no beats');
    assert.ok(sy >= 200, `server expects beats every ${sy} ms`);
    await c.expectClosed(10_000);
  });

  // A client that keeps its promise (sends EOLs) stays connected past several intervals.
  test('heart-beat:200,0 with client beats → the connection stays open', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '200,0' });
    const [, sy] = pair(c.connected!.headers['heart-beat']);
    // Beat well inside the interval for about 6 intervals; the close guard above is 2x interval.
    for (let i = 0; i < 12; i++) {
      await c.send('\n');
      await sleep(Math.max(50, Math.floor(sy / 4)));
    }
    assert.equal(c.isClosed, false, 'still connected while beating');
    await c.disconnect();
  });

  // heart-beat:0,0 (or none) → no heart-beating either way: CONNECTED says 0,0.
  test('heart-beat:0,0 → CONNECTED heart-beat:0,0', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '0,0' });
    assert.equal(c.connected!.headers['heart-beat'], '0,0');
    c.close();
  });

  // No heart-beat header counts as 0,0.
  test('no heart-beat header → CONNECTED heart-beat:0,0', async () => {
    const c = await connectStomp(ctx.broker.port);
    assert.equal(c.connected!.headers['heart-beat'], '0,0');
    c.close();
  });

  // With 0,0 a silent client is not disconnected, and the server sends no beats.
  test('heart-beat:0,0 → a silent client stays connected', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '0,0' });
    await sleep(700);
    assert.equal(c.isClosed, false);
    assert.equal(c.heartbeats, 0);
    await c.disconnect();
  });

  // A malformed heart-beat header is an error.
  test('malformed heart-beat header gets ERROR', async () => {
    const c = await RawClient.connect(ctx.broker.port);
    await c.frame('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': 'often' });
    await c.expectErrorAndClose();
  });

  // Heart-beats (EOLs) from the client between frames are ignored by the parser.
  test('client EOLs between frames are accepted', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '100,0' });
    await c.send('\n\n\r\n');
    await c.frame('SEND', { destination: '/queue/hb-eol', receipt: 'eol' }, 'x');
    await c.expectReceipt('eol');
    c.close();
  });
});

describe('heartbeat: --heartbeat 500,400', () => {
  const ctx = useBroker({ args: ['--heartbeat', '500,400'] });

  // The broker offers what the client asks, but no faster than its configured minimum (README, "Heart-beats").
  test('client asks 100,100: CONNECTED heart-beat is raised to 500,400', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '100,100' });
    assert.equal(c.connected!.headers['heart-beat'], '500,400');
    c.close();
  });

  // Slower than the minimum is fine: the client's values are kept; 0 stays 0.
  test('client asks 0,1000: CONNECTED heart-beat is 1000,0', async () => {
    const c = await connectStomp(ctx.broker.port, { 'heart-beat': '0,1000' });
    assert.equal(c.connected!.headers['heart-beat'], '1000,0');
    c.close();
  });
});
