/**
 * The `stomp-broker user …` commands: add, passwd, remove, list, grant, revoke. Each reads the users
 * file named by `--users`, changes what it must and writes it back atomically (mode 0600), keeping
 * comments and untouched lines. Bad input exits 1 with a message naming the problem.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { hashPassword } from './password.js';
import { readNewPassword } from './prompt.js';
import { checkUserName, parseRights, UserInputError } from './rights.js';
import { readUsersFile, UsersDocument, UsersFileError, UsersLine, writeUsersFile } from './users-file.js';

interface UsersOption {
  users: string;
}

/** Header of a users file `user add` creates, so someone opening it knows what it holds. */
const NEW_FILE_HEADER: UsersLine[] = [
  '# stomp-broker users: "user NAME HASH" and "allow NAME RIGHTS PATTERN" lines, # for comments.',
  '# Rights: read (SUBSCRIBE), write (SEND), admin; * in a pattern matches anything. See docs/security.md.',
].map((text) => ({ kind: 'text', text }));

/** Registers `user` and its subcommands on the program. */
export function userCommands(program: Command): void {
  const user = program.command('user')
    .description('manage the users file: users, passwords and permissions (read, write, admin)');
  const usersOption = ['--users <file>', 'the users file'] as const;
  user.command('add <name>').description('add a user (password asked twice on a terminal, else one line of stdin)')
    .requiredOption(...usersOption).option('--password <password>', 'the password (visible to ps: prefer stdin)')
    .action(run(addUser));
  user.command('passwd <name>').description('change a user\'s password (asked as for add)')
    .requiredOption(...usersOption).option('--password <password>', 'the new password')
    .action(run(changePassword));
  user.command('remove <name>').description('remove a user and all its permissions')
    .requiredOption(...usersOption).action(run(removeUser));
  user.command('list').description('list users and their permissions (never hashes)')
    .requiredOption(...usersOption).option('--json', 'print JSON', false).action(run(listUsers));
  user.command('grant <name> <rights> <pattern>')
    .description('allow rights (read, write, admin; comma-separated) on destinations matching pattern (* = anything)')
    .requiredOption(...usersOption).action(run(grant));
  user.command('revoke <name> <rights> <pattern>')
    .description('take rights back from a pattern, written exactly as in the file')
    .requiredOption(...usersOption).action(run(revoke));
}

/** Wraps an action: known errors print `stomp-broker: problem` (one line each) and exit 1. */
function run<A extends unknown[]>(action: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (!(err instanceof UsersFileError || err instanceof UserInputError)) throw err;
      process.stderr.write(err.message.split('\n').map((l) => `stomp-broker: ${l}\n`).join(''));
      process.exit(1);
    }
  };
}

async function addUser(name: string, opts: UsersOption & { password?: string }): Promise<void> {
  checkUserName(name);
  const doc = fs.existsSync(opts.users) ? readUsersFile(opts.users) : new UsersDocument(opts.users, [...NEW_FILE_HEADER]);
  if (doc.userLine(name)) throw new UserInputError(`user "${name}" already exists in ${opts.users}`);
  const hash = await hashPassword(opts.password ?? await readNewPassword());
  doc.addUser(name, hash);
  writeUsersFile(doc);
  say(`added user ${name} to ${opts.users}; it has no permissions until "user grant"`);
}

async function changePassword(name: string, opts: UsersOption & { password?: string }): Promise<void> {
  const doc = readUsersFile(opts.users);
  if (!doc.userLine(name)) throw new UserInputError(`no user "${name}" in ${opts.users}`);
  doc.setHash(name, await hashPassword(opts.password ?? await readNewPassword()));
  writeUsersFile(doc);
  say(`changed the password of ${name}`);
}

function removeUser(name: string, opts: UsersOption): void {
  const doc = readUsersFile(opts.users);
  doc.removeUser(name);
  writeUsersFile(doc);
  say(`removed user ${name} and its permissions`);
}

function listUsers(opts: UsersOption & { json: boolean }): void {
  const doc = readUsersFile(opts.users);
  const users = doc.userNames().map((name) => ({ name, permissions: doc.grants(name) }));
  if (opts.json) return say(JSON.stringify(users, null, 2));
  const lines = users.flatMap(({ name, permissions }) => [
    name,
    ...(permissions.length === 0 ? ['  (no permissions)'] : permissions.map((g) => `  ${g.rights.join(',').padEnd(17)} ${g.pattern}`)),
  ]);
  if (lines.length > 0) say(lines.join('\n'));
}

function grant(name: string, rightsText: string, pattern: string, opts: UsersOption): void {
  const rights = parseRights(rightsText);
  const doc = readUsersFile(opts.users);
  const added = doc.grant(name, rights, pattern);
  if (added.length === 0) return say(`${name} already holds ${rights.join(',')} on ${pattern}`);
  writeUsersFile(doc);
  say(`granted ${added.join(',')} on ${pattern} to ${name}`);
}

function revoke(name: string, rightsText: string, pattern: string, opts: UsersOption): void {
  const rights = parseRights(rightsText);
  const doc = readUsersFile(opts.users);
  const removed = doc.revoke(name, rights, pattern);
  if (removed.length === 0) {
    throw new UserInputError(`${name} holds no ${rights.join(',')} on "${pattern}" (patterns must be written as in "user list")`);
  }
  writeUsersFile(doc);
  say(`revoked ${removed.join(',')} on ${pattern} from ${name}`);
}

function say(text: string): void {
  process.stdout.write(text + '\n');
}
