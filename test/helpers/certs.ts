/**
 * Throwaway certificates for TLS tests, made with the `openssl` command line in a temp directory: a CA,
 * a server certificate for 127.0.0.1/localhost, client certificates signed by it, and a second CA
 * (the broker does not trust it) with a client certificate of its own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freshDir } from './broker.js';

/** Paths of the PEM files makeCertificates wrote. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate and key for each CN asked for, signed by the CA. */
  clients: Record<string, { cert: string; key: string }>;
  /** A client certificate with CN "alice" signed by another CA. */
  rogue: { cert: string; key: string };
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A P-256 key and a certificate for `cn` signed by `ca` (self-signed when there is none). */
function issue(dir: string, name: string, cn: string, ca: string | null, extensions: string): { cert: string; key: string } {
  const key = `${name}.key`;
  const cert = `${name}.pem`;
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  if (ca === null) {
    openssl(dir, 'req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '2', '-out', cert,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  } else {
    openssl(dir, 'req', '-new', '-key', key, '-subj', `/O=stomp-broker tests/CN=${cn}`, '-out', `${name}.csr`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-days', '2', '-extfile', `${name}.ext`, '-out', cert);
  }
  return { cert: path.join(dir, cert), key: path.join(dir, key) };
}

/** Makes a CA, a server certificate and client certificates for `clientNames`. */
export function makeCertificates(clientNames: string[] = ['alice']): TestCertificates {
  const dir = freshDir('stomp-certs-');
  const ca = issue(dir, 'ca', 'stomp-broker test CA', null, '');
  const server = issue(dir, 'server', 'localhost', 'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const clients: TestCertificates['clients'] = {};
  for (const name of clientNames) clients[name] = issue(dir, `client-${name}`, name, 'ca', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'other-ca', 'another CA', null, '');
  const rogue = issue(dir, 'rogue', 'alice', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  return { dir, caCert: ca.cert, serverCert: server.cert, serverKey: server.key, clients, rogue };
}

/** Removes what makeCertificates wrote. */
export function removeCertificates(certs: TestCertificates): void {
  fs.rmSync(certs.dir, { recursive: true, force: true });
}
