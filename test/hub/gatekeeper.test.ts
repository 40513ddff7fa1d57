/**
 * Gatekeeper: logins (users file, anonymous), and the check of every session message against the
 * client's rights: allowed, refused (the session had not learnt of a reload yet) or a kill.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHash, hashPassword } from '../../src/auth/password.js';
import { UserDb } from '../../src/auth/user-db.js';
import { UsersDocument } from '../../src/auth/users-file.js';
import { Gatekeeper } from '../../src/hub/gatekeeper.js';
import type { HubSession } from '../../src/hub/model.js';
import type { HubToSession, SessionToHub } from '../../src/ipc/contract.js';
import { SESSION_TO_HUB } from '../ipc/samples.js';

const HASH = formatHash(await hashPassword('pw', { ln: 10, r: 8, p: 1 }));
const ORIGIN = { address: '10.0.0.1', tls: false };

function users(...lines: string[]): UserDb {
  return new UserDb(UsersDocument.parse([`user alice ${HASH}`, `user bob ${HASH}`, ...lines].join('\n'), 'users.txt'));
}

interface FakeSession extends HubSession {
  sent: HubToSession[];
}

let nextId = 1;
function session(): FakeSession {
  const s: FakeSession = {
    id: nextId, serial: nextId++, pid: 1, send: (m) => s.sent.push(m), sent: [], subs: new Map(), writable: true,
    login: '', version: '', remote: '', clientId: '', pending: null,
  };
  return s;
}

function gatekeeper(db: UserDb | null = users('allow alice read,write /queue/a.*')): Gatekeeper {
  return new Gatekeeper({ users: db, certLogin: null, deadLetters: [], failureDelayMs: 0 });
}

const publish = (dest: string): SessionToHub => ({ ...SESSION_TO_HUB.publish, dest });
const auth = (login: string, passcode: string): Extract<SessionToHub, { t: 'auth' }> =>
  ({ t: 'auth', login, passcode, cert: Buffer.alloc(0) });

/** A session whose client logged in as `login`. */
async function loggedIn(gate: Gatekeeper, login = 'alice'): Promise<FakeSession> {
  const s = session();
  assert.equal(gate.check(auth(login, 'pw'), s), null);
  assert.ok(await gate.login(s, auth(login, 'pw'), ORIGIN));
  return s;
}

describe('Gatekeeper: logins', () => {
  test('right passcode: the user\'s access; wrong passcode or unknown user: null', async () => {
    const gate = gatekeeper();
    const access = await gate.login(session(), auth('alice', 'pw'), ORIGIN);
    assert.equal(access?.user.name, 'alice');
    assert.equal(await gate.login(session(), auth('alice', 'nope'), ORIGIN), null);
    assert.equal(await gate.login(session(), auth('mallory', 'pw'), ORIGIN), null);
  });

  test('without a users file every client is anonymous with every right, known by its login header', async () => {
    const gate = gatekeeper(null);
    const s = session();
    const access = await gate.login(s, auth('whoever', ''), ORIGIN);
    assert.equal(access?.user.name, '');
    assert.equal(gate.check({ ...SESSION_TO_HUB.connected, login: 'whoever' }, s), null);
    assert.equal(gate.check(publish('/queue/DLQ.anything'), s), null);
  });
});

describe('Gatekeeper: checks', () => {
  test('before the login is accepted, only auth, flow and end pass; a second auth is a kill', async () => {
    const gate = gatekeeper();
    const s = session();
    assert.deepEqual(gate.check(publish('/queue/a.1'), s), { kill: 'publish before the login was accepted' });
    assert.equal(gate.check(SESSION_TO_HUB.flow, s), null);
    assert.equal(gate.check(auth('alice', 'pw'), s), null);
    assert.ok('kill' in (gate.check(auth('alice', 'pw'), s) ?? {}));
  });

  test('within the rights: allowed; beyond them: a kill naming the right', async () => {
    const gate = gatekeeper();
    const s = await loggedIn(gate);
    assert.equal(gate.check(publish('/queue/a.1'), s), null);
    const verdict = gate.check(publish('/queue/b'), s);
    assert.ok(verdict && 'kill' in verdict);
    assert.match(verdict.kill, /write on \/queue\/b for "alice"/);
    const commit = { ...SESSION_TO_HUB.commit, ops: [{ ...SESSION_TO_HUB.commit.ops[3], dest: '/queue/b' }] } as SessionToHub;
    assert.ok('kill' in (gate.check(commit, s) ?? {}));
  });

  test('a connected message must name the login the hub accepted', async () => {
    const gate = gatekeeper();
    const s = await loggedIn(gate);
    assert.equal(gate.check({ ...SESSION_TO_HUB.connected, login: 'alice' }, s), null);
    assert.ok('kill' in (gate.check({ ...SESSION_TO_HUB.connected, login: 'root' }, s) ?? {}));
  });

  // Until the session confirms a reload's rights, a request they forbid is refused (ERROR), not a kill.
  test('after a reload: refused until the session confirms the new rights, a kill after', async () => {
    const gate = gatekeeper();
    const s = await loggedIn(gate);
    gate.reload(users(), [], [s]);
    const push = s.sent.at(-1);
    assert.equal(push?.t, 'rights');
    const refused = gate.check(publish('/queue/a.1'), s);
    assert.ok(refused && 'refuse' in refused);
    assert.equal(refused.refuse.message, 'access refused: no write right on /queue/a.1');
    assert.equal(gate.check({ t: 'rights-ack', gen: (push as { gen: number }).gen }, s), null);
    assert.ok('kill' in (gate.check(publish('/queue/a.1'), s) ?? {}));
  });

  test('a reload returns the subscriptions it forbids, with the ERROR to send', async () => {
    const gate = gatekeeper(users('allow alice read /queue/a.*', 'allow alice read /queue/keep'));
    const s = await loggedIn(gate);
    assert.equal(gate.check({ ...SESSION_TO_HUB.subscribe, sub: 1, dest: '/queue/a.1', durable: '' }, s), null);
    assert.equal(gate.check({ ...SESSION_TO_HUB.subscribe, sub: 2, dest: '/queue/keep', durable: '' }, s), null);
    const revocations = gate.reload(users('allow alice read /queue/keep'), [], [s]);
    assert.equal(revocations.length, 1);
    assert.deepEqual(revocations[0].keys, [1]);
    assert.equal(revocations[0].refusal.message, 'access refused: no read right on /queue/a.1');
  });

  // A durable subscription needs admin: a reload that takes admin away ends it.
  test('durable subscriptions: admin to create and end one; a reload without admin ends it', async () => {
    const gate = gatekeeper(users('allow alice read,admin /topic/*'));
    const s = await loggedIn(gate);
    assert.equal(gate.check({ ...SESSION_TO_HUB.subscribe, sub: 3, dest: '/topic/t', durable: 'd' }, s), null);
    assert.equal(gate.check({ ...SESSION_TO_HUB.subscribe, sub: 4, dest: '/topic/u', durable: 'e' }, s), null);
    assert.equal(gate.check({ t: 'unsubscribe', sub: 4, forget: true, rid: 1 }, s), null);
    const revocations = gate.reload(users('allow alice read /topic/*'), [], [s]);
    assert.deepEqual(revocations[0].keys, [3]);
    assert.equal(revocations[0].refusal.message, 'access refused: no admin right on /topic/t');
  });
});
