/** UserDb: authentication (right, wrong, unknown) and permission checks per right and pattern. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatHash, hashPassword } from '../../src/auth/password.js';
import { loadUsers, UserDb, userAllowed } from '../../src/auth/user-db.js';
import { UsersDocument, UsersFileError } from '../../src/auth/users-file.js';

const FAST = { ln: 10, r: 8, p: 1 };
const ALICE = formatHash(await hashPassword('alice-pw', FAST));
const BOB = formatHash(await hashPassword('bob-pw', FAST));

const TEXT = [
  `user alice ${ALICE}`,
  'allow alice read,write /queue/jobs.*',
  'allow alice read /topic/events.*',
  'allow alice admin /queue/DLQ.jobs.*',
  `user bob ${BOB}`,
  `user carol ${BOB}`,
  'allow carol read,write,admin *',
].join('\n');

function db(text = TEXT): UserDb {
  return new UserDb(UsersDocument.parse(text, 'users.txt'));
}

describe('UserDb.authenticate', () => {
  const users = db();

  test('the right password gives the user with its permissions', async () => {
    const alice = await users.authenticate('alice', 'alice-pw');
    assert.equal(alice?.name, 'alice');
    assert.equal(alice?.grants.length, 3);
    assert.equal((await users.authenticate('bob', 'bob-pw'))?.name, 'bob');
  });

  test('a wrong password, another user\'s password or an empty one gives null', async () => {
    assert.equal(await users.authenticate('alice', 'alice-pW'), null);
    assert.equal(await users.authenticate('alice', 'bob-pw'), null);
    assert.equal(await users.authenticate('alice', ''), null);
  });

  test('an unknown login gives null, even with a password some user has', async () => {
    assert.equal(await users.authenticate('mallory', 'alice-pw'), null);
    assert.equal(await users.authenticate('', ''), null);
  });

  test('an unknown login costs one scrypt with the same parameters as a known one', async (t) => {
    const scrypt = t.mock.method(crypto, 'scrypt');
    await users.authenticate('alice', 'wrong');
    await users.authenticate('mallory', 'wrong');
    assert.equal(scrypt.mock.callCount(), 2);
    const [known, unknown] = scrypt.mock.calls.map((c) => c.arguments as unknown[]);
    assert.deepEqual(unknown[3], known[3], 'same N, r, p and memory limit');
    assert.equal(unknown[2], known[2], 'same key length');
  });
});

describe('UserDb.allowed', () => {
  const users = db();
  const alice = users.get('alice')!;
  const bob = users.get('bob')!;
  const carol = users.get('carol')!;

  test('each right applies only where its lines grant it', () => {
    assert.equal(users.allowed(alice, 'read', '/queue/jobs.thumbs'), true);
    assert.equal(users.allowed(alice, 'write', '/queue/jobs.thumbs'), true);
    assert.equal(users.allowed(alice, 'admin', '/queue/jobs.thumbs'), false);
    assert.equal(users.allowed(alice, 'read', '/topic/events.login'), true);
    assert.equal(users.allowed(alice, 'write', '/topic/events.login'), false);
    assert.equal(users.allowed(alice, 'admin', '/queue/DLQ.jobs.thumbs'), true);
    assert.equal(users.allowed(alice, 'read', '/queue/other'), false);
    assert.equal(users.allowed(alice, 'read', '/queue/jobs'), false);
  });

  test('a user with no permission lines may do nothing', () => {
    for (const right of ['read', 'write', 'admin'] as const) {
      assert.equal(users.allowed(bob, right, '/queue/jobs.x'), false);
    }
  });

  test('* alone allows everything', () => {
    assert.equal(users.allowed(carol, 'admin', '/queue/anything'), true);
    assert.equal(users.allowed(carol, 'read', '/topic/#'), true);
  });

  test('a wildcard subscription needs every topic it can match', () => {
    assert.equal(users.allowed(alice, 'read', '/topic/events.*'), true);
    assert.equal(users.allowed(alice, 'read', '/topic/events.#'), false, '/topic/events itself');
    assert.equal(users.allowed(alice, 'read', '/topic/#'), false);
  });

  test('a user from an older load is checked against the current lines', () => {
    const reloaded = db(TEXT.replace('allow alice read,write /queue/jobs.*', 'allow alice read /queue/jobs.*')
      .replace(`user bob ${BOB}\n`, ''));
    assert.equal(reloaded.allowed(alice, 'write', '/queue/jobs.x'), false);
    assert.equal(reloaded.allowed(alice, 'read', '/queue/jobs.x'), true);
    assert.equal(userAllowed(alice, 'write', '/queue/jobs.x'), true, 'the plain-data check uses its own copy');
    assert.equal(reloaded.get('bob'), undefined);
  });

  test('users survive a structured clone (they can cross the bus)', () => {
    const copy = structuredClone(alice);
    assert.equal(userAllowed(copy, 'read', '/topic/events.x'), true);
    assert.equal(userAllowed(copy, 'write', '/topic/events.x'), false);
  });
});

describe('loadUsers', () => {
  test('loads a file, and names file, line and problem when it is malformed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-users-'));
    try {
      const good = path.join(dir, 'good.txt');
      fs.writeFileSync(good, TEXT);
      assert.deepEqual(loadUsers(good).names(), ['alice', 'bob', 'carol']);
      const bad = path.join(dir, 'bad.txt');
      fs.writeFileSync(bad, TEXT + '\nallow bob rw /queue/x\n');
      assert.throws(() => loadUsers(bad), (err: unknown) => {
        assert.ok(err instanceof UsersFileError);
        assert.equal(err.message, `${bad}:8: unknown right "rw" (expected read, write or admin, or a comma-separated list)`);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
