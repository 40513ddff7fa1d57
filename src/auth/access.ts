/**
 * What one client may do: its user's permission lines, plus the names of the configured dead-letter
 * queues (using one needs `admin` besides the operation's own right, as `/queue/DLQ.*` does), and the
 * prefix of its own temporary queues (which need no right: they are private to their connection).
 * Plain data: the hub sends it to the session with the login answer and again after a reload, and
 * both sides check every request against it with the same function, so they never disagree.
 */
import { randomBytes } from 'node:crypto';
import { isDeadLetterQueue } from '../hub/policy.js';
import { REPLY_QUEUE_PREFIX } from '../protocol/destination.js';
import { type User, userAllowed } from './user-db.js';
import { RIGHTS, type Right } from './rights.js';

/** A client's rights: its user and the dead-letter queues the configuration names. */
export interface Access {
  user: User;
  /** Queues configured as `deadLetter` targets (besides `/queue/DLQ.*`, which need admin by name). */
  deadLetters: string[];
  /** Public names of the session's own temporary queues start with this (see ownReplyQueues). */
  ownQueues: string;
}

/**
 * The prefix of the public names of one client's temporary queues: its `/temp-queue/NAME` is
 * `/reply-queue/session-<pid>-<token>.NAME`, with a random token drawn per login, so nobody can guess
 * the name of a reply queue before its owner uses it (and claim it), and a later client of a reused
 * session process gets other names. Anyone else's temporary queue is an ordinary destination for the
 * rights: replying to one needs write on it, consuming from one read (which operators rarely grant).
 */
export function ownReplyQueues(pid: number): string {
  return `${REPLY_QUEUE_PREFIX}session-${pid}-${randomBytes(12).toString('base64url')}.`;
}

/** The user of a broker without a users file: every right on every destination. */
export const ANONYMOUS: User = Object.freeze({ name: '', grants: Object.freeze([{ rights: [...RIGHTS], pattern: '*' }]) });

/** Whether `dest` is a dead-letter queue, by name or by the configuration. */
export function isDeadLetter(access: Access, dest: string): boolean {
  return isDeadLetterQueue(dest) || access.deadLetters.includes(dest);
}

/**
 * The right the client lacks to use `right` on `dest` (`admin` too for a dead-letter queue or when
 * `durable`), or null when it holds all it needs.
 */
export function missingRight(access: Access, right: Right, dest: string, durable = false): Right | null {
  if (access.ownQueues && dest.startsWith(access.ownQueues)) return null;
  if (!userAllowed(access.user, right, dest)) return right;
  if ((durable || isDeadLetter(access, dest)) && !userAllowed(access.user, 'admin', dest)) return 'admin';
  return null;
}

/** The ERROR's title and body for a refused request: they name the destination and the missing right. */
export function refusalText(access: Access, missing: Right, dest: string, durable = false): { message: string; detail: string } {
  const who = access.user.name ? `User "${access.user.name}"` : 'This client';
  const why = missing !== 'admin' ? ''
    : durable ? ' (durable subscriptions need it)' : ' (dead-letter queues need it)';
  return {
    message: `access refused: no ${missing} right on ${dest}`,
    detail: `${who} has no ${missing} right on ${dest}${why}.`,
  };
}
