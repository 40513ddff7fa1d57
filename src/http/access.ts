/**
 * Who may use the management API. With a users file (`--users`), every request needs HTTP basic
 * auth of a user holding `admin` on every destination (a permission line `allow NAME admin *`): the
 * API can purge any queue and close any client. Without one, the API is open, and the hub serves it
 * only on a loopback address (see server.ts); there the Host header must name a loopback host too,
 * so that a web page whose name was rebound to 127.0.0.1 cannot drive the API from a browser.
 *
 * A password check costs one scrypt run (tens of ms on the thread pool), so a successful check is
 * remembered for a minute per credentials and users file, and at most two run at once. A refused
 * check is answered after the failure delay of STOMP logins (`--auth-failure-delay`, doubling per
 * client address, its attempts one after another: LoginThrottle), and a user without admin on * is
 * refused as a wrong password is, so the API confirms no password of a user it would not serve.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { User, UserDb } from '../auth/user-db.js';
import { LoginThrottle } from '../hub/login-throttle.js';
import { ConcurrencyLimit } from './concurrency.js';

/** Why a request is refused: its HTTP status and message. */
export interface Denial {
  status: 401 | 403;
  message: string;
}

/** The realm the browser shows when it asks for a login. */
export const REALM = 'stomp-broker management';

/** How long a successful check is remembered, ms. */
const REMEMBER_MS = 60_000;
/** Most credentials remembered per users file; past it the memory starts over. */
const MAX_REMEMBERED = 1000;
/** Password checks run at once (scrypt on the thread pool, which the store and /proc reads use too). */
const MAX_CHECKS = 2;

/** Whether `user` holds `admin` on every destination: a grant of `admin` whose pattern is only stars. */
export function isBrokerAdmin(user: User): boolean {
  return user.grants.some((g) => g.rights.includes('admin') && /^\*+$/.test(g.pattern));
}

/** Login and password of a `Basic` Authorization header, or null when it is not one. */
export function parseBasic(header: string | undefined): { login: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : { login: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Whether the host part of a Host header names a loopback address (or localhost). */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.replace(/:\d*$/, '');
  if (host.toLowerCase() === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}

/** Decides each request's access (see the file comment). */
export class AccessControl {
  private readonly remembered = new WeakMap<UserDb, Map<string, number>>();
  private readonly limit = new ConcurrencyLimit(MAX_CHECKS);
  private readonly throttle: LoginThrottle;

  constructor(
    /** The users file as loaded now (it changes on reload), or null when there is none. */
    private readonly users: () => UserDb | null,
    /** The API listens on a loopback address: Host headers must name one. */
    private readonly loopback: boolean,
    /** Delay of a first refused check from an address, ms (doubling with each further one). */
    failureDelayMs = 0,
  ) {
    this.throttle = new LoginThrottle(failureDelayMs);
  }

  /** null when the request (from client `address`) may go on, else why not. */
  async check(authorization: string | undefined, host: string | undefined, address = ''): Promise<Denial | null> {
    if (this.loopback && !isLoopbackHost(host)) {
      return { status: 403, message: 'the management API answers only requests for a loopback host name' };
    }
    const users = this.users();
    if (!users) return null;
    const credentials = parseBasic(authorization);
    if (!credentials) return { status: 401, message: 'log in with the name and password of a user with admin on *' };
    const key = createHash('sha256').update(authorization!).digest('base64');
    const memory = this.memoryOf(users);
    if ((memory.get(key) ?? 0) > Date.now()) return null;
    const admitted = await this.throttle.attempt(address, async () => {
      const user = await this.limit.run(() => users.authenticate(credentials.login, credentials.password));
      return user !== null && isBrokerAdmin(user);
    });
    if (!admitted) return { status: 401, message: 'wrong user name or password, or not a user with admin on *' };
    if (memory.size >= MAX_REMEMBERED) memory.clear();
    memory.set(key, Date.now() + REMEMBER_MS);
    return null;
  }

  private memoryOf(users: UserDb): Map<string, number> {
    let memory = this.remembered.get(users);
    if (!memory) this.remembered.set(users, (memory = new Map()));
    return memory;
  }
}
