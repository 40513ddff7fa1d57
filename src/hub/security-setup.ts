/**
 * The security options at start and reload: they must make sense together, the users file must
 * parse, and a broker without one (every client anonymous, with every right) listens only on a
 * loopback address unless `--allow-anonymous` says otherwise.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import { loadUsers, type UserDb } from '../auth/user-db.js';
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { type BrokerFileConfig, ConfigError } from './policy.js';

/** Throws ConfigError when the security options contradict each other or lack a companion. */
export function checkSecurityOptions(config: BrokerConfig): void {
  const { tlsPort, tlsCert, tlsKey, tlsCa } = config;
  if (tlsPort !== null && (!tlsCert || !tlsKey)) throw new ConfigError('--tls-port needs --tls-cert and --tls-key');
  if (tlsPort === null && (tlsCert || tlsKey || tlsCa)) {
    throw new ConfigError('--tls-cert, --tls-key and --tls-ca need --tls-port');
  }
  if (config.tlsCertLogin && (!tlsCa || !config.usersFile)) {
    throw new ConfigError('--tls-cert-login needs --tls-ca (to verify client certificates) and --users (their rights)');
  }
  if (config.allowAnonymous && config.usersFile) {
    throw new ConfigError('--allow-anonymous and --users exclude each other: with a users file every client logs in');
  }
}

/**
 * Without a users file every client is anonymous and may do anything: that is refused on an address
 * other hosts can reach, unless `--allow-anonymous` is given.
 */
export async function checkAnonymous(config: BrokerConfig): Promise<void> {
  if (config.usersFile || config.allowAnonymous || await isLoopback(config.host)) return;
  throw new ConfigError(`refusing to listen on ${config.host} without --users: every client would be anonymous `
    + 'with every right, and other hosts can reach that address. Give --users FILE (see docs/security.md), '
    + `or --allow-anonymous to accept anonymous clients on ${config.host} anyway.`);
}

/** Whether `host` is a loopback address, or a name all of whose addresses are. */
export async function isLoopback(host: string): Promise<boolean> {
  if (net.isIP(host)) return isLoopbackAddress(host);
  if (host === '' || host === 'localhost') return host === 'localhost';
  try {
    const addresses = await dns.lookup(host, { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false; // the listen that follows reports the unknown name
  }
}

function isLoopbackAddress(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return v4 ? v4[1].startsWith('127.') : ip === '::1';
}

/** Reads the users file (UsersFileError names file, line and problem); warns when others may read it. */
export function loadUsersFile(file: string, log: Logger): UserDb {
  const users = loadUsers(file);
  try {
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
      log.warn(`${file} can be read by other users (mode ${mode.toString(8)}); it holds password hashes: chmod 600 ${file}`);
    }
  } catch {
    // just read it: a stat failure now is a race not worth a warning
  }
  return users;
}

/** The queues the configuration names as dead-letter targets (they need admin, as `/queue/DLQ.*` do). */
export function deadLettersOf(fileConfig: BrokerFileConfig): string[] {
  const names = new Set<string>();
  for (const { policy } of fileConfig.destinations) if (policy.deadLetter) names.add(policy.deadLetter);
  return [...names];
}
