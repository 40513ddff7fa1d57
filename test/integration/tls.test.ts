/**
 * STOMP over TLS: the hub hands the TLS port's sockets unread to a session, which does the handshake
 * itself with key material the hub sent over its channel; the CONNECT deadline and the pre-CONNECT
 * frame limit hold inside TLS too. With --tls-ca clients need a certificate the CA signed, and with
 * --tls-cert-login its subject CN is the login. Certificates are made with `openssl` for each run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import {
  type Broker, type BrokerContext, connectStomp, RawClient, sendConfirmed, sessionPidOf, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';
import { makeCertificates, removeCertificates, type TestCertificates } from '../helpers/certs.js';
import { PYTHON, runScript, scriptPath } from '../helpers/scripts.js';
import { removeUsers, usersPath, writeUsers } from '../helpers/users.js';

const USERS = { alice: { password: 'a', allow: [['read,write', '/queue/tls-*']] as Array<[string, string]> } };

/** The TLS port the broker logged ("TLS on host:port"). */
function tlsPort(broker: Broker): number {
  const m = /TLS on \S+:(\d+)/.exec(broker.logs());
  assert.ok(m, 'the broker names its TLS port');
  return Number(m[1]);
}

/** Opens a TLS connection and sends CONNECT; resolves with the client once CONNECTED arrived. */
async function connectTls(broker: Broker, options: tls.ConnectionOptions, headers: Record<string, string> = {}): Promise<RawClient> {
  const client = await RawClient.connectTls(tlsPort(broker), options);
  return connectStomp(0, headers, { client });
}

/**
 * Whether the broker turns a TLS client with these options away: the handshake fails, or (TLS 1.3,
 * where the client finishes first) the connection closes before any frame.
 */
async function turnedAway(broker: Broker, options: tls.ConnectionOptions): Promise<boolean> {
  let client: RawClient;
  try {
    client = await RawClient.connectTls(tlsPort(broker), options);
  } catch {
    return true;
  }
  await client.frame('CONNECT', { 'accept-version': '1.2', host: '/' });
  await client.expectClosed(10_000);
  return client.pending === 0;
}

/**
 * Runs test/integration/python/stomp_login.py over TLS and returns its JSON result. stomp.py before the
 * fix of jasonrbriggs/stomp.py#450 (Debian 12 ships 8.0) reads a TLS socket in one thread while it writes
 * CONNECT from another, which OpenSSL does not allow: now and then, mostly
 * under load, its CONNECT never leaves (the broker answers "Connect timeout"), the write fails with
 * an SSLError, or the reading thread fails and stomp.py reports the connection closed. That one client-side failure is tried once more; any other result counts as it is.
 */
async function stompPyOverTls(args: string[]): Promise<unknown> {
  const run = async (): Promise<{ raced: boolean; result: unknown; error?: Error }> => {
    try {
      const result = JSON.parse(await runScript(PYTHON!, [scriptPath('python', 'stomp_login.py'), ...args])) as { error?: string };
      return { raced: result.error === 'Connect timeout', result };
    } catch (err) {
      // The race's third face: stomp.py's reading thread fails on the socket the other thread writes
      // and reports a disconnect before CONNECTED (seen once in a full run under load; 0 of 30 alone).
      const raced = /SSLError|SSLEOFError|connection closed while waiting for CONNECTED/.test((err as Error).message);
      return { raced, result: undefined, error: err as Error };
    }
  };
  let outcome = await run();
  if (outcome.raced) outcome = await run();
  if (outcome.error) throw outcome.error;
  return outcome.result;
}

/**
 * Registers a suite's broker with USERS and a TLS port on fresh certificates (`clients`: CNs to make
 * client certificates for), plus the flags `args` gives; certificates and users file go afterwards.
 */
function useTlsBroker(args: (certs: TestCertificates) => string[], clients = ['alice']): { ctx: BrokerContext; certs: TestCertificates } {
  const certs = makeCertificates(clients);
  const usersFile = usersPath();
  before(() => writeUsers(USERS, usersFile));
  after(() => {
    removeCertificates(certs);
    removeUsers(usersFile);
  });
  const ctx = useBroker({
    args: ['--users', usersFile, '--tls-port', '0', '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, ...args(certs)],
  });
  return { ctx, certs };
}

describe('TLS, password logins', () => {
  const { ctx, certs } = useTlsBroker(() => ['--connect-timeout', '1500']);
  const ca = () => fs.readFileSync(certs.caCert);

  test('raw client: handshake, login, SEND and MESSAGE over TLS', async () => {
    const queue = uniqueDest('queue', 'tls');
    const client = await connectTls(ctx.broker, { ca: ca() }, { login: 'alice', passcode: 'a' });
    await subscribe(client, queue, 's');
    await sendConfirmed(client, queue, 'encrypted');
    assert.equal((await client.expectFrame('MESSAGE')).body.toString(), 'encrypted');
    await client.disconnect();
  });

  test('stomp.py over TLS with login and passcode', { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 90_000 }, async () => {
    const result = await stompPyOverTls(['127.0.0.1', String(tlsPort(ctx.broker)), uniqueDest('queue', 'tls'), 'alice', 'a', certs.caCert]);
    assert.deepEqual(result, { received: ['py-0', 'py-1', 'py-2'], version: '1.2' });
  });

  test('openssl s_client: CONNECT, CONNECTED, DISCONNECT with RECEIPT', { timeout: 60_000 }, async () => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${tlsPort(ctx.broker)}`, '-CAfile', certs.caCert,
      '-verify_return_error', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString('latin1'); });
    child.stdin.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:alice\npasscode:a\n\n\0'
      + 'DISCONNECT\nreceipt:bye\n\n\0');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.match(output, /^CONNECTED\nversion:1\.2\n/);
    assert.match(output, /RECEIPT\nreceipt-id:bye\n/);
    assert.equal(code, 0, 'the broker closed the connection after the RECEIPT');
  });

  // The hub cannot see into TLS: plain STOMP sent to the TLS port fails the session's handshake.
  test('plain STOMP on the TLS port is closed; the broker goes on', async () => {
    const plain = await RawClient.connect(tlsPort(ctx.broker));
    await plain.frame('CONNECT', { 'accept-version': '1.2', host: '/' });
    await plain.expectClosed(10_000);
    const client = await connectTls(ctx.broker, { ca: ca() }, { login: 'alice', passcode: 'a' });
    await client.disconnect();
  });

  // A silent client costs one session until the CONNECT deadline, which the session applies itself.
  test('a handshake that never starts ends at the CONNECT deadline; others are served meanwhile', async () => {
    const silent = net.connect(tlsPort(ctx.broker), '127.0.0.1');
    const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    silent.on('error', () => {});
    const client = await connectTls(ctx.broker, { ca: ca() }, { login: 'alice', passcode: 'a' });
    await client.disconnect();
    await closed;
  });

  // The pre-CONNECT frame limit holds inside TLS: the session enforces it.
  test('64 KiB without a frame end after the handshake: ERROR "Frame too large"', async () => {
    const client = await RawClient.connectTls(tlsPort(ctx.broker), { ca: ca() });
    await client.send(`CONNECT\naccept-version:1.2\n${`h:${'x'.repeat(1000)}\n`.repeat(70)}`);
    const err = await client.expectErrorAndClose();
    assert.equal(err.headers.message, 'Frame too large');
  });

  // The key reaches sessions over their channel, never through their environment (or their files).
  test('the private key is not in a session\'s environment', async () => {
    const client = await connectTls(ctx.broker, { ca: ca() }, { login: 'alice', passcode: 'a' });
    const environ = fs.readFileSync(`/proc/${sessionPidOf(client)}/environ`, 'utf8');
    assert.doesNotMatch(environ, /PRIVATE KEY|BEGIN/);
    await client.disconnect();
  });
});

describe('TLS, client certificates as logins', () => {
  const { ctx, certs } = useTlsBroker((c) => ['--tls-ca', c.caCert, '--tls-cert-login'], ['alice', 'bob']);
  const options = (who: 'alice' | 'bob' | 'rogue' | null): tls.ConnectionOptions => {
    const pair = who === 'rogue' ? certs.rogue : who ? certs.clients[who] : null;
    return { ca: fs.readFileSync(certs.caCert), ...(pair ? { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key) } : {}) };
  };

  test('a certificate with CN alice logs in as alice, with alice\'s rights', async () => {
    const queue = uniqueDest('queue', 'tls');
    const alice = await connectTls(ctx.broker, options('alice'));
    await subscribe(alice, queue, 's');
    await sendConfirmed(alice, queue, 'by certificate');
    assert.equal((await alice.expectFrame('MESSAGE')).body.toString(), 'by certificate');
    await alice.frame('SEND', { destination: uniqueDest('queue', 'other'), receipt: 'no' }, 'x');
    assert.match((await alice.expectErrorAndClose()).headers.message, /no write right/);
  });

  test('no client certificate, or one another CA signed: turned away at the handshake', async () => {
    assert.ok(await turnedAway(ctx.broker, options(null)), 'without a certificate');
    assert.ok(await turnedAway(ctx.broker, options('rogue')), 'CN alice from an untrusted CA');
    const alice = await connectTls(ctx.broker, options('alice'));
    await alice.disconnect();
  });

  // A valid certificate whose CN is no user gets the login refusal, as a wrong password does.
  test('a certificate whose CN is no user: ERROR "access refused"', async () => {
    const client = await RawClient.connectTls(tlsPort(ctx.broker), options('bob'));
    await client.frame('CONNECT', { 'accept-version': '1.2', host: '/', login: 'alice', passcode: 'a' });
    assert.equal((await client.expectErrorAndClose(15_000)).headers.message, 'access refused');
  });

  test('stomp.py with a client certificate', { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 90_000 }, async () => {
    const result = await stompPyOverTls(['127.0.0.1', String(tlsPort(ctx.broker)), uniqueDest('queue', 'tls'), '', '',
      certs.caCert, certs.clients.alice.cert, certs.clients.alice.key]);
    assert.deepEqual(result, { received: ['py-0', 'py-1', 'py-2'], version: '1.2' });
  });

  // The plain port is unchanged: there the login is the passcode's.
  test('the TCP port still takes login and passcode', async () => {
    const alice = await connectStomp(ctx.broker.port, { login: 'alice', passcode: 'a' });
    await alice.disconnect();
    await assert.rejects(connectStomp(ctx.broker.port, { login: 'alice' }), /access refused/);
  });
});
