/**
 * The users file (`--users FILE`): users, their password hashes and their permissions, one per line.
 *
 *     # Lines starting with # are comments; blank lines are ignored.
 *     user   alice  $scrypt$ln=14,r=8,p=1$<salt>$<key>
 *     allow  alice  read,write  /queue/jobs.*
 *     allow  alice  read        /topic/events.*
 *     user   ops    $scrypt$ln=14,r=8,p=1$<salt>$<key>
 *     allow  ops    read,write,admin  *
 *
 * - `user NAME HASH` defines a user once. NAME has no blanks; HASH is a PHC scrypt string (see
 *   password.ts), written by `stomp-broker user add`, never by hand.
 * - `allow NAME RIGHTS PATTERN` grants RIGHTS (`read` = SUBSCRIBE, `write` = SEND, `admin` = durable
 *   subscriptions, dead-letter queues, status; comma-separated) on destinations matching PATTERN, where
 *   `*` matches any run of characters. A user may have many such lines, before or after its `user`
 *   line; a user with none may do nothing.
 * - Fields are separated by spaces or tabs. `#` starts a comment only at the start of a line, since
 *   `#` is a topic wildcard and may appear in a pattern.
 *
 * Parsing collects every problem, each as `FILE:LINE: problem`. Editing (the `user` commands) rewrites
 * only the lines it changes: comments, blank lines and the layout of other lines survive.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { formatHash, parseHash, type PasswordHash } from './password.js';
import {
  checkPattern, checkUserName, parseRights, type Right, sortRights, UserInputError,
} from './rights.js';

/** One line of the file: kept as written unless an edit changes it. */
export type UsersLine =
  | { kind: 'text'; text: string }
  | { kind: 'user'; name: string; hash: PasswordHash; text: string }
  | { kind: 'allow'; name: string; rights: Right[]; pattern: string; text: string };

/** A permission line's content. */
export interface Grant {
  rights: Right[];
  pattern: string;
}

/** One problem in a users file: its line (1-based) and what is wrong. */
export interface UsersFileProblem {
  line: number;
  problem: string;
}

/** A users file that cannot be used; the message lists every problem as `FILE:LINE: problem`. */
export class UsersFileError extends Error {
  constructor(readonly file: string, readonly problems: UsersFileProblem[]) {
    super(problems.map((p) => (p.line > 0 ? `${file}:${p.line}: ${p.problem}` : `${file}: ${p.problem}`)).join('\n'));
  }
}

/** The users file as lines, with the edits the `user` commands make. */
export class UsersDocument {
  /** `eol` is the line ending written back: the file's own (CRLF if its first line has one). */
  constructor(readonly file: string, readonly lines: UsersLine[] = [], readonly eol = '\n') {}

  /** Parses the text of `file`; throws UsersFileError listing every problem. */
  static parse(text: string, file: string): UsersDocument {
    const problems: UsersFileProblem[] = [];
    const lines = splitLines(text).map((raw, i) => {
      try {
        return parseLine(raw);
      } catch (err) {
        if (!(err instanceof UserInputError)) throw err;
        problems.push({ line: i + 1, problem: err.message });
        return { kind: 'text', text: raw } as const;
      }
    });
    problems.push(...crossCheck(lines));
    if (problems.length > 0) throw new UsersFileError(file, problems.sort((a, b) => a.line - b.line));
    return new UsersDocument(file, lines, /^[^\n]*\r\n/.test(text) ? '\r\n' : '\n');
  }

  /** The file's text: unchanged lines exactly as read, each ended by the file's line ending. */
  serialize(): string {
    return this.lines.map((l) => l.text + this.eol).join('');
  }

  /** User names in file order. */
  userNames(): string[] {
    return this.lines.flatMap((l) => (l.kind === 'user' ? [l.name] : []));
  }

  /** The user's line, or undefined. */
  userLine(name: string): Extract<UsersLine, { kind: 'user' }> | undefined {
    return this.lines.find((l): l is Extract<UsersLine, { kind: 'user' }> => l.kind === 'user' && l.name === name);
  }

  /** The user's permission lines, in file order. */
  grants(name: string): Grant[] {
    return this.lines.flatMap((l) => (l.kind === 'allow' && l.name === name ? [{ rights: l.rights, pattern: l.pattern }] : []));
  }

  /** Appends a new user; throws UserInputError if the name is taken or malformed. */
  addUser(name: string, hash: PasswordHash): void {
    checkUserName(name);
    if (this.userLine(name)) throw new UserInputError(`user "${name}" already exists`);
    this.lines.push(userLine(name, hash));
  }

  /** Replaces a user's password hash in place. */
  setHash(name: string, hash: PasswordHash): void {
    const i = this.lines.indexOf(this.existing(name));
    this.lines[i] = userLine(name, hash);
  }

  /** Removes the user's line and all its permission lines. */
  removeUser(name: string): void {
    this.existing(name);
    const kept = this.lines.filter((l) => l.kind === 'text' || l.name !== name);
    this.lines.splice(0, this.lines.length, ...kept);
  }

  /** Grants rights on a pattern (merged into a line with the same pattern); returns those newly granted. */
  grant(name: string, rights: Right[], pattern: string): Right[] {
    this.existing(name);
    checkPattern(pattern);
    const i = this.lines.findIndex((l) => l.kind === 'allow' && l.name === name && l.pattern === pattern);
    if (i < 0) {
      this.lines.splice(this.lastLineOf(name) + 1, 0, allowLine(name, rights, pattern));
      return rights;
    }
    const held = (this.lines[i] as Extract<UsersLine, { kind: 'allow' }>).rights;
    const added = rights.filter((r) => !held.includes(r));
    if (added.length > 0) this.lines[i] = allowLine(name, sortRights([...held, ...added]), pattern);
    return added;
  }

  /** Revokes rights on exactly this pattern (as written in the file); returns those actually revoked. */
  revoke(name: string, rights: Right[], pattern: string): Right[] {
    this.existing(name);
    const removed: Right[] = [];
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.kind !== 'allow' || l.name !== name || l.pattern !== pattern) continue;
      removed.push(...l.rights.filter((r) => rights.includes(r)));
      const left = l.rights.filter((r) => !rights.includes(r));
      if (left.length === 0) this.lines.splice(i, 1);
      else if (left.length < l.rights.length) this.lines[i] = allowLine(name, left, pattern);
    }
    return sortRights(removed);
  }

  private existing(name: string): Extract<UsersLine, { kind: 'user' }> {
    const line = this.userLine(name);
    if (!line) throw new UserInputError(`no user "${name}" in ${this.file}`);
    return line;
  }

  private lastLineOf(name: string): number {
    let last = -1;
    this.lines.forEach((l, i) => {
      if (l.kind !== 'text' && l.name === name) last = i;
    });
    return last;
  }
}

/** Reads and parses a users file; throws UsersFileError (also when it cannot be read). */
export function readUsersFile(file: string): UsersDocument {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsersFileError(file, [{ line: 0, problem: `cannot read: ${(err as Error).message}` }]);
  }
  return UsersDocument.parse(text, file);
}

/** Writes the document to its file atomically (temp file in the same directory, fsync, rename), mode 0600. */
export function writeUsersFile(doc: UsersDocument): void {
  const dir = path.dirname(path.resolve(doc.file));
  const tmp = path.join(dir, `.${path.basename(doc.file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, doc.serialize());
    fs.fchmodSync(fd, 0o600); // the umask cannot widen it, but an inherited ACL default could
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, doc.file);
  syncDir(dir);
}

/** Makes the rename durable; some file systems refuse to fsync a directory, which is harmless here. */
function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // best effort
  }
}

function splitLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Parses one line; throws UserInputError saying what is wrong. */
function parseLine(text: string): UsersLine {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'text', text };
  const fields = trimmed.split(/[ \t]+/);
  const [keyword, name] = fields;
  if (keyword === 'user') {
    expectFields(fields, 3, 'user NAME HASH');
    checkUserName(name);
    return { kind: 'user', name, hash: parseHashField(fields[2]), text };
  }
  if (keyword === 'allow') {
    expectFields(fields, 4, 'allow NAME RIGHTS PATTERN');
    checkUserName(name);
    checkPattern(fields[3]);
    return { kind: 'allow', name, rights: parseRights(fields[2]), pattern: fields[3], text };
  }
  throw new UserInputError(`unknown keyword "${keyword}" (expected user, allow or a # comment)`);
}

function expectFields(fields: string[], count: number, form: string): void {
  if (fields.length < count) throw new UserInputError(`too few fields: expected "${form}"`);
  if (fields.length > count) throw new UserInputError(`too many fields: expected "${form}" (names and patterns have no spaces)`);
}

function parseHashField(text: string): PasswordHash {
  try {
    return parseHash(text);
  } catch (err) {
    throw new UserInputError((err as Error).message);
  }
}

/** Problems that span lines: a user defined twice, a permission for a user never defined. */
function crossCheck(lines: UsersLine[]): UsersFileProblem[] {
  const problems: UsersFileProblem[] = [];
  const defined = new Map<string, number>();
  lines.forEach((l, i) => {
    if (l.kind !== 'user') return;
    const first = defined.get(l.name);
    if (first !== undefined) problems.push({ line: i + 1, problem: `user "${l.name}" is already defined on line ${first}` });
    else defined.set(l.name, i + 1);
  });
  lines.forEach((l, i) => {
    if (l.kind === 'allow' && !defined.has(l.name)) {
      problems.push({ line: i + 1, problem: `permission for "${l.name}", who has no user line` });
    }
  });
  return problems;
}

function userLine(name: string, hash: PasswordHash): UsersLine {
  return { kind: 'user', name, hash, text: `user ${name} ${formatHash(hash)}` };
}

function allowLine(name: string, rights: Right[], pattern: string): UsersLine {
  return { kind: 'allow', name, rights, pattern, text: `allow ${name} ${rights.join(',')} ${pattern}` };
}
