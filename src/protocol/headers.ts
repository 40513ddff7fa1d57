/**
 * Typed header accessors and per-command header rules. Each returns a value or throws a StompError
 * whose title is what the client sees in the ERROR frame's `message` header.
 */
import { fail } from './errors.js';
import {
  type Frame, HEADER_ACK, HEADER_ACTIVEMQ_PREFETCH, HEADER_AMQ_SCHEDULED_DELAY, HEADER_DELAY, HEADER_EXPIRATION,
  HEADER_EXPIRES, HEADER_HEART_BEAT, HEADER_MESSAGE, HEADER_PERSISTENT, HEADER_PREFETCH_COUNT, HEADER_PRIORITY,
  HEADER_REQUEUE, HEADER_RETRY_AFTER, type StompVersion, SUPPORTED_VERSIONS, DEFAULT_PRIORITY, MAX_PRIORITY,
} from './frame.js';

/** How a subscription acknowledges (STOMP SUBSCRIBE `ack`). */
export type AckMode = 'auto' | 'client' | 'client-individual';

/** What a SEND's headers ask of the broker beyond delivery. */
export interface MessageProps {
  /** Keep on disk until acknowledged (`persistent:true`). */
  persistent: boolean;
  /** 0–9, higher first (`priority`). */
  priority: number;
  /** Offer no sooner than this many ms from now (`delay`, `AMQ_SCHEDULED_DELAY`). */
  delayMs: number;
  /** Epoch ms after which the message expires, 0 = never (`expires`, or now + `expiration`). */
  expiresAt: number;
}

/** What a NACK asks for beyond "not now". */
export interface NackOptions {
  /** false = dead-letter now (`requeue:false`). */
  requeue: boolean;
  /** The worker's own "retry in" (ms), -1 = the destination's back-off policy. */
  retryAfterMs: number;
  /** Why it failed (`message` header on NACK), kept in the dead letter's history. */
  reason: string;
}

/** The header's value; a missing or (where `nonEmpty`) empty header is an error. */
export function requireHeader(frame: Frame, name: string, nonEmpty = true): string {
  const value = frame.headers[name];
  if (value === undefined || (nonEmpty && value === '')) {
    throw fail('MISSING_HEADER', 'Missing header', `${frame.command} frame requires the '${name}' header.`);
  }
  return value;
}

/** A non-negative decimal integer header, or `fallback` when absent. */
export function integerHeader(frame: Frame, name: string, fallback: number): number {
  const value = frame.headers[name];
  if (value === undefined) return fallback;
  if (!/^\s*\d{1,15}\s*$/.test(value)) {
    throw fail('BAD_HEADER', 'Invalid header', `'${name}' must be a non-negative integer, got '${value}'.`);
  }
  return Number(value.trim());
}

/**
 * SUBSCRIBE `ack`: auto (default), client or client-individual. STOMP 1.0 names only the first two, but
 * RabbitMQ and ActiveMQ accept client-individual on 1.0 connections too, and so do we.
 */
export function ackModeHeader(frame: Frame): AckMode {
  const value = frame.headers[HEADER_ACK] ?? 'auto';
  if (value === 'auto' || value === 'client' || value === 'client-individual') return value;
  throw fail('BAD_HEADER', 'Invalid ack mode', `ack must be auto, client or client-individual, got '${value}'.`);
}

/** Credit from RabbitMQ's `prefetch-count` or ActiveMQ's `activemq.prefetchSize`; 0 = unlimited. */
export function prefetchHeader(frame: Frame, fallback: number): number {
  if (frame.headers[HEADER_PREFETCH_COUNT] !== undefined) return integerHeader(frame, HEADER_PREFETCH_COUNT, fallback);
  return integerHeader(frame, HEADER_ACTIVEMQ_PREFETCH, fallback);
}

/** CONNECT `heart-beat`: "cx,cy", both non-negative integers; absent means 0,0. */
export function heartBeatHeader(frame: Frame): [number, number] {
  const value = frame.headers[HEADER_HEART_BEAT];
  if (value === undefined) return [0, 0];
  const m = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
  if (!m) throw fail('BAD_HEADER', 'Invalid heart-beat header', `heart-beat must be "cx,cy", got '${value}'.`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * The highest version both sides speak. No `accept-version` means a 1.0 client (STOMP 1.1
 * "Protocol Negotiation"); a list without any of ours is an error.
 */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion {
  if (acceptVersion === undefined) return '1.0';
  const offered = acceptVersion.split(',').map((v) => v.trim());
  for (let i = SUPPORTED_VERSIONS.length - 1; i >= 0; i--) {
    if (offered.includes(SUPPORTED_VERSIONS[i])) return SUPPORTED_VERSIONS[i];
  }
  throw fail('UNSUPPORTED_VERSION', 'Supported protocol versions are ' + SUPPORTED_VERSIONS.join(','),
    `This broker speaks STOMP ${SUPPORTED_VERSIONS.join(', ')}; the client accepts ${acceptVersion}.`);
}

/**
 * Heart-beat negotiation (STOMP 1.1 "Heart-beating"): the interval each way is the larger of what one
 * side offers and the other wants, 0 when either is 0. The broker offers what the client wants, no
 * lower than its configured minimum, as RabbitMQ does.
 */
export function negotiateHeartBeat(client: [number, number], minimum: [number, number]): {
  send: number; receive: number; header: string;
} {
  const [cx, cy] = client;
  const send = cy === 0 ? 0 : Math.max(cy, minimum[0]);
  const receive = cx === 0 ? 0 : Math.max(cx, minimum[1]);
  return { send, receive, header: `${send},${receive}` };
}

/** A `true`/`false` header, or `fallback` when absent. */
export function booleanHeader(frame: Frame, name: string, fallback: boolean): boolean {
  const value = frame.headers[name];
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw fail('BAD_HEADER', 'Invalid header', `'${name}' must be true or false, got '${value}'.`);
}

/** SEND's persistence, priority (0–9), delay and expiry; any malformed value is an error. */
export function messageProps(frame: Frame, now = Date.now()): MessageProps {
  const persistent = booleanHeader(frame, HEADER_PERSISTENT, false);
  const priority = integerHeader(frame, HEADER_PRIORITY, DEFAULT_PRIORITY);
  if (priority > MAX_PRIORITY) {
    throw fail('BAD_HEADER', 'Invalid priority', `priority must be 0 to ${MAX_PRIORITY}, got ${priority}.`);
  }
  const delayMs = frame.headers[HEADER_DELAY] !== undefined
    ? integerHeader(frame, HEADER_DELAY, 0) : integerHeader(frame, HEADER_AMQ_SCHEDULED_DELAY, 0);
  const expires = integerHeader(frame, HEADER_EXPIRES, 0);
  const expiration = integerHeader(frame, HEADER_EXPIRATION, -1);
  const expiresAt = expiration >= 0 ? now + expiration : expires;
  return { persistent, priority, delayMs, expiresAt };
}

/** NACK's `requeue`, `retry-after` and `message` (the failure reason). */
export function nackOptions(frame: Frame): NackOptions {
  return {
    requeue: booleanHeader(frame, HEADER_REQUEUE, true),
    retryAfterMs: integerHeader(frame, HEADER_RETRY_AFTER, -1),
    reason: frame.headers[HEADER_MESSAGE] ?? '',
  };
}
