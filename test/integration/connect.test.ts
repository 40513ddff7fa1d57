/** CONNECT / STOMP, protocol negotiation and the errors around connecting (STOMP 1.2 "Connecting"). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectStomp, RawClient, useBroker } from '../helpers/broker.js';

describe('connect', () => {
  const ctx = useBroker();

  async function negotiate(acceptVersion: string | undefined): Promise<Record<string, string>> {
    const client = await connectStomp(ctx.broker.port, { 'accept-version': acceptVersion });
    try {
      return client.connected!.headers;
    } finally {
      client.close();
    }
  }

  // A CONNECT frame is answered with CONNECTED (STOMP 1.2 "CONNECT or STOMP Frame").
  test('CONNECT is answered with CONNECTED', async () => {
    const client = await connectStomp(ctx.broker.port);
    assert.equal(client.connected!.command, 'CONNECTED');
    await client.disconnect();
  });

  // 1.2 clients may send STOMP instead of CONNECT; the server answers CONNECTED.
  test('STOMP command is answered with CONNECTED', async () => {
    const client = await connectStomp(ctx.broker.port, {}, { command: 'STOMP' });
    assert.equal(client.connected!.headers.version, '1.2');
    await client.disconnect();
  });

  // The server picks the highest version it shares with the client's accept-version ("Protocol Negotiation").
  for (const [offered, expected] of [['1.0', '1.0'], ['1.1', '1.1'], ['1.2', '1.2'], ['1.1,1.2', '1.2'],
    ['1.0,1.1', '1.1'], ['1.2,1.0', '1.2']] as const) {
    test(`accept-version ${offered} negotiates ${expected}`, async () => {
      const headers = await negotiate(offered);
      assert.equal(headers.version, expected);
    });
  }

  // A CONNECT without accept-version is a STOMP 1.0 client ("Protocol Negotiation").
  test('no accept-version negotiates 1.0', async () => {
    const headers = await negotiate(undefined);
    // 1.0 servers need not send `version`; when present it must say 1.0.
    if (headers.version !== undefined) assert.equal(headers.version, '1.0');
  });

  // No common version: ERROR whose `version` header lists the server's versions, then close.
  test('accept-version 2.0 gets ERROR listing 1.0,1.1,1.2 and a close', async () => {
    const client = await RawClient.connect(ctx.broker.port);
    await client.frame('CONNECT', { 'accept-version': '2.0', host: '/' });
    const error = await client.expectErrorAndClose();
    const versions = error.headers.version.split(',').map((v) => v.trim()).sort();
    assert.deepEqual(versions, ['1.0', '1.1', '1.2']);
  });

  // CONNECTED carries version, server (name/version), session and, from 1.1, heart-beat.
  test('CONNECTED headers: version, server, session, heart-beat', async () => {
    const headers = await negotiate('1.2');
    assert.equal(headers.version, '1.2');
    assert.match(headers.server, /^stomp-broker\/\S+/);
    assert.match(headers.session, /^session-\d+-\d+$/);
    assert.match(headers['heart-beat'], /^\d+,\d+$/);
  });

  // 1.1 CONNECTED has a heart-beat header too (STOMP 1.1 "Heart-beating").
  test('CONNECTED heart-beat header for 1.1', async () => {
    const headers = await negotiate('1.1');
    assert.equal(headers.version, '1.1');
    assert.match(headers['heart-beat'], /^\d+,\d+$/);
  });

  // Each connection gets its own session id.
  test('session ids differ between connections', async () => {
    const a = await negotiate('1.2');
    const b = await negotiate('1.2');
    assert.notEqual(a.session, b.session);
  });

  // Any frame other than CONNECT/STOMP before connecting is an error; the server closes after ERROR.
  test('SEND before CONNECT gets ERROR and a close', async () => {
    const client = await RawClient.connect(ctx.broker.port);
    await client.frame('SEND', { destination: '/queue/never' }, 'x');
    const error = await client.expectErrorAndClose();
    assert.ok(error.headers.message);
  });

  // SUBSCRIBE before CONNECT is also refused.
  test('SUBSCRIBE before CONNECT gets ERROR and a close', async () => {
    const client = await RawClient.connect(ctx.broker.port);
    await client.frame('SUBSCRIBE', { destination: '/queue/never', id: '1' });
    await client.expectErrorAndClose();
  });

  // A second CONNECT on a connected session is a protocol error.
  test('second CONNECT gets ERROR', async () => {
    const client = await connectStomp(ctx.broker.port);
    await client.frame('CONNECT', { 'accept-version': '1.2', host: '/' });
    const error = await client.expectErrorAndClose();
    assert.ok(error.headers.message);
  });

  // A client may send frames behind CONNECT without waiting for CONNECTED. When the bytes behind it
  // are malformed, the valid CONNECT is still answered first; then ERROR and a close.
  for (const [what, bad] of [['a bad escape', 'SEND\ndestination:/queue/x\nfoo:a\\tb\n\nx\0'],
    ['a header line without a colon', 'SEND\ndestination:/queue/x\nnocolon\n\nx\0'],
    ['a body longer than its content-length', 'SEND\ndestination:/queue/x\ncontent-length:2\n\nabcdef\0']] as const) {
    test(`CONNECT and ${what} in one write: CONNECTED, then ERROR and a close`, async () => {
      const client = await RawClient.connect(ctx.broker.port);
      await client.send(Buffer.from(`CONNECT\naccept-version:1.2\nhost:/\n\n\0${bad}`));
      await client.expectFrame('CONNECTED');
      await client.expectErrorAndClose();
    });
  }

  // An unknown command is an error; the server closes after ERROR (STOMP 1.2 "ERROR").
  test('unknown command gets ERROR and a close', async () => {
    const client = await connectStomp(ctx.broker.port);
    await client.frame('FLY', { to: 'moon' });
    await client.expectErrorAndClose();
  });

  // An unknown command before CONNECT is refused too.
  test('unknown command before CONNECT gets ERROR and a close', async () => {
    const client = await RawClient.connect(ctx.broker.port);
    await client.frame('HELLO', {});
    await client.expectErrorAndClose();
  });

  // Commands are case-sensitive: "connect" is not CONNECT.
  test('lower-case connect is not a command', async () => {
    const client = await RawClient.connect(ctx.broker.port);
    await client.frame('connect', { 'accept-version': '1.2', host: '/' });
    await client.expectErrorAndClose();
  });

  // ERROR for a frame that asked for a receipt carries receipt-id (STOMP 1.2 "ERROR").
  test('ERROR carries receipt-id of the offending frame', async () => {
    const client = await connectStomp(ctx.broker.port);
    // SEND without destination is invalid.
    await client.frame('SEND', { receipt: 'bad-send-77' }, 'x');
    const error = await client.expectErrorAndClose();
    assert.equal(error.headers['receipt-id'], 'bad-send-77');
  });

  // A bad frame before CONNECT that asked for a receipt: the ERROR carries it too.
  test('ERROR before CONNECT carries receipt-id', async () => {
    const client = await RawClient.connect(ctx.broker.port);
    await client.frame('SUBSCRIBE', { destination: '/queue/x', id: '1', receipt: 'early-1' });
    const error = await client.expectErrorAndClose();
    assert.equal(error.headers['receipt-id'], 'early-1');
  });

  // An ERROR frame has a `message` header, and its body (when present) is described by content-length/type.
  test('ERROR has a message header and a readable body', async () => {
    const client = await connectStomp(ctx.broker.port);
    await client.frame('UNSUBSCRIBE', { id: 'nope' });
    const error = await client.expectErrorAndClose();
    assert.ok(error.headers.message.length > 0);
    if (error.body.length > 0) assert.equal(Number(error.headers['content-length']), error.body.length);
  });

  // A client that never sends CONNECT, or stalls mid-CONNECT, is dropped after the connect deadline (10 s).
  test('no CONNECT within the deadline: ERROR and a close (silent and partial CONNECT)', { timeout: 60_000 },
    async () => {
      const silent = await RawClient.connect(ctx.broker.port);
      const partial = await RawClient.connect(ctx.broker.port);
      await partial.send('CONNECT\naccept-version:1.2\n');
      // Both deadlines run at once, so the test waits for one deadline, not two.
      const [error] = await Promise.all([silent.expectErrorAndClose(30_000), partial.expectClosed(30_000)]);
      assert.match(error.headers.message, /connect/i);
    });

  // The broker keeps serving new clients after refusing others.
  test('a new client connects after the errors above', async () => {
    const client = await connectStomp(ctx.broker.port);
    await client.disconnect();
  });
});
