/** Frame syntax on the wire: splitting, batching, escaping, EOLs, content-length, limits, bad input. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodies, connectStomp, encodeFrame, escapeHeader, RawClient, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';

/** Yields to the event loop so consecutive writes leave as separate TCP segments (not asserted). */
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced. */
function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe('frames', () => {
  const ctx = useBroker();

  /** A consumer subscribed (auto ack) to a fresh queue. */
  async function consumer(version = '1.2'): Promise<{ client: RawClient; dest: string }> {
    const dest = uniqueDest('queue', 'frames');
    const client = await connectStomp(ctx.broker.port, { 'accept-version': version });
    await subscribe(client, dest, 'sub-0');
    return { client, dest };
  }

  // The frame stream is a byte stream: a frame may arrive split at any byte ("Augmented BNF").
  test('CONNECT and SEND written one byte at a time are parsed', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await RawClient.connect(ctx.broker.port);
    const bytes = Buffer.concat([
      encodeFrame('CONNECT', { 'accept-version': '1.2', host: '/' }),
      encodeFrame('SEND', { destination: dest, 'content-type': 'text/plain', receipt: 'bytewise' }, 'one byte at a time'),
    ]);
    for (const b of bytes) {
      await tx.send(Buffer.from([b]));
      await tick();
    }
    await tx.expectFrame('CONNECTED');
    tx.version = '1.2';
    await tx.expectReceipt('bytewise');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.body.toString(), 'one byte at a time');
    assert.equal(msg.headers['content-type'], 'text/plain');
    tx.close();
    rx.close();
  });

  // A split between any two bytes (two writes per frame, at every offset) yields the same frame.
  test('SEND split in two at every offset', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    const frame = (i: number) => encodeFrame('SEND', { destination: dest, 'x-i': i }, `split-${i}`);
    const length = frame(0).length;
    for (let i = 1; i < length; i++) {
      const bytes = frame(i);
      await tx.send(bytes.subarray(0, i));
      await tick();
      await tx.send(bytes.subarray(i));
    }
    const got = await rx.expectFrames('MESSAGE', length - 1);
    assert.deepEqual(bodies(got), Array.from({ length: length - 1 }, (_, k) => `split-${k + 1}`));
    tx.close();
    rx.close();
  });

  // Many frames in one write are all processed, in order ("frame-stream = 1*frame").
  test('100 SENDs in one write all arrive in order', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    const sent = Array.from({ length: 100 }, (_, i) => `batch-${i}`);
    // EOLs between frames are allowed (heart-beats / optional trailing EOLs).
    await tx.send(Buffer.concat(sent.map((b, i) => Buffer.concat([
      encodeFrame('SEND', { destination: dest }, b), Buffer.from(i % 2 ? '\n' : '\r\n')]))));
    const got = await rx.expectFrames('MESSAGE', 100);
    assert.deepEqual(bodies(got), sent);
    tx.close();
    rx.close();
  });

  // 1.2: \c \n \\ \r in header values are escapes; the value round-trips SEND → MESSAGE ("Value Encoding").
  test('1.2 header escapes survive a round trip', async () => {
    const { client: rx, dest } = await consumer('1.2');
    const tx = await connectStomp(ctx.broker.port, { 'accept-version': '1.2' });
    const value = 'a:b\nc\\d\re';
    await tx.frame('SEND', { destination: dest, 'x-escaped': escapeHeader(value, '1.2') }, 'esc');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['x-escaped'], value);
    // On the wire the value is escaped again, so the frame holds no raw LF/CR inside the header.
    assert.match(msg.raw.toString('utf8'), /x-escaped:a\\cb\\nc\\\\d\\re\n/);
    tx.close();
    rx.close();
  });

  // 1.2: header names are escaped too ("Value Encoding" applies to names and values).
  test('1.2 escaped header name round-trips', async () => {
    const { client: rx, dest } = await consumer('1.2');
    const tx = await connectStomp(ctx.broker.port, { 'accept-version': '1.2' });
    await tx.frame('SEND', { destination: dest, [escapeHeader('x:name', '1.2')]: 'v' }, 'name');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['x:name'], 'v');
    tx.close();
    rx.close();
  });

  // 1.1 defines \c \n \\ as escapes as well.
  test('1.1 header escapes survive a round trip', async () => {
    const { client: rx, dest } = await consumer('1.1');
    const tx = await connectStomp(ctx.broker.port, { 'accept-version': '1.1' });
    const value = 'p:q\nr\\s';
    await tx.frame('SEND', { destination: dest, 'x-escaped': escapeHeader(value, '1.1') }, 'esc11');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['x-escaped'], value);
    tx.close();
    rx.close();
  });

  // 1.0 has no escaping: a backslash (and a colon in a value) arrive literally.
  test('1.0: no escaping, a backslash arrives literally', async () => {
    const { client: rx, dest } = await consumer('1.0');
    const tx = await connectStomp(ctx.broker.port, { 'accept-version': '1.0' });
    await tx.frame('SEND', { destination: dest, 'x-raw': 'a\\nb\\c', 'x-colon': 'k:v' }, 'raw');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['x-raw'], 'a\\nb\\c');
    assert.equal(msg.headers['x-colon'], 'k:v');
    tx.close();
    rx.close();
  });

  // 1.2 lines may end in CRLF ("EOL = [CR] LF"); the CR is not part of the value.
  test('1.2 CRLF line endings', async () => {
    const { client: rx, dest } = await consumer('1.2');
    const tx = await RawClient.connect(ctx.broker.port);
    await tx.send('CONNECT\r\naccept-version:1.2\r\nhost:/\r\n\r\n\0');
    await tx.expectFrame('CONNECTED');
    tx.version = '1.2';
    await tx.send(`SEND\r\ndestination:${dest}\r\nx-crlf:value\r\nreceipt:crlf\r\n\r\ncrlf body\0\r\n`);
    await tx.expectReceipt('crlf');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['x-crlf'], 'value');
    assert.equal(msg.headers.destination, dest);
    assert.equal(msg.body.toString(), 'crlf body');
    tx.close();
    rx.close();
  });

  // Repeated header entries: only the first counts ("Repeated Header Entries").
  test('repeated header: the first value wins', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', [['destination', dest], ['x-rep', 'first'], ['x-rep', 'second'],
      ['destination', '/queue/elsewhere']], 'rep');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['x-rep'], 'first');
    assert.equal(msg.headers.destination, dest);
    tx.close();
    rx.close();
  });

  // content-length lets a body hold NUL octets; the MESSAGE gives the exact bytes back ("Body").
  test('content-length body with NUL bytes', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    const body = Buffer.from([0, 1, 0, 2, 0xff, 0, 0, 3, 0]);
    await tx.frame('SEND', { destination: dest, 'content-length': body.length,
      'content-type': 'application/octet-stream' }, body);
    const msg = await rx.expectFrame('MESSAGE');
    assert.deepEqual(msg.body, body);
    assert.equal(msg.headers['content-length'], String(body.length));
    tx.close();
    rx.close();
  });

  // An empty body with content-length:0 is a valid frame.
  test('content-length 0: empty body', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', { destination: dest, 'content-length': 0 });
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.body.length, 0);
    tx.close();
    rx.close();
  });

  // User-defined headers and content-type travel from SEND to MESSAGE ("SEND": other headers are passed on).
  test('custom headers and content-type pass through', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', { destination: dest, 'content-type': 'application/json;charset=utf-8',
      'x-custom': 'hello', 'correlation-id': 'c-42', 'x-app-rank': 7 }, '{"a":1}');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.headers['content-type'], 'application/json;charset=utf-8');
    assert.equal(msg.headers['x-custom'], 'hello');
    assert.equal(msg.headers['correlation-id'], 'c-42');
    assert.equal(msg.headers['x-app-rank'], '7');
    assert.equal(msg.body.toString(), '{"a":1}');
    tx.close();
    rx.close();
  });

  // Broker-set MESSAGE headers cannot be forged by the sender (message-id, subscription, destination).
  test('SEND cannot forge message-id or subscription', async () => {
    const { client: rx, dest } = await consumer();
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', { destination: dest, 'message-id': 'forged', subscription: 'forged' }, 'f');
    const msg = await rx.expectFrame('MESSAGE');
    assert.notEqual(msg.headers['message-id'], 'forged');
    assert.equal(msg.headers.subscription, 'sub-0');
    tx.close();
    rx.close();
  });

  // An undefined escape sequence (\t) is a fatal protocol error in 1.2 ("Value Encoding").
  test('bad escape \\t gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port, { 'accept-version': '1.2' });
    await tx.frame('SEND', { destination: '/queue/bad-escape', 'x-bad': 'a\\tb' }, 'x');
    await tx.expectErrorAndClose();
  });

  // The ERROR of a frame the parser refused names the frame's receipt when it was read before the
  // fault ("ERROR": the receipt-id SHOULD match the receipt of the frame the error is related to).
  test('a parse error carries the receipt-id of the frame it refused', async () => {
    const tx = await connectStomp(ctx.broker.port, { 'accept-version': '1.2' });
    await tx.send('SEND\ndestination:/queue/bad-escape\nreceipt:bad-1\nx-bad:a\\tb\n\nx\0');
    const err = await tx.expectErrorAndClose();
    assert.equal(err.headers.message, 'Bad escape sequence');
    assert.equal(err.headers['receipt-id'], 'bad-1');
  });

  // A NUL octet in a header would end the MESSAGE frame early for every consumer: refused at the SEND.
  test('a NUL in a header gets ERROR and a close; consumers never see it', async () => {
    const dest = uniqueDest('queue', 'nul-header');
    const tx = await connectStomp(ctx.broker.port);
    await tx.send(`SEND\ndestination:${dest}\nreceipt:nul-1\nk:a\0b\n\npoison\0`);
    const err = await tx.expectErrorAndClose();
    assert.equal(err.headers.message, 'Malformed header');
    assert.equal(err.headers['receipt-id'], 'nul-1');
    const rx = await connectStomp(ctx.broker.port);
    await subscribe(rx, dest, 's');
    await rx.frame('SEND', { destination: dest, receipt: 'after' }, 'clean');
    await rx.expectReceipt('after');
    const [msg] = await rx.expectFrames('MESSAGE', 1);
    assert.equal(msg.body.toString(), 'clean');
    await rx.disconnect();
  });

  // A content-length that does not match the body (no NUL after it) is an error ("Body").
  test('lying content-length gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', { destination: '/queue/liar', 'content-length': 3 }, 'hello world');
    await tx.expectErrorAndClose();
  });

  // content-length must be a number.
  test('non-numeric content-length gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', { destination: '/queue/nan', 'content-length': 'abc' }, 'x');
    await tx.expectErrorAndClose();
  });

  // Servers may limit frame size; before CONNECT the limit is 64 KiB and an oversized frame is refused.
  test('frame larger than 64 KiB before CONNECT gets ERROR and a close', async () => {
    const tx = await RawClient.connect(ctx.broker.port);
    await tx.frame('CONNECT', { 'accept-version': '1.2', host: '/', 'x-pad': 'p'.repeat(70 * 1024) });
    await tx.expectErrorAndClose(10_000);
  });

  // A header line needs a colon ("header = header-name ':' header-value").
  test('header line without a colon gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port);
    await tx.send(`SEND\ndestination:/queue/nocolon\nthis line has no colon\n\nbody\0`);
    await tx.expectErrorAndClose();
  });

  // A header line without a colon before CONNECT is refused too.
  test('CONNECT with a header line without a colon gets ERROR', async () => {
    const tx = await RawClient.connect(ctx.broker.port);
    await tx.send('CONNECT\naccept-version:1.2\nbroken\n\n\0');
    await tx.expectErrorAndClose();
  });

  // Garbage is not STOMP: the broker answers ERROR and/or closes, and keeps serving others.
  test('garbage bytes: ERROR/close, and the broker still serves a new client', async () => {
    const tx = await RawClient.connect(ctx.broker.port);
    await tx.send(Buffer.concat([Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a]), pseudoRandomBytes(4096, 0x5eed),
      Buffer.from('\n\n\0')]));
    // ERROR is optional for garbage, the close is not. The connect timeout is 10 s: this must come first.
    await tx.expectClosed(8000);
    const { client: rx, dest } = await consumer();
    const ok = await connectStomp(ctx.broker.port);
    await ok.frame('SEND', { destination: dest }, 'still alive');
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.body.toString(), 'still alive');
    ok.close();
    rx.close();
  });

  // A frame that is not a command at all (binary junk then NUL) after CONNECT is refused.
  test('binary junk after CONNECT gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port);
    await tx.send(Buffer.concat([pseudoRandomBytes(512, 42).map((b) => (b === 0 || b === 10 || b === 13 ? 65 : b)),
      Buffer.from('\n\n\0')]));
    await tx.expectErrorAndClose();
  });
});

describe('frames: --max-frame-size 65536', () => {
  const ctx = useBroker({ args: ['--max-frame-size', '65536'] });

  // A frame within the configured limit is accepted.
  test('a 32 KiB body is accepted', async () => {
    const dest = uniqueDest('queue', 'size');
    const rx = await connectStomp(ctx.broker.port);
    await subscribe(rx, dest, 's');
    const tx = await connectStomp(ctx.broker.port);
    const body = Buffer.alloc(32 * 1024, 0x61);
    await tx.frame('SEND', { destination: dest, 'content-length': body.length }, body);
    const msg = await rx.expectFrame('MESSAGE');
    assert.equal(msg.body.length, body.length);
    tx.close();
    rx.close();
  });

  // A frame over --max-frame-size is refused with ERROR and a close (content-length given).
  test('a body over the limit (content-length) gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port);
    const body = Buffer.alloc(70 * 1024, 0x62);
    await tx.frame('SEND', { destination: '/queue/too-big', 'content-length': body.length }, body);
    await tx.expectErrorAndClose(10_000);
  });

  // The limit also applies to a body read up to its NUL (no content-length).
  test('a body over the limit (no content-length) gets ERROR and a close', async () => {
    const tx = await connectStomp(ctx.broker.port);
    await tx.frame('SEND', { destination: '/queue/too-big' }, 'z'.repeat(70 * 1024));
    await tx.expectErrorAndClose(10_000);
  });

  // Oversized frames of one client leave other clients unaffected.
  test('the broker still serves after an oversized frame', async () => {
    const c = await connectStomp(ctx.broker.port);
    await c.disconnect();
  });
});
