/** The users file: parsing, errors that name file and line, edits that keep other lines, atomic writes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatHash, hashPassword } from '../../src/auth/password.js';
import {
  readUsersFile, UsersDocument, UsersFileError, writeUsersFile,
} from '../../src/auth/users-file.js';
import { UserInputError } from '../../src/auth/rights.js';

const FAST = { ln: 10, r: 8, p: 1 };
const HASH = formatHash(await hashPassword('pw', FAST));
const FILE = '/etc/stomp/users.txt';

const SAMPLE = [
  '# broker users',
  '',
  `user alice ${HASH}`,
  'allow alice read,write /queue/jobs.*',
  '   # an indented comment',
  `user\tbob\t${HASH}`,
  'allow  bob  read  /topic/#',
  'allow alice admin /queue/DLQ.*',
].join('\n') + '\n';

/** Asserts parsing `text` fails with a UsersFileError naming FILE, `line` and every fragment. */
function failsAt(text: string, line: number, ...fragments: string[]): void {
  assert.throws(() => UsersDocument.parse(text, FILE), (err: unknown) => {
    assert.ok(err instanceof UsersFileError, `expected UsersFileError, got ${String(err)}`);
    assert.equal(err.file, FILE);
    const problem = err.problems.find((p) => p.line === line);
    assert.ok(problem, `a problem on line ${line} in: ${err.message}`);
    assert.ok(err.message.includes(`${FILE}:${line}: `), err.message);
    for (const f of fragments) assert.ok(problem.problem.includes(f), `'${problem.problem}' should name ${f}`);
    return true;
  });
}

describe('users file: parsing', () => {
  test('reads users and permission lines, ignoring comments and blank lines', () => {
    const doc = UsersDocument.parse(SAMPLE, FILE);
    assert.deepEqual(doc.userNames(), ['alice', 'bob']);
    assert.deepEqual(doc.grants('alice'), [
      { rights: ['read', 'write'], pattern: '/queue/jobs.*' },
      { rights: ['admin'], pattern: '/queue/DLQ.*' },
    ]);
    assert.deepEqual(doc.grants('bob'), [{ rights: ['read'], pattern: '/topic/#' }]);
    assert.deepEqual(doc.userLine('alice')?.hash.params, FAST);
  });

  test('serialising an unedited file gives back the same text', () => {
    assert.equal(UsersDocument.parse(SAMPLE, FILE).serialize(), SAMPLE);
  });

  test('CRLF line endings are kept; a byte-order mark is tolerated', () => {
    const crlf = SAMPLE.replaceAll('\n', '\r\n');
    assert.equal(UsersDocument.parse(crlf, FILE).serialize(), crlf);
    assert.deepEqual(UsersDocument.parse('\uFEFF' + SAMPLE, FILE).userNames(), ['alice', 'bob']);
  });

  test('an empty file has no users', () => {
    assert.deepEqual(UsersDocument.parse('', FILE).userNames(), []);
  });

  const cases: Array<[string, string, number, string[]]> = [
    ['unknown keyword', 'usr alice x', 1, ['unknown keyword "usr"']],
    ['user without hash', 'user alice', 1, ['too few fields', 'user NAME HASH']],
    ['user with extra field', `user alice ${HASH} extra`, 1, ['too many fields']],
    ['plain-text password', 'user alice hunter2', 1, ['$scrypt$']],
    ['hash with bad parameters', `user alice ${HASH.replace('ln=10', 'ln=x')}`, 1, ['ln=x']],
    ['allow without pattern', `user alice ${HASH}\nallow alice read`, 2, ['too few fields', 'allow NAME RIGHTS PATTERN']],
    ['pattern with a space', `user alice ${HASH}\nallow alice read /queue/a b`, 2, ['too many fields']],
    ['unknown right', `user alice ${HASH}\nallow alice raed /queue/a`, 2, ['unknown right "raed"']],
    ['empty right in a list', `user alice ${HASH}\nallow alice read, /queue/a`, 2, ['unknown right ""']],
    ['repeated right', `user alice ${HASH}\nallow alice read,read /queue/a`, 2, ['"read" is listed twice']],
    ['name with a control character', `user al\u0001ice ${HASH}`, 1, ['bad user name']],
    ['user defined twice', `user alice ${HASH}\n# x\nuser alice ${HASH}`, 3, ['"alice"', 'already defined on line 1']],
    ['permission for nobody', `user alice ${HASH}\nallow bob read /queue/a`, 2, ['"bob"', 'no user line']],
  ];
  for (const [what, text, line, fragments] of cases) {
    test(`names the line of: ${what}`, () => failsAt(text, line, ...fragments));
  }

  test('reports every bad line at once, in line order', () => {
    const text = `allow ghost read /q\nuser alice ${HASH}\nbogus\nallow alice nope /q\n`;
    assert.throws(() => UsersDocument.parse(text, FILE), (err: unknown) => {
      assert.ok(err instanceof UsersFileError);
      assert.deepEqual(err.problems.map((p) => p.line), [1, 3, 4]);
      assert.equal(err.message.split('\n').length, 3);
      return true;
    });
  });

  test('a missing file is an error naming the file', () => {
    const file = path.join(os.tmpdir(), `no-such-users-${process.pid}.txt`);
    assert.throws(() => readUsersFile(file), (err: unknown) => {
      assert.ok(err instanceof UsersFileError);
      assert.ok(err.message.startsWith(`${file}: cannot read`), err.message);
      return true;
    });
  });
});

describe('users file: edits', () => {
  test('grant merges into a line with the same pattern, or adds one after the user\'s last line', () => {
    const doc = UsersDocument.parse(SAMPLE, FILE);
    assert.deepEqual(doc.grant('alice', ['read', 'admin'], '/queue/jobs.*'), ['admin']);
    assert.deepEqual(doc.grant('bob', ['write'], '/queue/out'), ['write']);
    assert.deepEqual(doc.grant('bob', ['write'], '/queue/out'), []);
    const lines = doc.serialize().split('\n');
    assert.equal(lines[3], 'allow alice read,write,admin /queue/jobs.*');
    assert.equal(lines[6], 'allow  bob  read  /topic/#', 'untouched lines keep their layout');
    assert.equal(lines[7], 'allow bob write /queue/out');
    assert.equal(lines[8], 'allow alice admin /queue/DLQ.*');
  });

  test('revoke removes rights from lines with exactly that pattern, and empty lines go', () => {
    const doc = UsersDocument.parse(SAMPLE, FILE);
    assert.deepEqual(doc.revoke('alice', ['write'], '/queue/jobs.*'), ['write']);
    assert.deepEqual(doc.revoke('alice', ['admin'], '/queue/DLQ.*'), ['admin']);
    assert.deepEqual(doc.revoke('alice', ['read'], '/queue/*'), [], 'a different pattern revokes nothing');
    assert.deepEqual(doc.grants('alice'), [{ rights: ['read'], pattern: '/queue/jobs.*' }]);
    assert.ok(!doc.serialize().includes('DLQ'));
  });

  test('removing a user drops its lines and keeps comments and other users', () => {
    const doc = UsersDocument.parse(SAMPLE, FILE);
    doc.removeUser('alice');
    assert.equal(doc.serialize(), ['# broker users', '', '   # an indented comment', `user\tbob\t${HASH}`,
      'allow  bob  read  /topic/#'].join('\n') + '\n');
  });

  test('a new password replaces the hash in place', async () => {
    const doc = UsersDocument.parse(SAMPLE, FILE);
    doc.setHash('alice', await hashPassword('new', FAST));
    const lines = doc.serialize().split('\n');
    assert.match(lines[2], /^user alice \$scrypt\$ln=10,r=8,p=1\$/);
    assert.notEqual(lines[2], `user alice ${HASH}`);
    assert.equal(UsersDocument.parse(doc.serialize(), FILE).userNames().length, 2);
  });

  test('edits refuse unknown users, taken names, bad names and bad patterns', async () => {
    const doc = UsersDocument.parse(SAMPLE, FILE);
    const hash = await hashPassword('x', FAST);
    assert.throws(() => doc.addUser('alice', hash), (e: unknown) => e instanceof UserInputError && /already exists/.test(e.message));
    assert.throws(() => doc.addUser('a b', hash), /bad user name/);
    assert.throws(() => doc.grant('carol', ['read'], '/q'), /no user "carol"/);
    assert.throws(() => doc.revoke('carol', ['read'], '/q'), /no user "carol"/);
    assert.throws(() => doc.removeUser('carol'), /no user "carol"/);
    assert.throws(() => doc.grant('alice', ['read'], '/queue/a b'), /bad destination pattern/);
  });
});

describe('users file: writing', () => {
  test('writes atomically with mode 0600, replacing a wider file, leaving no temp file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stomp-users-'));
    try {
      const file = path.join(dir, 'users.txt');
      fs.writeFileSync(file, SAMPLE, { mode: 0o644 });
      const doc = readUsersFile(file);
      doc.removeUser('bob');
      writeUsersFile(doc);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(fs.readdirSync(dir), ['users.txt']);
      assert.deepEqual(readUsersFile(file).userNames(), ['alice']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
