/** The security options at start: loopback addresses, options that need or exclude each other, dead-letter names. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { ConfigError } from '../../src/hub/policy.js';
import { checkAnonymous, checkSecurityOptions, deadLettersOf, isLoopback } from '../../src/hub/security-setup.js';

describe('security setup', () => {
  test('isLoopback: 127/8, ::1 and localhost; not the wildcard addresses or others', async () => {
    for (const host of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', 'localhost']) assert.ok(await isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', '', '::ffff:10.0.0.1']) assert.ok(!(await isLoopback(host)), host);
  });

  test('anonymous clients: loopback only, unless --allow-anonymous or --users', async () => {
    await checkAnonymous({ ...DEFAULT_CONFIG, host: '127.0.0.1' });
    await assert.rejects(checkAnonymous({ ...DEFAULT_CONFIG, host: '0.0.0.0' }), /refusing to listen on 0\.0\.0\.0 without --users/);
    await checkAnonymous({ ...DEFAULT_CONFIG, host: '0.0.0.0', allowAnonymous: true });
    await checkAnonymous({ ...DEFAULT_CONFIG, host: '0.0.0.0', usersFile: 'users.txt' });
  });

  test('options that need or exclude each other', () => {
    const refused = (changes: Partial<typeof DEFAULT_CONFIG>, expected: RegExp) =>
      assert.throws(() => checkSecurityOptions({ ...DEFAULT_CONFIG, ...changes }), (err: unknown) =>
        err instanceof ConfigError && expected.test(err.message));
    refused({ tlsPort: 0 }, /--tls-port needs --tls-cert and --tls-key/);
    refused({ tlsCa: 'ca.pem' }, /need --tls-port/);
    refused({ tlsPort: 0, tlsCert: 'c', tlsKey: 'k', tlsCertLogin: true, usersFile: 'u' }, /--tls-cert-login needs --tls-ca/);
    refused({ tlsPort: 0, tlsCert: 'c', tlsKey: 'k', tlsCa: 'ca', tlsCertLogin: true }, /and --users/);
    refused({ usersFile: 'u', allowAnonymous: true }, /exclude each other/);
    checkSecurityOptions({ ...DEFAULT_CONFIG, tlsPort: 0, tlsCert: 'c', tlsKey: 'k', tlsCa: 'ca', tlsCertLogin: true, usersFile: 'u' });
  });

  test('deadLettersOf: every configured deadLetter, once', () => {
    assert.deepEqual(deadLettersOf({ destinations: [
      { pattern: '/queue/a*', policy: { deadLetter: '/queue/failed' } },
      { pattern: '/queue/b', policy: { deadLetter: '/queue/failed', maxLength: 3 } },
      { pattern: '/queue/c', policy: { maxLength: 1 } },
    ] }), ['/queue/failed']);
  });
});
