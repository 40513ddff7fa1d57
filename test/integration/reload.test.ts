/**
 * Reload (`stomp-broker reload`, SIGHUP): the users file and --config are reread without dropping
 * clients. A connected client gets a right as soon as the reload grants it; one whose right is taken
 * away gets ERROR on its next frame that needs it (a subscription it may no longer read ends with an
 * ERROR at once). A broken file is refused with its line and problem, and the configuration in use stays.
 */
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseRights } from '../../src/auth/rights.js';
import {
  BROKER_BIN, brokerStatus, connectStomp, eventually, type RawClient, sendConfirmed, subscribe, uniqueDest, useBroker,
} from '../helpers/broker.js';
import { editUsers, removeUsers, type TestUser, usersPath, writeUsers } from '../helpers/users.js';

const USERS: Record<string, TestUser> = {
  alice: { password: 'a', allow: [['read,write', '/queue/rl-*']] },
  bob: { password: 'b', allow: [['read', '/queue/rl-*']] },
};

/** Runs `stomp-broker reload --data-dir DIR`; resolves with its exit code and output. */
function reloadCli(dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BROKER_BIN, 'reload', '--data-dir', dataDir], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Sends `command` with a receipt; expects ERROR with that receipt-id and a close; returns its message. */
async function refused(client: RawClient, command: string, headers: Record<string, string>, body = ''): Promise<string> {
  await client.frame(command, { ...headers, receipt: 'refused' }, body);
  const err = await client.expectErrorAndClose();
  assert.equal(err.headers['receipt-id'], 'refused');
  return err.headers.message;
}

describe('reload', () => {
  // The same paths for every test (the broker's flags name them); the files are rewritten before each.
  const usersFile = usersPath();
  const configFile = path.join(path.dirname(usersFile), 'broker.json');
  beforeEach(async () => {
    await writeUsers(USERS, usersFile);
    fs.writeFileSync(configFile, '{ "destinations": {} }\n');
  });
  after(() => removeUsers(usersFile));
  const ctx = useBroker({ perTest: true, args: ['--users', usersFile, '--config', configFile] });

  /** Connects as `user`. */
  const login = (user: string): Promise<RawClient> => connectStomp(ctx.broker.port, { login: user, passcode: USERS[user].password });
  /** Reloads through the CLI and checks that the broker took the files. */
  async function reload(): Promise<string> {
    const result = await reloadCli(ctx.broker.dataDir);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  }
  /** The depth of queue `name` (0 when it does not exist). */
  async function depth(name: string): Promise<number> {
    return (await brokerStatus(ctx.broker)).destinations.find((d) => d.name === name)?.depth ?? 0;
  }

  test('a right granted by reload applies to a client already connected', async () => {
    const queue = uniqueDest('queue', 'rl');
    const bob = await login('bob');
    assert.match(await refused(await login('bob'), 'SEND', { destination: queue }, 'before'), /no write right/);
    editUsers(usersFile, (doc) => doc.grant('bob', parseRights('write'), '/queue/rl-*'));
    assert.match(await reload(), /reloaded 2 users from .*users\.txt/);
    await sendConfirmed(bob, queue, 'after the grant');
    assert.equal(await depth(queue), 1);
    await bob.disconnect();
  });

  // SIGHUP: a subscription the client may no longer read ends with ERROR at once; a right taken away
  // refuses the client's next frame that needs it.
  test('rights removed by SIGHUP: ERROR for the subscription and for the next SEND; nothing queued', async () => {
    const queue = uniqueDest('queue', 'rl');
    const reader = await login('alice');
    await subscribe(reader, queue, 's');
    const writer = await login('alice');
    await sendConfirmed(writer, queue, 'before');
    assert.equal((await reader.expectFrame('MESSAGE')).body.toString(), 'before');

    editUsers(usersFile, (doc) => doc.revoke('alice', parseRights('read'), '/queue/rl-*'));
    const reloads = (ctx.broker.logs().match(/reloaded/g) ?? []).length;
    process.kill(ctx.broker.pid, 'SIGHUP');
    await eventually(() => (ctx.broker.logs().match(/reloaded/g) ?? []).length > reloads);
    const err = await reader.expectErrorAndClose();
    assert.equal(err.headers.message, `access refused: no read right on ${queue}`);
    await sendConfirmed(writer, queue, 'write is still allowed');

    editUsers(usersFile, (doc) => doc.revoke('alice', parseRights('write'), '/queue/rl-*'));
    await reload();
    assert.equal(await refused(writer, 'SEND', { destination: queue }, 'after'), `access refused: no write right on ${queue}`);
    assert.equal(await depth(queue), 1, 'only the message sent while allowed is queued');
  });

  // A transaction's SENDs are checked again at COMMIT, against the rights of then.
  test('write taken away between SEND and COMMIT: COMMIT gets ERROR, nothing of the transaction is queued', async () => {
    const queue = uniqueDest('queue', 'rl');
    const alice = await login('alice');
    await alice.frame('BEGIN', { transaction: 't' });
    await alice.frame('SEND', { destination: queue, transaction: 't', receipt: 'in-tx' }, 'in the transaction');
    await alice.expectReceipt('in-tx');
    editUsers(usersFile, (doc) => doc.revoke('alice', parseRights('write'), '/queue/rl-*'));
    await reload();
    assert.equal(await refused(alice, 'COMMIT', { transaction: 't' }), `access refused: no write right on ${queue}`);
    assert.equal(await depth(queue), 0);
  });

  test('a removed user: its connection is refused what it did before, and it cannot log in again', async () => {
    const queue = uniqueDest('queue', 'rl');
    const bob = await login('bob');
    editUsers(usersFile, (doc) => doc.removeUser('bob'));
    assert.match(await reload(), /reloaded 1 users/);
    assert.match(await refused(bob, 'SUBSCRIBE', { destination: queue, id: 's' }), /no read right/);
    await assert.rejects(login('bob'), /access refused/);
  });

  // A broken users file: `reload` prints the file, line and problem and exits 1; nothing changes.
  test('a broken users file is refused with its line; the rights in use stay', async () => {
    const queue = uniqueDest('queue', 'rl');
    const alice = await login('alice');
    fs.appendFileSync(usersFile, 'allow alice raed /queue/x\n');
    const lines = fs.readFileSync(usersFile, 'utf8').split('\n').length - 1;
    const result = await reloadCli(ctx.broker.dataDir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`users\\.txt:${lines}: unknown right "raed"`));
    assert.match(result.stderr, /configuration in use stays/);
    assert.match(ctx.broker.logs(), /reload refused/);
    await sendConfirmed(alice, queue, 'still allowed');
    const again = await login('alice');
    await again.disconnect();
    await alice.disconnect();
  });

  test('a broken --config is refused with its line; the policies in use stay', async () => {
    fs.writeFileSync(configFile, '{\n  "destinations": {\n    "/queue/rl-*": { "maxLength": -1 }\n  }\n}\n');
    const result = await reloadCli(ctx.broker.dataDir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /broker\.json:3: destinations\["\/queue\/rl-\*"\]\.maxLength: must be a non-negative integer/);
  });

  // The destination configuration is reread too: a bound added by reload applies to an existing queue.
  test('--config reloaded: a new bound applies at once', async () => {
    const queue = uniqueDest('queue', 'rl');
    const alice = await login('alice');
    await sendConfirmed(alice, queue, 'one');
    fs.writeFileSync(configFile, JSON.stringify({ destinations: { [queue]: { maxLength: 1 } } }));
    assert.match(await reload(), /1 destination patterns from .*broker\.json/);
    assert.equal(await refused(alice, 'SEND', { destination: queue }, 'two'), 'Queue full');
    assert.equal(await depth(queue), 1);
  });
});
