/**
 * Users files for tests: written with the broker's own code (as `stomp-broker user add/grant` does),
 * with cheap scrypt parameters so a test suite does not spend seconds hashing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashPassword } from '../../src/auth/password.js';
import { parseRights } from '../../src/auth/rights.js';
import { readUsersFile, UsersDocument, writeUsersFile } from '../../src/auth/users-file.js';
import { freshDir } from './broker.js';

/** scrypt parameters for tests: 1 MiB and a few ms per check (the broker reads them from each hash). */
const TEST_SCRYPT = { ln: 10, r: 8, p: 1 };

/** One user of a test users file: its password and its permission lines as [rights, pattern]. */
export interface TestUser {
  password: string;
  allow?: Array<[string, string]>;
}

/** A path for a users file in a fresh temp directory (for flags known before the file is written). */
export function usersPath(): string {
  return path.join(freshDir('stomp-users-'), 'users.txt');
}

/** Writes a users file (at `file`, else in a fresh temp directory); returns its path. */
export async function writeUsers(users: Record<string, TestUser>, file = usersPath()): Promise<string> {
  const doc = new UsersDocument(file);
  for (const [name, user] of Object.entries(users)) {
    doc.addUser(name, await hashPassword(user.password, TEST_SCRYPT));
    for (const [rights, pattern] of user.allow ?? []) doc.grant(name, parseRights(rights), pattern);
  }
  writeUsersFile(doc);
  return file;
}

/** Changes a users file as the `user` commands do (grant, revoke, remove …) and writes it back. */
export function editUsers(file: string, change: (doc: UsersDocument) => void): void {
  const doc = readUsersFile(file);
  change(doc);
  writeUsersFile(doc);
}

/** Removes a users file written by writeUsers, with its directory. */
export function removeUsers(file: string): void {
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
