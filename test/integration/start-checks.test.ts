/**
 * What stops the broker at start, each with a message naming the problem (and the file and line where
 * there is one): anonymous clients on an address other hosts can reach, a malformed users file or
 * --config, unusable TLS files, and security options that contradict each other.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connectStomp, freshDir, removeConfig, startBroker, writeConfig } from '../helpers/broker.js';
import { makeCertificates, removeCertificates } from '../helpers/certs.js';

/** Starts a broker that must refuse to start; resolves with what it printed. */
async function refusedStart(args: string[]): Promise<string> {
  const dataDir = freshDir();
  try {
    await startBroker(args, { dataDir });
  } catch (err) {
    const message = (err as Error).message;
    assert.match(message, /broker exited \(1\) before listening/);
    return message;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  assert.fail('the broker started');
}

describe('start checks', () => {
  const dir = freshDir('stomp-start-');
  const certs = makeCertificates();
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    removeCertificates(certs);
  });
  /** Writes `text` to a file of this suite; returns its path. */
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };

  // Without --users every client may do anything: only loopback unless the operator says so.
  test('anonymous on 0.0.0.0 is refused, naming --users and --allow-anonymous', async () => {
    const output = await refusedStart(['--host', '0.0.0.0']);
    assert.match(output, /cannot start: refusing to listen on 0\.0\.0\.0 without --users/);
    assert.match(output, /--allow-anonymous/);
  });

  test('--allow-anonymous lets it listen on 0.0.0.0', async () => {
    const broker = await startBroker(['--host', '0.0.0.0', '--allow-anonymous']);
    try {
      const client = await connectStomp(broker.port);
      await client.disconnect();
    } finally {
      await broker.stop();
    }
  });

  test('a malformed users file: file, line and problem', async () => {
    const users = file('users.txt', '# users\nuser alice $scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5\n'
      + 'allow alice raed /queue/x\n');
    const output = await refusedStart(['--users', users]);
    assert.match(output, new RegExp(`${users.replace(/[.]/g, '\\.')}:3: unknown right "raed"`));
  });

  test('a users file that cannot be read', async () => {
    const output = await refusedStart(['--users', path.join(dir, 'missing.txt')]);
    assert.match(output, /missing\.txt: cannot read/);
  });

  test('a malformed --config: file, line and problem', async () => {
    const config = writeConfig('{\n  "destinations": {\n    "/queue/a": { "maxLength": "ten" }\n  }\n}\n');
    try {
      const output = await refusedStart(['--config', config]);
      assert.match(output, /broker\.json:3: destinations\["\/queue\/a"\]\.maxLength: must be a non-negative integer/);
    } finally {
      removeConfig(config);
    }
  });

  test('TLS: a port without certificate, a certificate that is no PEM, a key of another certificate', async () => {
    assert.match(await refusedStart(['--tls-port', '0']), /--tls-port needs --tls-cert and --tls-key/);
    const notPem = file('cert.txt', 'hello\n');
    assert.match(await refusedStart(['--tls-port', '0', '--tls-cert', notPem, '--tls-key', certs.serverKey]),
      /cert\.txt \(--tls-cert\): no PEM block/);
    assert.match(await refusedStart(['--tls-port', '0', '--tls-cert', certs.serverCert, '--tls-key', certs.clients.alice.key]),
      /client-alice\.key \(--tls-key\): this key does not belong to the certificate/);
  });

  test('options that need each other', async () => {
    assert.match(await refusedStart(['--tls-cert', certs.serverCert]), /need --tls-port/);
    assert.match(await refusedStart(['--tls-port', '0', '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey,
      '--tls-cert-login']), /--tls-cert-login needs --tls-ca/);
    const users = file('ok-users.txt', '');
    assert.match(await refusedStart(['--users', users, '--allow-anonymous']), /exclude each other/);
  });
});
