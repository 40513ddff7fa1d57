/** Password hashes: scrypt round trip, wrong passwords, stored parameters, malformed PHC strings. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SCRYPT, dummyHash, formatHash, hashPassword, parseHash, verifyPassword,
} from '../../src/auth/password.js';

/** Cheap parameters for tests that hash many times; the default is exercised separately. */
const FAST = { ln: 10, r: 8, p: 1 };

describe('password hashes', () => {
  test('a hash of the default cost verifies its password and no other', async () => {
    const hash = await hashPassword('correct horse');
    assert.deepEqual(hash.params, DEFAULT_SCRYPT);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsf', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  test('the PHC string round-trips and carries its parameters', async () => {
    const hash = await hashPassword('s3cret', FAST);
    const text = formatHash(hash);
    assert.match(text, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parsed = parseHash(text);
    assert.deepEqual(parsed.params, FAST);
    assert.equal(await verifyPassword('s3cret', parsed), true);
    assert.equal(await verifyPassword('s3cret!', parsed), false);
  });

  test('every hash gets its own salt', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    assert.notDeepEqual(a.salt, b.salt);
    assert.notDeepEqual(a.key, b.key);
  });

  test('composed and decomposed accents are the same password (NFC)', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    assert.equal(await verifyPassword('cafe\u0301', hash), true);
  });

  test('no password verifies against a dummy hash', async () => {
    const dummy = dummyHash(FAST);
    assert.equal(await verifyPassword('', dummy), false);
    assert.equal(await verifyPassword('anything', dummy), false);
  });

  const salt = 'AAAAAAAAAAAAAAAAAAAAAA';
  const key = 'A'.repeat(43);
  const malformed: Array<[string, string, RegExp]> = [
    ['not a PHC string', 'plaintext', /must look like \$scrypt\$/],
    ['another scheme', `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${key}`, /must look like \$scrypt\$/],
    ['parameters out of order', `$scrypt$r=8,ln=14,p=1$${salt}$${key}`, /parameters "r=8,ln=14,p=1"/],
    ['zero cost', `$scrypt$ln=0,r=8,p=1$${salt}$${key}`, /at least 1/],
    ['absurd memory', `$scrypt$ln=30,r=8,p=1$${salt}$${key}`, /more than 1 GiB/],
    ['too much parallelism', `$scrypt$ln=14,r=8,p=17$${salt}$${key}`, /p from 1 to 16/],
    ['salt not base64', `$scrypt$ln=14,r=8,p=1$${salt.slice(1)}!$${key}`, /salt is not base64/],
    ['salt too short', `$scrypt$ln=14,r=8,p=1$AAAA$${key}`, /salt is 3 bytes/],
    ['key too short', `$scrypt$ln=14,r=8,p=1$${salt}$AAAA`, /key is 3 bytes/],
    ['missing key', `$scrypt$ln=14,r=8,p=1$${salt}`, /must look like/],
  ];
  for (const [what, text, message] of malformed) {
    test(`parseHash rejects ${what}`, () => {
      assert.throws(() => parseHash(text), message);
    });
  }
});
