/** CONNECT / STOMP handler: version and heart-beat negotiation, the login asked of the hub, CONNECTED, the state. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptLogin, handleConnect, refuseLogin } from '../../src/session/handlers/connect.js';
import {
  type FakeContext, fakeContext, frame, FULL_ACCESS, REMOTE, SESSION_NAME, throwsStomp,
} from './fake-context.js';

/** A fresh, unconnected session with the broker's minimum heart-beats set to 100,100 (the default). */
function unconnected(): FakeContext {
  return fakeContext({ connected: false, config: { heartbeat: [100, 100] } });
}

/** CONNECT, then the hub's acceptance of the login (what the session does on `auth-reply`). */
function connectAccepted(f: ReturnType<typeof frame>, ctx: FakeContext): void {
  handleConnect(f, ctx);
  acceptLogin(ctx, FULL_ACCESS);
}

describe('CONNECT: the login goes to the hub', () => {
  // CONNECT writes nothing yet: the credentials go to the hub, which decides; the parser switches version.
  test('CONNECT sends login, passcode and certificate to the hub and waits', () => {
    const ctx = unconnected();
    handleConnect(frame('CONNECT', { 'accept-version': '1.2', login: 'alice', passcode: 'pa:ss', 'heart-beat': '0,0' }), ctx);
    assert.deepEqual(ctx.sent, [], 'no CONNECTED before the hub answers');
    assert.deepEqual(ctx.messages, [{ t: 'auth', login: 'alice', passcode: 'pa:ss', cert: Buffer.alloc(0) }]);
    assert.equal(ctx.state.connected, false);
    assert.notEqual(ctx.state.pendingConnect, null);
    assert.deepEqual(ctx.connectionCalls, [{ call: 'connected', version: '1.2' }], 'no heart-beats before the login');
  });

  // Without login and passcode headers the hub is asked all the same (it decides about anonymous clients).
  test('no login headers: empty credentials are sent', () => {
    const ctx = unconnected();
    handleConnect(frame('CONNECT', { 'accept-version': '1.2' }), ctx);
    assert.deepEqual(ctx.messages, [{ t: 'auth', login: '', passcode: '', cert: Buffer.alloc(0) }]);
  });

  // A second CONNECT while the first one's login is being checked is refused.
  test('CONNECT while the login is pending → ALREADY_CONNECTED', () => {
    const ctx = unconnected();
    handleConnect(frame('CONNECT', { 'accept-version': '1.2' }), ctx);
    throwsStomp(() => handleConnect(frame('CONNECT', { 'accept-version': '1.2' }), ctx), 'ALREADY_CONNECTED', 'Already connected');
  });

  // The hub's acceptance: the state takes the access, and the hub is told login, version, address and client-id.
  test('acceptLogin: connected with the access the hub sent', () => {
    const ctx = unconnected();
    handleConnect(frame('STOMP', { 'accept-version': '1.1', login: 'alice', passcode: 'secret', 'client-id': 'c1' }), ctx);
    acceptLogin(ctx, FULL_ACCESS);
    assert.equal(ctx.state.connected, true);
    assert.equal(ctx.state.pendingConnect, null);
    assert.equal(ctx.state.access, FULL_ACCESS);
    assert.equal(ctx.sent[0].command, 'CONNECTED');
    assert.deepEqual(ctx.messages.at(-1), { t: 'connected', login: 'alice', version: '1.1', remote: REMOTE, clientId: 'c1' });
  });

  // A refused login: ERROR "access refused", and nothing that says whether the user exists.
  test('refuseLogin: ACCESS_REFUSED "access refused", no hint', () => {
    const err = refuseLogin();
    assert.equal(err.code, 'ACCESS_REFUSED');
    assert.equal(err.message, 'access refused');
    assert.doesNotMatch(err.detail, /user|exist|unknown/i);
  });
});

describe('CONNECT', () => {
  // CONNECTED names the version, the server and the session; the state is connected in that version.
  test('accept-version 1.2: CONNECTED with version, server, session and heart-beat', () => {
    const ctx = unconnected();
    connectAccepted(frame('CONNECT', { 'accept-version': '1.0,1.1,1.2', host: '/' }), ctx);
    assert.equal(ctx.sent.length, 1);
    assert.deepEqual(ctx.sent[0], {
      command: 'CONNECTED',
      headers: { version: '1.2', server: 'stomp-broker/test', session: SESSION_NAME, 'heart-beat': '0,0' },
      body: Buffer.alloc(0),
    });
    assert.equal(ctx.state.connected, true);
    assert.equal(ctx.state.version, '1.2');
  });

  // The highest version both speak is chosen, and the connection switches to it.
  for (const [accept, version] of [['1.1', '1.1'], ['1.0,1.1', '1.1'], ['1.0', '1.0'], ['1.2,2.0', '1.2']] as const) {
    test(`accept-version '${accept}' → ${version}`, () => {
      const ctx = unconnected();
      connectAccepted(frame('CONNECT', { 'accept-version': accept }), ctx);
      assert.equal(ctx.state.version, version);
      assert.equal(ctx.sent[0].headers.version, version);
      assert.deepEqual(ctx.connectionCalls[0], { call: 'connected', version });
    });
  }

  // No accept-version is a STOMP 1.0 client: its CONNECTED carries no heart-beat header (a 1.1 header).
  test('no accept-version → 1.0, CONNECTED without heart-beat', () => {
    const ctx = unconnected();
    connectAccepted(frame('CONNECT'), ctx);
    assert.equal(ctx.state.version, '1.0');
    assert.deepEqual(ctx.sent[0].headers,
      { version: '1.0', server: 'stomp-broker/test', session: SESSION_NAME });
  });

  // Heart-beats: the broker offers what the client asks, no faster than its minimum; 0 stays off.
  test('heart-beat is negotiated against the configured minimum and started', () => {
    const ctx = fakeContext({ connected: false, config: { heartbeat: [500, 400] } });
    connectAccepted(frame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '100,1000' }), ctx);
    // The client can send every 100 ms (the broker expects no more often than 400) and wants one every 1000.
    assert.equal(ctx.sent[0].headers['heart-beat'], '1000,400');
    assert.deepEqual(ctx.connectionCalls, [
      { call: 'connected', version: '1.2' },
      { call: 'startHeartbeat', send: 1000, receive: 400 },
    ]);
  });

  // STOMP 1.0 has no heart-beating: a 1.0 client's heart-beat header starts nothing it was not told of.
  test('1.0: a heart-beat header is not agreed to', () => {
    const ctx = unconnected();
    connectAccepted(frame('CONNECT', { 'heart-beat': '100,100' }), ctx);
    assert.equal(ctx.sent[0].headers['heart-beat'], undefined);
    assert.deepEqual(ctx.connectionCalls[1], { call: 'startHeartbeat', send: 0, receive: 0 });
  });

  test('heart-beat 0,0 (or none) → no heart-beats either way', () => {
    const ctx = unconnected();
    connectAccepted(frame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '0,0' }), ctx);
    assert.equal(ctx.sent[0].headers['heart-beat'], '0,0');
    assert.deepEqual(ctx.connectionCalls[1], { call: 'startHeartbeat', send: 0, receive: 0 });
  });

  // login and client-id are kept (client-id scopes durable subscriptions) and reported to the hub.
  test('the hub is told login, version, remote address and client-id', () => {
    const ctx = unconnected();
    const headers = { 'accept-version': '1.1', login: 'alice', passcode: 'secret', 'client-id': 'c1' };
    connectAccepted(frame('STOMP', headers), ctx);
    assert.equal(ctx.state.login, 'alice');
    assert.equal(ctx.state.clientId, 'c1');
    assert.deepEqual(ctx.messages.slice(1),
      [{ t: 'connected', login: 'alice', version: '1.1', remote: REMOTE, clientId: 'c1' }]);
  });

  test('without login and client-id both are empty', () => {
    const ctx = unconnected();
    connectAccepted(frame('CONNECT', { 'accept-version': '1.2' }), ctx);
    assert.deepEqual(ctx.messages.slice(1), [{ t: 'connected', login: '', version: '1.2', remote: REMOTE, clientId: '' }]);
  });
});

describe('CONNECT: errors (nothing is sent, the state stays unconnected)', () => {
  /** Asserts that the refused CONNECT changed nothing. */
  function assertUntouched(ctx: FakeContext): void {
    assert.equal(ctx.state.connected, false);
    assert.equal(ctx.state.version, '1.0');
    assert.deepEqual(ctx.sent, []);
    assert.deepEqual(ctx.messages, []);
    assert.deepEqual(ctx.connectionCalls, []);
  }

  test('no version in common → UNSUPPORTED_VERSION naming ours', () => {
    const ctx = unconnected();
    throwsStomp(() => handleConnect(frame('CONNECT', { 'accept-version': '2.0,3.1' }), ctx),
      'UNSUPPORTED_VERSION', 'Supported protocol versions are 1.0,1.1,1.2', /the client accepts 2\.0,3\.1/);
    assertUntouched(ctx);
  });

  for (const value of ['100', '1,2,3', '-1,0', 'a,b', '']) {
    test(`heart-beat '${value}' → BAD_HEADER "Invalid heart-beat header"`, () => {
      const ctx = unconnected();
      throwsStomp(() => handleConnect(frame('CONNECT', { 'accept-version': '1.2', 'heart-beat': value }), ctx),
        'BAD_HEADER', 'Invalid heart-beat header', /heart-beat must be "cx,cy"/);
      assertUntouched(ctx);
    });
  }

  // The version is negotiated first: with both wrong, the client learns which versions we speak.
  test('bad version and bad heart-beat → the version error', () => {
    const ctx = unconnected();
    throwsStomp(() => handleConnect(frame('CONNECT', { 'accept-version': '9.9', 'heart-beat': 'x' }), ctx),
      'UNSUPPORTED_VERSION', /^Supported protocol versions/);
    assertUntouched(ctx);
  });

  // A connected session refuses another CONNECT (or STOMP) and keeps its state.
  for (const command of ['CONNECT', 'STOMP']) {
    test(`${command} on a connected session → ALREADY_CONNECTED`, () => {
      const ctx = fakeContext({ connected: '1.1' });
      throwsStomp(() => handleConnect(frame(command, { 'accept-version': '1.2', login: 'mallory' }), ctx),
        'ALREADY_CONNECTED', 'Already connected', /^This session is already connected\.$/);
      assert.equal(ctx.state.version, '1.1');
      assert.equal(ctx.state.login, '');
      assert.deepEqual(ctx.sent, []);
      assert.deepEqual(ctx.messages, []);
    });
  }
});
