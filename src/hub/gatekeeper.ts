/**
 * Gatekeeper: the hub's half of authentication and authorisation. It decides every login (users
 * file and scrypt, or a client certificate, or anonymous when there is no users file), slows failed
 * ones per address, and checks every request a session forwards against its client's rights before
 * the hub acts on it: the hub trusts no session, so a session that asks for something its client may
 * not do is killed like one that sends a malformed message. The one exception is a request a session
 * sent before it learnt of a reload that took a right away: that one is refused (ERROR to the
 * client), since the session could not have known.
 */
import { type Access, ANONYMOUS, missingRight, ownReplyQueues, refusalText } from '../auth/access.js';
import type { Right } from '../auth/rights.js';
import type { User, UserDb } from '../auth/user-db.js';
import type { AuthMsg, SessionToHub } from '../ipc/contract.js';
import type { HubSession } from './model.js';
import { LoginThrottle } from './login-throttle.js';
import { Refusal } from './router-core.js';
import { certificateLogin, type TlsMaterial } from './tls-files.js';

/** Where a client came from, as the pool (not the session) knows it. */
export interface ClientOrigin {
  address: string;
  tls: boolean;
}

/** What the gatekeeper says of a request: act on it (null), refuse it, or kill the session. */
export type Verdict = null | { refuse: Refusal } | { kill: string };

/** One subscription as the gatekeeper remembers it, to re-check it when rights change. */
interface KnownSubscription {
  dest: string;
  durable: boolean;
}

/** The gatekeeper's record of one client of one session. */
interface Client {
  phase: 'new' | 'checking' | 'in';
  access: Access | null;
  /** The login it is known by (for anonymous clients, the login header they sent). */
  login: string;
  /** Generation of a rights push the session has not confirmed yet (0: none). */
  unconfirmed: number;
  subs: Map<number, KnownSubscription>;
}

/** What the gatekeeper is built from; `reload` replaces users and dead letters. */
export interface GatekeeperOptions {
  /** null: no users file, every client is anonymous with every right. */
  users: UserDb | null;
  /** Set when a TLS client's certificate CN is its login. */
  certLogin: TlsMaterial | null;
  deadLetters: string[];
  failureDelayMs: number;
}

/** A session whose subscriptions a reload forbade: the hub ends them and the client gets `refusal`. */
export interface Revocation {
  session: HubSession;
  keys: number[];
  refusal: Refusal;
}

/** Logins and permission checks of the hub. */
export class Gatekeeper {
  private users: UserDb | null;
  private deadLetters: string[];
  private readonly throttle: LoginThrottle;
  private readonly clients = new WeakMap<HubSession, Client>();
  private gen = 0;

  constructor(private readonly options: GatekeeperOptions) {
    this.users = options.users;
    this.deadLetters = options.deadLetters;
    this.throttle = new LoginThrottle(options.failureDelayMs);
  }

  /** The users file as loaded now (a reload replaces it), or null when there is none. */
  get userDb(): UserDb | null {
    return this.users;
  }

  /**
   * Decides a login: resolves with the client's access, or null after the failure delay. The reply
   * never says why (unknown user and wrong passcode look the same, and take the same time).
   */
  async login(session: HubSession, m: AuthMsg, origin: ClientOrigin): Promise<Access | null> {
    const client = this.clientOf(session);
    client.phase = 'checking'; // (check has set it already when the message came from the bus)
    const name = await this.authenticate(m, origin);
    // A reload during the check counts: the user's rights of now, or none if it was removed.
    const user = name === null ? undefined : this.users ? this.users.get(name) : ANONYMOUS;
    if (!user) return null;
    client.phase = 'in';
    client.login = this.users ? user.name : m.login;
    client.access = { user, deadLetters: this.deadLetters, ownQueues: ownReplyQueues(session.pid) };
    return client.access;
  }

  /** Null when the hub may act on `m`; else whether to refuse it (stale rights) or kill the session. */
  check(m: SessionToHub, session: HubSession): Verdict {
    const client = this.clientOf(session);
    switch (m.t) {
      case 'hello': case 'end': case 'flow': case 'drained': case 'closed': return null;
      case 'auth':
        if (client.phase !== 'new') return { kill: 'a second login' };
        client.phase = 'checking';
        return null;
      default: break;
    }
    if (client.phase !== 'in') return { kill: `${m.t} before the login was accepted` };
    const access = client.access!;
    switch (m.t) {
      case 'connected': return m.login === client.login ? null : { kill: `connected as "${m.login}", logged in as "${client.login}"` };
      case 'rights-ack':
        if (m.gen === client.unconfirmed) client.unconfirmed = 0;
        return null;
      case 'publish': return this.need(client, access, 'write', m.dest);
      case 'commit': return this.checkCommit(client, access, m.ops);
      case 'subscribe': return this.checkSubscribe(client, access, m.sub, m.dest, m.durable !== '');
      case 'unsubscribe': return this.checkUnsubscribe(client, access, m.sub, m.forget);
      default: return null;
    }
  }

  /**
   * Takes a reloaded users file (null: still none) and dead-letter list; pushes every logged-in
   * client's new rights to its session, and returns the subscriptions they no longer allow.
   */
  reload(users: UserDb | null, deadLetters: string[], sessions: Iterable<HubSession>): Revocation[] {
    this.users = users;
    this.deadLetters = deadLetters;
    const revocations: Revocation[] = [];
    for (const session of sessions) {
      const client = this.clients.get(session);
      if (client?.phase !== 'in') continue;
      const name = client.access!.user.name;
      const user: User = users ? users.get(name) ?? { name, grants: [] } : ANONYMOUS;
      const access: Access = { user, deadLetters, ownQueues: client.access!.ownQueues };
      client.access = access;
      client.unconfirmed = ++this.gen;
      session.send({ t: 'rights', gen: client.unconfirmed, access });
      const revoked = this.revokedSubscriptions(client, access);
      if (revoked) revocations.push({ session, ...revoked });
    }
    return revocations;
  }

  private async authenticate(m: AuthMsg, origin: ClientOrigin): Promise<string | null> {
    const { users } = this;
    if (!users) return m.login;
    const material = this.options.certLogin;
    if (origin.tls && material) {
      const name = certificateLogin(material, m.cert);
      const ok = await this.throttle.attempt(origin.address, async () => name !== null && users.get(name) !== undefined);
      return ok ? name : null;
    }
    let user: User | null = null;
    await this.throttle.attempt(origin.address, async () => (user = await users.authenticate(m.login, m.passcode)) !== null);
    return (user as User | null)?.name ?? null;
  }

  private clientOf(session: HubSession): Client {
    let client = this.clients.get(session);
    if (!client) {
      client = { phase: 'new', access: null, login: '', unconfirmed: 0, subs: new Map() };
      this.clients.set(session, client);
    }
    return client;
  }

  /** A request needing `right` on `dest`: allowed, refused (rights changed under the session) or a kill. */
  private need(client: Client, access: Access, right: Right, dest: string, durable = false): Verdict {
    const missing = missingRight(access, right, dest, durable);
    if (!missing) return null;
    const { message, detail } = refusalText(access, missing, dest, durable);
    if (client.unconfirmed) return { refuse: new Refusal(message, detail) };
    return { kill: `asked for ${right} on ${dest} for "${client.login}", who lacks ${missing} there` };
  }

  private checkCommit(client: Client, access: Access, ops: Array<{ t: string; dest?: string }>): Verdict {
    for (const op of ops) {
      if (op.t !== 'publish') continue;
      const verdict = this.need(client, access, 'write', op.dest!);
      if (verdict) return verdict;
    }
    return null;
  }

  private checkSubscribe(client: Client, access: Access, key: number, dest: string, durable: boolean): Verdict {
    const verdict = this.need(client, access, 'read', dest, durable);
    if (!verdict) client.subs.set(key, { dest, durable });
    return verdict;
  }

  private checkUnsubscribe(client: Client, access: Access, key: number, forget: boolean): Verdict {
    const sub = client.subs.get(key);
    const verdict = sub && forget && sub.durable ? this.need(client, access, 'admin', sub.dest) : null;
    if (!verdict) client.subs.delete(key);
    return verdict;
  }

  /** The subscriptions of `client` that `access` no longer allows (forgotten here), with the refusal to send. */
  private revokedSubscriptions(client: Client, access: Access): { keys: number[]; refusal: Refusal } | null {
    const keys: number[] = [];
    let refusal: Refusal | null = null;
    for (const [key, sub] of client.subs) {
      const missing = missingRight(access, 'read', sub.dest, sub.durable);
      if (!missing) continue;
      keys.push(key);
      client.subs.delete(key);
      if (!refusal) {
        const { message, detail } = refusalText(access, missing, sub.dest, sub.durable);
        refusal = new Refusal(message, `${detail} A reload took it away.`);
      }
    }
    return refusal ? { keys, refusal } : null;
  }
}
