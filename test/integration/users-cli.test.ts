/**
 * `stomp-broker user …` run as a real command: add (by flag, standard input and a terminal), passwd,
 * list, grant, revoke, remove, and the exit status and message for bad input. What the commands write
 * is checked by loading it with the broker's own loadUsers and authenticating.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadUsers } from '../../src/auth/user-db.js';
import { BROKER_BIN, freshDir, REPO_ROOT } from '../helpers/broker.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/stomp-broker ...args`, feeding `stdin` (then end of input); 60 s guard. */
function cli(args: string[], stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROKER_BIN, ...args], { cwd: REPO_ROOT, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Whether util-linux `script` is here to give a command a terminal. */
function haveScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the command on a pseudo-terminal (`script`), answering each prompt once it appears;
 * resolves with everything the terminal showed and the exit code.
 */
function cliOnTerminal(args: string[], answers: Array<[prompt: string, reply: string]>): Promise<CliResult> {
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, BROKER_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, timeout: 60_000 });
    let screen = '';
    let answered = 0;
    let searchFrom = 0;
    child.stdout.on('data', (d) => {
      screen += d;
      const next = answers[answered];
      const at = next ? screen.indexOf(next[0], searchFrom) : -1;
      if (next && at >= 0) {
        searchFrom = at + next[0].length;
        answered++;
        child.stdin.write(next[1]);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: screen, stderr: '' }));
  });
}

describe('stomp-broker user', () => {
  let dir: string;
  let n = 0;
  /** A fresh path for a users file. */
  const usersPath = (): string => path.join(dir, `users-${++n}.txt`);

  before(() => {
    dir = freshDir('stomp-users-');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('add --password creates the file with mode 0600, and the password authenticates', async () => {
    const file = usersPath();
    const r = await cli(['user', 'add', 'alice', '--users', file, '--password', 's3cret']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added user alice/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const users = loadUsers(file);
    assert.equal((await users.authenticate('alice', 's3cret'))?.name, 'alice');
    assert.equal(await users.authenticate('alice', 's3cret '), null);
    assert.ok(!fs.readFileSync(file, 'utf8').includes('s3cret'), 'no plain-text password in the file');
  });

  test('add reads one line from standard input when it is not a terminal', async () => {
    const file = usersPath();
    const r = await cli(['user', 'add', 'bob', '--users', file], 'from stdin\r\nignored second line\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await loadUsers(file).authenticate('bob', 'from stdin'))?.name, 'bob');
  });

  test('add with nothing on standard input, or an empty line, exits 1 and writes nothing', async () => {
    const file = usersPath();
    const none = await cli(['user', 'add', 'bob', '--users', file]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no password on standard input/);
    const empty = await cli(['user', 'add', 'bob', '--users', file], '\n');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty password/);
    assert.equal(fs.existsSync(file), false);
  });

  test('grant, list, revoke and remove; list never shows hashes', async () => {
    const file = usersPath();
    await cli(['user', 'add', 'alice', '--users', file, '--password', 'a']);
    await cli(['user', 'add', 'bob', '--users', file, '--password', 'b']);
    const g = await cli(['user', 'grant', 'alice', 'read,write', '/queue/jobs.*', '--users', file]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal((await cli(['user', 'grant', 'alice', 'admin', '/queue/DLQ.*', '--users', file])).code, 0);
    const list = await cli(['user', 'list', '--users', file]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^alice\n {2}read,write +\/queue\/jobs\.\*\n {2}admin +\/queue\/DLQ\.\*\nbob\n {2}\(no permissions\)\n$/);
    assert.ok(!list.stdout.includes('scrypt'));
    const alice = loadUsers(file).get('alice')!;
    assert.equal(loadUsers(file).allowed(alice, 'write', '/queue/jobs.resize'), true);

    const rv = await cli(['user', 'revoke', 'alice', 'write', '/queue/jobs.*', '--users', file]);
    assert.equal(rv.code, 0, rv.stderr);
    assert.equal(loadUsers(file).allowed(alice, 'write', '/queue/jobs.resize'), false);
    assert.equal(loadUsers(file).allowed(alice, 'read', '/queue/jobs.resize'), true);

    assert.equal((await cli(['user', 'remove', 'alice', '--users', file])).code, 0);
    const json = JSON.parse((await cli(['user', 'list', '--users', file, '--json'])).stdout) as unknown;
    assert.deepEqual(json, [{ name: 'bob', permissions: [] }]);
    assert.ok(!fs.readFileSync(file, 'utf8').includes('alice'), 'its permission lines went too');
  });

  test('passwd replaces the password', async () => {
    const file = usersPath();
    await cli(['user', 'add', 'alice', '--users', file, '--password', 'old']);
    const r = await cli(['user', 'passwd', 'alice', '--users', file], 'new\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await loadUsers(file).authenticate('alice', 'old'), null);
    assert.equal((await loadUsers(file).authenticate('alice', 'new'))?.name, 'alice');
  });

  test('edits keep comments, blank lines and the layout of other lines', async () => {
    const file = usersPath();
    await cli(['user', 'add', 'alice', '--users', file, '--password', 'a']);
    const hashLine = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('user alice'))!;
    const text = `# ops team\n\n${hashLine.replace('user alice', 'user   alice')}\n# jobs only\nallow  alice  read  /queue/a\n`;
    fs.writeFileSync(file, text);
    assert.equal((await cli(['user', 'grant', 'alice', 'write', '/queue/b', '--users', file])).code, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), text + 'allow alice write /queue/b\n');
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['an unknown user', ['user', 'grant', 'carol', 'read', '/queue/a'], /no user "carol"/],
    ['an unknown right', ['user', 'grant', 'alice', 'raed', '/queue/a'], /unknown right "raed"/],
    ['a revoke of rights not held', ['user', 'revoke', 'alice', 'admin', '/queue/a'], /alice holds no admin on "\/queue\/a"/],
    ['an existing user', ['user', 'add', 'alice', '--password', 'x'], /user "alice" already exists/],
    ['a bad user name', ['user', 'add', 'a\tb', '--password', 'x'], /bad user name/],
    ['removing an unknown user', ['user', 'remove', 'carol'], /no user "carol"/],
  ];
  for (const [what, args, message] of bad) {
    test(`${what} exits 1 with a message and leaves the file alone`, async () => {
      const file = usersPath();
      await cli(['user', 'add', 'alice', '--users', file, '--password', 'a']);
      const before = fs.readFileSync(file, 'utf8');
      const r = await cli([...args, '--users', file]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
      assert.equal(fs.readFileSync(file, 'utf8'), before);
    });
  }

  test('a malformed file makes every command exit 1 naming file, line and problem', async () => {
    const file = usersPath();
    fs.writeFileSync(file, '# users\nuser alice notahash\nallow alice read\n');
    for (const args of [['list'], ['add', 'bob', '--password', 'x'], ['grant', 'alice', 'read', '/q'], ['remove', 'alice']]) {
      const r = await cli(['user', ...args, '--users', file]);
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}`);
      assert.ok(r.stderr.includes(`${file}:2: password hash must look like`), r.stderr);
      assert.ok(r.stderr.includes(`${file}:3: too few fields`), r.stderr);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), '# users\nuser alice notahash\nallow alice read\n');
  });

  test('a missing --users or a missing file exits 1', async () => {
    const r = await cli(['user', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--users/);
    const missing = path.join(dir, 'absent.txt');
    const m = await cli(['user', 'list', '--users', missing]);
    assert.equal(m.code, 1);
    assert.ok(m.stderr.includes(`${missing}: cannot read`), m.stderr);
  });

  test('on a terminal, add asks twice without echoing', { skip: !haveScript() && 'util-linux script is missing' }, async () => {
    const file = usersPath();
    const r = await cliOnTerminal(['user', 'add', 'tina', '--users', file],
      [['Password: ', 'hunter2\r'], ['Again: ', 'hunter2\r']]);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(!r.stdout.includes('hunter2'), `typed password shown: ${JSON.stringify(r.stdout)}`);
    assert.equal((await loadUsers(file).authenticate('tina', 'hunter2'))?.name, 'tina');
  });

  test('on a terminal, two different passwords exit 1 and add no one', { skip: !haveScript() && 'util-linux script is missing' }, async () => {
    const file = usersPath();
    const r = await cliOnTerminal(['user', 'add', 'tina', '--users', file],
      [['Password: ', 'one\r'], ['Again: ', 'two\r']]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /passwords differ/);
    assert.equal(fs.existsSync(file), false);
  });
});
