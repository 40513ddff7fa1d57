/**
 * The TLS port's files: the hub reads and checks them (sessions cannot read files) and hands the PEM
 * text to each session over the child_process channel. With `--tls-cert-login` the hub also checks a
 * client certificate a session reports (issued by the CA, within its dates) before it takes the
 * certificate's subject CN as the login.
 */
import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import type { TlsSetupMsg } from '../ipc/contract.js';
import { ConfigError } from './policy.js';

/** What the hub keeps of the TLS files. */
export interface TlsMaterial {
  /** What every session gets. */
  setup: TlsSetupMsg;
  /** The CA certificates client certificates are checked against (empty: none asked for). */
  authorities: X509Certificate[];
}

/** The files named by the TLS options. */
export interface TlsFiles {
  cert: string;
  key: string;
  /** '' = clients need no certificate. */
  ca: string;
}

/** Reads and checks the TLS files; throws ConfigError naming the file and the problem. */
export function loadTlsFiles(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.cert, '--tls-cert');
  const key = readPem(files.key, '--tls-key');
  const ca = files.ca ? readPem(files.ca, '--tls-ca') : '';
  const leaf = certificates(cert, files.cert, '--tls-cert')[0];
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(`${files.key} (--tls-key): not a usable private key: ${(err as Error).message}`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${files.key} (--tls-key): this key does not belong to the certificate in ${files.cert}`);
  }
  const authorities = ca ? certificates(ca, files.ca, '--tls-ca') : [];
  try {
    tls.createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
  } catch (err) {
    throw new ConfigError(`${files.cert} (--tls-cert): OpenSSL refuses it: ${(err as Error).message}`);
  }
  return { setup: { t: 'tls-setup', cert, key, ca }, authorities };
}

/**
 * The login of a client certificate (DER) a session reports: its subject CN, if one of the CA
 * certificates issued and signed it and it is within its dates; else null.
 */
export function certificateLogin(material: TlsMaterial, der: Buffer, now = Date.now()): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return null;
  }
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return null;
  const issued = material.authorities.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  return issued ? commonName(cert.subject) : null;
}

/** The first CN of a subject as Node prints it ("C=..\nCN=alice\nO=.."), or null. */
function commonName(subject: string): string | null {
  for (const line of subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3) || null;
  }
  return null;
}

function readPem(file: string, option: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file} (${option}): cannot read: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(`${file} (${option}): no PEM block ("-----BEGIN ...") in it`);
  return text;
}

/** Every certificate of a PEM bundle, in order; throws ConfigError naming the line of a bad one. */
function certificates(pem: string, file: string, option: string): X509Certificate[] {
  const found: X509Certificate[] = [];
  const re = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    try {
      found.push(new X509Certificate(m[0]));
    } catch (err) {
      const line = pem.slice(0, m.index).split('\n').length;
      throw new ConfigError(`${file}:${line} (${option}): not a valid certificate: ${(err as Error).message}`);
    }
  }
  if (found.length === 0) throw new ConfigError(`${file} (${option}): no "-----BEGIN CERTIFICATE-----" block in it`);
  return found;
}
