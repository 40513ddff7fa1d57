/**
 * The users the broker knows, loaded from the users file: password checks for CONNECT and permission
 * checks for SUBSCRIBE (read), SEND (write) and durable subscriptions, dead-letter queues and
 * status (admin). Users are plain data, so the hub can hand a session its own user after CONNECT
 * and the session can check permissions with `userAllowed` without a round trip.
 */
import { type Grant, readUsersFile, UsersDocument } from './users-file.js';
import { dummyHash, type PasswordHash, verifyPassword } from './password.js';
import { patternsAllow } from './pattern.js';
import type { Right } from './rights.js';

/** An authenticated user: name and permission lines, plain data (serialisable over the bus). */
export interface User {
  readonly name: string;
  readonly grants: readonly Grant[];
}

/**
 * Answers of `userAllowed` by user (a reload makes new User objects), right and destination: every SEND
 * is checked in the session and again in the hub, mostly to the same few destinations, and matching the
 * patterns each time cost the hub ~5% of its CPU on a busy queue.
 */
const decisions = new WeakMap<User, Map<string, boolean>>();
/** Decisions remembered per user; a client sending to endlessly many names must not grow them forever. */
const MAX_DECISIONS = 4096;

/** Whether `user` holds `right` on `destination`; a wildcard subscription needs it on all it can match. */
export function userAllowed(user: User, right: Right, destination: string): boolean {
  let memo = decisions.get(user);
  if (!memo) decisions.set(user, (memo = new Map()));
  const key = `${right} ${destination}`; // a right is one word
  let allowed = memo.get(key);
  if (allowed === undefined) {
    const patterns = user.grants.filter((g) => g.rights.includes(right)).map((g) => g.pattern);
    allowed = patternsAllow(patterns, destination);
    if (memo.size >= MAX_DECISIONS) memo.clear();
    memo.set(key, allowed);
  }
  return allowed;
}

/** The users of one users file, as loaded. Reloading means building a new UserDb. */
export class UserDb {
  private readonly users = new Map<string, { user: User; hash: PasswordHash }>();
  /** Verified for unknown logins so they take as long as known ones (same parameters as the first user). */
  private readonly dummy: PasswordHash;

  constructor(doc: UsersDocument) {
    for (const line of doc.lines) {
      if (line.kind !== 'user') continue;
      const user: User = Object.freeze({ name: line.name, grants: Object.freeze(doc.grants(line.name)) });
      this.users.set(line.name, { user, hash: line.hash });
    }
    const first = this.users.values().next().value;
    this.dummy = dummyHash(first?.hash.params);
  }

  /** User names in file order. */
  names(): string[] {
    return [...this.users.keys()];
  }

  /** The user named `name`, or undefined (no password check: for tools and tests). */
  get(name: string): User | undefined {
    return this.users.get(name)?.user;
  }

  /**
   * The user if `passcode` is `login`'s password, else null. Takes one scrypt verification whether or
   * not the user exists (an unknown login is checked against a dummy hash), so the time taken does
   * not reveal which logins exist.
   */
  async authenticate(login: string, passcode: string): Promise<User | null> {
    const entry = this.users.get(login);
    const ok = await verifyPassword(passcode, entry?.hash ?? this.dummy);
    return entry !== undefined && ok ? entry.user : null;
  }

  /** Whether `user` may use `right` on `destination`, by this database's current lines for that name. */
  allowed(user: User, right: Right, destination: string): boolean {
    const current = this.users.get(user.name)?.user;
    return current !== undefined && userAllowed(current, right, destination);
  }
}

/** Reads a users file; throws UsersFileError naming the file, and each bad line and its problem. */
export function loadUsers(file: string): UserDb {
  return new UserDb(readUsersFile(file));
}
