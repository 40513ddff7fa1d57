/**
 * STOMP over WebSocket (`--ws-port`, path /ws) against a real broker: a WebSocket client is a session
 * process of its own and talks with TCP clients both ways; one frame per message (text or binary);
 * frames may span messages; heart-beats; bad input (a malformed frame, requests that are no WebSocket
 * upgrade, oversized or missing headers) and a SIGKILLed session leave everyone else untouched.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocket } from 'ws';
import { call, managementUrl } from '../helpers/management.js';
import {
  type Broker, connectStomp, encodeFrame, isAlive, RawClient, receiptId, sendConfirmed, sessionPidOf, subscribe,
  uniqueDest, useBroker, wsPort,
} from '../helpers/broker.js';

/** A STOMP 1.2 client over WebSocket. */
async function connectWs(broker: Broker, headers: Record<string, string> = {}): Promise<RawClient> {
  return connectStomp(0, headers, { client: await RawClient.connectWs(wsPort(broker)) });
}

/** Sends raw bytes over a plain TCP connection to `port`; resolves with everything read until the close. */
function rawHttp(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
    socket.write(request);
  });
}

describe('STOMP over WebSocket', () => {
  const ctx = useBroker({ args: ['--ws-port', '0', '--connect-timeout', '2000', '--http-port', '0'], producer: true });
  const handoffs = async (): Promise<number> =>
    (await call(managementUrl(ctx.broker), '/api/overview')).body.counters.clientsHandedOff as number;

  test('a WebSocket client is a process of its own and talks with TCP clients both ways', async () => {
    const ws = await connectWs(ctx.broker);
    assert.equal(ws.ws!.protocol, 'v12.stomp');
    assert.equal(ws.connected!.headers.version, '1.2');
    const pid = sessionPidOf(ws);
    assert.notEqual(pid, sessionPidOf(ctx.producer));
    assert.notEqual(pid, ctx.broker.pid);
    assert.ok(isAlive(pid));

    const q = uniqueDest('queue', 'ws-in');
    await subscribe(ws, q, 'in');
    await sendConfirmed(ctx.producer, q, 'from tcp');
    const got = await ws.expectFrame('MESSAGE');
    assert.equal(got.body.toString(), 'from tcp');
    assert.equal(got.headers.subscription, 'in');

    const t = uniqueDest('topic', 'ws-out');
    const listener = await connectStomp(ctx.broker.port);
    await subscribe(listener, t, 'out');
    await sendConfirmed(ws, t, 'from the browser side');
    assert.equal((await listener.expectFrame('MESSAGE')).body.toString(), 'from the browser side');
    await listener.disconnect();
    await ws.disconnect();
  });

  // RabbitMQ's Web-STOMP frames so too; clients that expect a frame per message work.
  test('every frame is one message: text when it is UTF-8, binary otherwise, byte-exact', async () => {
    const ws = await connectWs(ctx.broker);
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    ws.ws!.on('message', (data: Buffer, binary: boolean) => messages.push({ data, binary }));
    const q = uniqueDest('queue', 'ws-frames');
    await subscribe(ws, q, 's');
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x00]);
    await sendConfirmed(ctx.producer, q, 'héllo ✓');
    await sendConfirmed(ctx.producer, q, bytes, { 'content-length': bytes.length });
    const [text, binary] = await ws.expectFrames('MESSAGE', 2);
    assert.equal(text.body.toString('utf8'), 'héllo ✓');
    assert.deepEqual(binary.body, bytes);
    const frames = messages.filter((m) => m.data.subarray(0, 8).toString() === 'MESSAGE\n');
    assert.equal(frames.length, 2);
    for (const m of frames) assert.equal(m.data.at(-1), 0, 'a message ends with its frame\'s NUL');
    assert.deepEqual(frames.map((m) => m.binary), [false, true]);
    await ws.disconnect();
  });

  test('client frames may span messages, and one message may hold several frames', async () => {
    const ws = await connectWs(ctx.broker);
    const q = uniqueDest('queue', 'ws-split');
    const reader = await connectStomp(ctx.broker.port);
    await subscribe(reader, q, 'r');
    const one = encodeFrame('SEND', { destination: q, receipt: 'split' }, 'spanning');
    await ws.send(one.subarray(0, 5));
    await ws.send(one.subarray(5, 20));
    await ws.send(one.subarray(20));
    await ws.expectReceipt('split');
    const two = Buffer.concat([
      encodeFrame('SEND', { destination: q }, 'second'),
      Buffer.from('\n'),
      encodeFrame('SEND', { destination: q, receipt: 'pair' }, 'third'),
    ]);
    await ws.send(two);
    await ws.expectReceipt('pair');
    const got = await reader.expectFrames('MESSAGE', 3);
    assert.deepEqual(got.map((f) => f.body.toString()), ['spanning', 'second', 'third']);
    await reader.disconnect();
    await ws.disconnect();
  });

  test('heart-beats both ways; a client that stops sending them gets ERROR and a close', async () => {
    const ws = await connectWs(ctx.broker, { 'heart-beat': '0,100' });
    assert.match(ws.connected!.headers['heart-beat'] ?? '', /^\d+,0$/);
    await ws.waitForHeartbeats(2);
    await ws.disconnect();

    const silent = await connectWs(ctx.broker, { 'heart-beat': '100,0' });
    const error = await silent.expectErrorAndClose(10_000);
    assert.equal(error.headers.message, 'Heart-beat timeout');
  });

  test('a malformed frame: ERROR, then the WebSocket closes; other clients go on', async () => {
    const ws = await connectWs(ctx.broker);
    const pid = sessionPidOf(ws);
    await ws.send('SEND\nno-colon-here\n\nbody\0');
    const error = await ws.expectErrorAndClose();
    assert.equal(error.headers.message, 'Malformed header');
    const q = uniqueDest('queue', 'ws-after');
    await sendConfirmed(ctx.producer, q, 'still served');
    const other = await connectWs(ctx.broker);
    assert.notEqual(sessionPidOf(other), pid);
    await subscribe(other, q, 'a');
    assert.equal((await other.expectFrame('MESSAGE')).body.toString(), 'still served');
    await other.disconnect();
  });

  // The unacknowledged message goes to the next consumer; TCP clients notice nothing.
  test('SIGKILL of a WebSocket client\'s session: its WebSocket closes, its message is redelivered', async () => {
    const q = uniqueDest('queue', 'ws-kill');
    const ws = await connectWs(ctx.broker);
    await subscribe(ws, q, 'k', { ack: 'client-individual' });
    await sendConfirmed(ctx.producer, q, 'job 1');
    assert.equal((await ws.expectFrame('MESSAGE')).body.toString(), 'job 1');
    process.kill(sessionPidOf(ws), 'SIGKILL');
    await ws.expectClosed();
    const next = await connectStomp(ctx.broker.port);
    await subscribe(next, q, 'n', { ack: 'client-individual' });
    const again = await next.expectFrame('MESSAGE');
    assert.equal(again.body.toString(), 'job 1');
    assert.equal(again.headers.redelivered, 'true');
    const receipt = receiptId('ack');
    await next.frame('ACK', { id: again.headers.ack!, receipt });
    await next.expectReceipt(receipt);
    await next.disconnect();
    await sendConfirmed(ctx.producer, uniqueDest('queue', 'alive'), 'the producer is untouched');
  });

  // The hub reads the upgrade request and answers these itself: they never cost a session process.
  test('what is no WebSocket upgrade gets an HTTP answer and a close', async () => {
    const port = wsPort(ctx.broker);
    const before = await handoffs();
    assert.match(await rawHttp(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 426 Upgrade Required\r\n/);
    assert.match(await rawHttp(port, 'GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'), /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(await rawHttp(port, `GET /ws HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(await rawHttp(port, 'GET /ws HTTP/1.1\r\nHost: x\r\n'), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    // A STOMP frame on the WebSocket port is not an upgrade either.
    assert.match(await rawHttp(port, encodeFrame('CONNECT', { 'accept-version': '1.2' })), /^HTTP\/1\.1 (426|408) /);
    assert.equal(await handoffs(), before, 'no request above reached a session');
    // An upgrade the session's WebSocket server refuses (no key): 400 from the session.
    assert.match(await rawHttp(port, 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Version: 13\r\n\r\n'), /^HTTP\/1\.1 400 /);
    const ws = await connectWs(ctx.broker);
    await ws.disconnect();
  });

  // Without a users file every client has every right: a page of another web site open in the
  // developer's browser must not reach the broker; pages served from this machine (the examples) may.
  test('anonymous broker: an upgrade from a foreign page origin gets 403; a loopback origin is served', async () => {
    const port = wsPort(ctx.broker);
    const upgrade = (origin: string) => `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\n`
      + 'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1.evil.example']) {
      assert.match(await rawHttp(port, upgrade(origin)), /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*--users/, origin);
    }
    for (const origin of ['http://localhost:8000', 'http://127.0.0.1:8000', 'http://[::1]:8000']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp'], { origin });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.terminate();
    }
  });

  test('a client that offers no STOMP subprotocol is served too', async () => {
    const client = await RawClient.connectWs(wsPort(ctx.broker), { protocols: [] });
    assert.equal(client.ws!.protocol, '');
    const ws = await connectStomp(0, { 'accept-version': '1.1,1.2' }, { client });
    assert.equal(ws.connected!.headers.version, '1.2');
    await ws.disconnect();
  });
});
