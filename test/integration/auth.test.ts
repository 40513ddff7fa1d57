/**
 * Logins with a users file: the hub checks CONNECT's login and passcode, CONNECTED comes only on its
 * answer, and a refusal is ERROR "access refused" and a close that says nothing about whether the user
 * exists. Raw frames, stomp.py and Net::Stomp.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  brokerStatus, connectStomp, encodeFrame, eventually, RawClient, sendConfirmed, uniqueDest, useBroker,
} from '../helpers/broker.js';
import { PERL_STOMP, PYTHON, runScript, scriptPath } from '../helpers/scripts.js';
import { removeUsers, usersPath, writeUsers } from '../helpers/users.js';

const USERS = {
  alice: { password: 'wonder:land ✓', allow: [['read,write', '/queue/auth-*']] as Array<[string, string]> },
  bob: { password: 'builder', allow: [['read', '/queue/auth-*']] as Array<[string, string]> },
};

/** Sends CONNECT with these credentials (and `more` frames in the same write); returns the client. */
async function connectWith(port: number, login: string | undefined, passcode: string | undefined, more: Buffer[] = []) {
  const client = await RawClient.connect(port);
  const headers: Record<string, string> = { 'accept-version': '1.2', host: '/' };
  if (login !== undefined) headers.login = login;
  if (passcode !== undefined) headers.passcode = passcode;
  await client.send(Buffer.concat([encodeFrame('CONNECT', headers), ...more]));
  return client;
}

/** The depth of queue `name` as the broker reports it (0 when it does not exist). */
async function depth(ctx: { broker: Parameters<typeof brokerStatus>[0] }, name: string): Promise<number> {
  return (await brokerStatus(ctx.broker)).destinations.find((d) => d.name === name)?.depth ?? 0;
}

describe('logins with --users', () => {
  const usersFile = usersPath();
  before(() => writeUsers(USERS, usersFile));
  after(() => removeUsers(usersFile));
  const ctx = useBroker({ args: ['--users', usersFile, '--auth-failure-delay', '20'] });

  // The right passcode gets CONNECTED; frames pipelined behind CONNECT are acted on after it, in order.
  test('right credentials: CONNECTED, then the frames sent behind CONNECT', async () => {
    const queue = uniqueDest('queue', 'auth');
    const client = await connectWith(ctx.broker.port, 'alice', USERS.alice.password, [
      encodeFrame('SUBSCRIBE', { destination: queue, id: 's', receipt: 'sub' }),
      encodeFrame('SEND', { destination: queue, receipt: 'sent' }, 'behind CONNECT'),
    ]);
    await client.expectFrame('CONNECTED');
    await client.expectReceipt('sub');
    await client.expectReceipt('sent');
    assert.equal((await client.expectFrame('MESSAGE')).body.toString(), 'behind CONNECT');
    await client.disconnect();
  });

  // A wrong passcode, an unknown user and no credentials at all get the very same answer.
  test('wrong passcode, unknown user, no login: the same ERROR "access refused" and a close', async () => {
    const answers: Array<{ message: string; body: string }> = [];
    for (const [login, passcode] of [['alice', 'wrong'], ['mallory', 'wrong'], [undefined, undefined], ['alice', '']] as const) {
      const client = await connectWith(ctx.broker.port, login, passcode);
      const err = await client.expectErrorAndClose(15_000);
      answers.push({ message: err.headers.message, body: err.body.toString() });
    }
    assert.equal(answers[0].message, 'access refused');
    for (const answer of answers) assert.deepEqual(answer, answers[0], 'no hint whether the user exists');
    assert.doesNotMatch(answers[0].body, /alice|mallory|exist|unknown/i);
  });

  // What a refused client sent behind its CONNECT never takes effect.
  test('a SEND behind a refused CONNECT is not queued', async () => {
    const queue = uniqueDest('queue', 'auth');
    const client = await connectWith(ctx.broker.port, 'alice', 'wrong',
      [encodeFrame('SEND', { destination: queue, receipt: 'r' }, 'must not arrive')]);
    const err = await client.expectErrorAndClose(15_000);
    assert.equal(err.headers.message, 'access refused');
    assert.equal(client.pending, 0, 'no RECEIPT');
    assert.equal(await depth(ctx, queue), 0);
  });

  // Failures slow an address down, but never lock it out: the right passcode still gets in afterwards.
  test('after repeated failures the right passcode still connects', async () => {
    for (let i = 0; i < 3; i++) {
      const client = await connectWith(ctx.broker.port, 'bob', `guess-${i}`);
      await client.expectErrorAndClose(15_000);
    }
    const client = await connectStomp(ctx.broker.port, { login: 'bob', passcode: 'builder' }, { timeoutMs: 30_000 });
    await client.disconnect();
    const refusal = ctx.broker.logs().split('\n').find((line) => line.includes('"event":"login-refused"') && line.includes('"login":"bob"'));
    assert.ok(refusal, 'a refused login is logged with its login');
    assert.match(refusal, /"remote":"127\.0\.0\.1"/);
    assert.doesNotMatch(ctx.broker.logs(), /guess-/, 'passcodes never reach the log');
  });

  test('stomp.py: logs in with login and passcode, sends, receives', { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 90_000 }, async () => {
    const queue = uniqueDest('queue', 'auth');
    const line = await runScript(PYTHON!, [scriptPath('python', 'stomp_login.py'), '127.0.0.1', String(ctx.broker.port),
      queue, 'alice', USERS.alice.password]);
    assert.deepEqual(JSON.parse(line), { received: ['py-0', 'py-1', 'py-2'], version: '1.2' });
  });

  test('stomp.py: a wrong passcode gets ERROR "access refused"', { skip: PYTHON ? false : 'python3-stomp not installed', timeout: 90_000 }, async () => {
    const line = await runScript(PYTHON!, [scriptPath('python', 'stomp_login.py'), '127.0.0.1', String(ctx.broker.port),
      uniqueDest('queue', 'auth'), 'alice', 'not-it']);
    assert.equal(JSON.parse(line).error, 'access refused');
  });

  test('Net::Stomp: logs in with login and passcode; a wrong one is refused', { skip: PERL_STOMP ? false : 'libnet-stomp-perl not installed', timeout: 90_000 }, async () => {
    const script = scriptPath('perl', 'net_stomp_login.pl');
    const queue = uniqueDest('queue', 'auth');
    assert.equal(await runScript('perl', [script, '127.0.0.1', String(ctx.broker.port), queue, 'alice', USERS.alice.password]),
      'received: perl-0,perl-1');
    assert.equal(await runScript('perl', [script, '127.0.0.1', String(ctx.broker.port), queue, 'alice', 'nope']),
      'error: access refused');
  });

  // A client logged in as bob (read only) keeps its connection for what it may do.
  test('a user may do what its lines allow on the same connection', async () => {
    const queue = uniqueDest('queue', 'auth');
    const alice = await connectStomp(ctx.broker.port, { login: 'alice', passcode: USERS.alice.password });
    await sendConfirmed(alice, queue, 'for bob');
    const bob = await connectStomp(ctx.broker.port, { login: 'bob', passcode: 'builder' });
    await bob.frame('SUBSCRIBE', { destination: queue, id: 'b' });
    assert.equal((await bob.expectFrame('MESSAGE')).body.toString(), 'for bob');
    await bob.disconnect();
    await alice.disconnect();
  });
});

describe('failed logins of clients that left', () => {
  const usersFile = usersPath();
  before(() => writeUsers(USERS, usersFile));
  after(() => removeUsers(usersFile));
  // A long failure delay: each failed attempt from an address waits behind the ones before it.
  const ctx = useBroker({
    args: ['--users', usersFile, '--auth-failure-delay', '4000', '--max-connections', '6', '--max-connections-per-address', '0'],
  });

  // Wrong passwords fill every connection slot and their clients leave: the slots and sessions come
  // back at once (the failure delays still run: ~4+8+16+32+64 s here), and the right password connects.
  test('clients that leave while their failed logins wait give their slots back at once', { timeout: 90_000 }, async () => {
    const guesses = await Promise.all(Array.from({ length: 6 }, () => connectWith(ctx.broker.port, 'alice', 'wrong')));
    await eventually(async () => (await brokerStatus(ctx.broker)).connections === 6);
    for (const g of guesses) g.close();
    // Before, they came back one per failure delay (4 s, then 8 s, 16 s, ...).
    await eventually(async () => (await brokerStatus(ctx.broker)).connections === 0, 10_000);
    const more = await Promise.all(Array.from({ length: 6 }, () => connectWith(ctx.broker.port, 'bob', 'wrong')));
    await eventually(async () => (await brokerStatus(ctx.broker)).connections === 6);
    for (const g of more) g.close();
  });
});
