/**
 * The vocabulary of the users file: rights, user names and destination patterns, with the checks
 * the parser and the `user` commands share (so both reject the same things with the same words).
 */

/** What a permission line grants: `read` = SUBSCRIBE, `write` = SEND, `admin` = durable
 * subscriptions, dead-letter queues and status. */
export type Right = 'read' | 'write' | 'admin';

/** Every right, in the order they are written back. */
export const RIGHTS: readonly Right[] = ['read', 'write', 'admin'];

/** Bad input to a `user` command or in a users-file field; the message says what is wrong. */
export class UserInputError extends Error {}

/** Parses `read`, `read,write` …; throws UserInputError naming an unknown or repeated right. */
export function parseRights(text: string): Right[] {
  const rights: Right[] = [];
  for (const word of text.split(',')) {
    if (!(RIGHTS as readonly string[]).includes(word)) {
      throw new UserInputError(`unknown right "${word}" (expected read, write or admin, or a comma-separated list)`);
    }
    if (rights.includes(word as Right)) throw new UserInputError(`right "${word}" is listed twice`);
    rights.push(word as Right);
  }
  return sortRights(rights);
}

/** Rights in canonical order (read, write, admin). */
export function sortRights(rights: Iterable<Right>): Right[] {
  const set = new Set(rights);
  return RIGHTS.filter((r) => set.has(r));
}

/** Throws UserInputError unless `name` can be a user name: 1 to 128 characters, no blanks or control characters. */
export function checkUserName(name: string): void {
  if (!/^[^\s\p{Cc}]{1,128}$/u.test(name)) {
    throw new UserInputError(`bad user name "${name}" (1 to 128 characters, no spaces or control characters)`);
  }
}

/** Throws UserInputError unless `pattern` can be a destination pattern: no blanks or control characters. */
export function checkPattern(pattern: string): void {
  if (!/^[^\s\p{Cc}]{1,1024}$/u.test(pattern)) {
    throw new UserInputError(`bad destination pattern "${pattern}" (no spaces or control characters; * matches anything)`);
  }
}
