/**
 * Reading a client socket in the hub before a session gets it (src/hub/socket-reading.ts): the hub
 * must pass on every byte it read, stop exactly where its copy ends, and notice a client that left.
 * Real TCP sockets on loopback.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { readWhileWaiting, resumeReading, stopReading } from '../../src/hub/socket-reading.js';
import { eventually } from '../helpers/broker.js';

/** A connected pair: `server` as the hub sees it (not reading yet), `client` as the client's end. */
async function pair(): Promise<{ server: net.Socket; client: net.Socket; close(): void }> {
  const listener = net.createServer({ pauseOnConnect: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as net.AddressInfo;
  const accepted = once(listener, 'connection');
  const client = net.connect(port, '127.0.0.1');
  const [server] = (await accepted) as [net.Socket];
  server.on('error', () => server.destroy());
  client.on('error', () => {});
  return {
    server, client,
    close: () => {
      server.destroy();
      client.destroy();
      listener.close();
    },
  };
}

describe('socket reading before a handoff', () => {
  let cleanup: (() => void) | null = null;
  afterEach(() => cleanup?.());

  // What is read while the socket waits reaches the caller; after stop() nothing more is read, and a
  // later reader (the session, here the same socket resumed) gets the rest, byte for byte.
  test('bytes read while waiting are passed on and reading stops where stop() was called', async () => {
    const p = await pair();
    cleanup = p.close;
    const chunks: Buffer[] = [];
    const stop = readWhileWaiting(p.server, 1 << 20, (c) => chunks.push(c));
    p.client.write('SUBSCRIBE\n\n\0');
    await eventually(() => Buffer.concat(chunks).toString() === 'SUBSCRIBE\n\n\0');
    stop();
    p.client.write('SEND\n\n\0');
    // The rest is still in the socket for whoever reads it next, and the waiting reader got none of it.
    const rest: Buffer[] = [];
    p.server.on('data', (c: Buffer) => rest.push(c));
    resumeReading(p.server);
    await eventually(() => Buffer.concat(rest).toString() === 'SEND\n\n\0');
    assert.equal(Buffer.concat(chunks).toString(), 'SUBSCRIBE\n\n\0');
  });

  // Reading stops by itself at the limit, so the hub never holds more than that of one client.
  test('reading stops at the limit', async () => {
    const p = await pair();
    cleanup = p.close;
    let read = 0;
    readWhileWaiting(p.server, 1024, (c) => { read += c.length; });
    p.client.write(Buffer.alloc(1024, 0x61));
    await eventually(() => read >= 1024);
    p.client.write(Buffer.alloc(64 * 1024, 0x62));
    // Everything past the limit reaches the next reader: the waiting one took none of it.
    let rest = 0;
    p.server.on('data', (c: Buffer) => { rest += c.length; });
    resumeReading(p.server);
    await eventually(() => rest === 64 * 1024);
    assert.equal(read, 1024);
  });

  // A burst that fills whole reads: once stopped at the limit, the hub's socket reads nothing more,
  // not even into its own buffer while paused (Node restarts a paused stream's reads below its
  // high-water mark): a chunk read there would never reach the session that takes the socket.
  test('after a burst, nothing more is read into the buffer once reading stopped', async () => {
    const p = await pair();
    cleanup = p.close;
    let read = 0;
    readWhileWaiting(p.server, 1024, (c) => { read += c.length; });
    const total = 1024 * 1024;
    p.client.write(Buffer.alloc(total, 0x63));
    await eventually(() => read >= 1024);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 5)); // turns in which Node would read again
    assert.equal(p.server.readableLength, 0, 'bytes were read into the hub\'s buffer after the stop');
    let rest = 0;
    p.server.on('data', (c: Buffer) => { rest += c.length; });
    resumeReading(p.server);
    await eventually(() => read + rest === total);
  });

  // A client that resets while its socket waits is noticed: the socket closes.
  test('a client that resets while waiting closes the socket', async () => {
    const p = await pair();
    cleanup = p.close;
    readWhileWaiting(p.server, 1 << 20, () => {});
    const closed = new Promise((resolve) => p.server.once('close', resolve));
    p.client.resetAndDestroy();
    await closed;
    assert.equal(p.server.destroyed, true);
  });

  // A socket stopped with stopReading() (as the listener does inside its 'data' handler) can be read
  // again with readWhileWaiting: the handle restarts reading.
  test('a socket stopped by stopReading reads again when waiting', async () => {
    const p = await pair();
    cleanup = p.close;
    const first: Buffer[] = [];
    const onData = (c: Buffer): void => {
      first.push(c);
      p.server.off('data', onData);
      stopReading(p.server);
    };
    p.server.on('data', onData);
    p.server.resume();
    p.client.write('CONNECT\n\n\0');
    await eventually(() => first.length === 1);
    const later: Buffer[] = [];
    readWhileWaiting(p.server, 1 << 20, (c) => later.push(c));
    p.client.write('SEND\n\n\0');
    await eventually(() => Buffer.concat(later).toString() === 'SEND\n\n\0');
  });
});
