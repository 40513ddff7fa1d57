/**
 * Validation of what a session sends the hub. The hub is the one process whose failure stops everyone,
 * so every bus message is input: its shape, types and ranges are checked against the contract before
 * the hub acts on it. A check returns null, or what is wrong (the hub logs it and kills the session).
 * The table is typed from the union, so a new message kind fails `tsc` until it has a check.
 */
import { MAX_DESTINATION_LENGTH, MAX_DESTINATION_WORDS, isTopic } from '../protocol/destination.js';
import { MAX_PRIORITY, SUPPORTED_VERSIONS } from '../protocol/frame.js';
import type { SessionToHub, TxOp } from './contract.js';

/** The bounds a well-behaved session stays within (the session enforces them on its client). */
export interface BusLimits {
  maxFrameSize: number;
  maxHeaderLines: number;
  maxHeaderLineLength: number;
  maxTransactionFrames: number;
  maxTransactionBytes: number;
}

/** Longest free-text field a session may send (login, client-id, reasons, durable names). */
const MAX_TEXT = 64 * 1024;
/** Largest client certificate (DER) a session may forward; real ones are 1 to 2 KiB. */
const MAX_CERT_BYTES = 64 * 1024;
/** Most message ids one ACK or NACK may name (a cumulative ACK of a full default prefetch window is 1000). */
const MAX_IDS = 1_000_000;

type Fields = Record<string, unknown>;
type Check = (m: Fields, limits: BusLimits) => string | null;

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown, max = MAX_TEXT): v is string => typeof v === 'string' && v.length <= max;

/** The first non-null of `problems`. */
function first(...problems: Array<string | null>): string | null {
  for (const p of problems) if (p !== null) return p;
  return null;
}

function uint(m: Fields, field: string): string | null {
  return isUint(m[field]) ? null : `${field} must be a non-negative integer`;
}

function bool(m: Fields, field: string): string | null {
  return typeof m[field] === 'boolean' ? null : `${field} must be a boolean`;
}

function text(m: Fields, field: string): string | null {
  return isText(m[field]) ? null : `${field} must be a string of at most ${MAX_TEXT} characters`;
}

function destination(v: unknown): string | null {
  if (typeof v !== 'string' || v === '' || v.length > MAX_DESTINATION_LENGTH) return 'dest must be a destination name';
  if (isTopic(v) && v.split('.').length > MAX_DESTINATION_WORDS) return 'dest has too many words';
  return null;
}

function headers(v: unknown, limits: BusLimits): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'headers must be an object';
  let count = 0;
  for (const [name, value] of Object.entries(v)) {
    if (++count > limits.maxHeaderLines) return 'too many headers';
    if (!isText(name, limits.maxHeaderLineLength) || !isText(value, limits.maxHeaderLineLength)) {
      return `header ${name.slice(0, 40)} must be a string within the header line limit`;
    }
  }
  return null;
}

function body(v: unknown, limits: BusLimits): string | null {
  return v instanceof Uint8Array && v.length <= limits.maxFrameSize ? null : 'body must be bytes within the frame limit';
}

function props(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'props must be an object';
  const p = v as Fields;
  return first(
    bool(p, 'persistent'),
    isUint(p.priority) && p.priority <= MAX_PRIORITY ? null : `priority must be 0 to ${MAX_PRIORITY}`,
    uint(p, 'delayMs'),
    uint(p, 'expiresAt'),
  );
}

function ids(v: unknown): string | null {
  if (!Array.isArray(v) || v.length > MAX_IDS) return 'ids must be a list of message ids';
  for (const id of v) if (!isUint(id) || id === 0) return 'ids must be positive integers';
  return null;
}

function nackOptions(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'options must be an object';
  const o = v as Fields;
  const retry = o.retryAfterMs;
  return first(bool(o, 'requeue'), text(o, 'reason'),
    typeof retry === 'number' && Number.isSafeInteger(retry) && retry >= -1 ? null : 'retryAfterMs must be -1 or more');
}

function publish(m: Fields, limits: BusLimits): string | null {
  return first(destination(m.dest), headers(m.headers, limits), body(m.body, limits), props(m.props));
}

function txOp(op: unknown, limits: BusLimits): string | null {
  if (typeof op !== 'object' || op === null) return 'ops must be objects';
  const o = op as Fields & Partial<TxOp>;
  switch (o.t) {
    case 'publish': return publish(o, limits);
    case 'ack': return ids(o.ids);
    case 'nack': return first(ids(o.ids), nackOptions(o.options));
    default: return `unknown transaction operation ${String(o.t).slice(0, 20)}`;
  }
}

function commit(m: Fields, limits: BusLimits): string | null {
  const { ops } = m;
  if (!Array.isArray(ops) || ops.length > limits.maxTransactionFrames) return 'ops must be a list within the transaction limit';
  let bytes = 0;
  for (const op of ops) {
    const problem = txOp(op, limits);
    if (problem) return problem;
    if ((op as TxOp).t === 'publish') bytes += (op as { body: Uint8Array }).body.length;
  }
  return bytes <= limits.maxTransactionBytes ? null : 'transaction bytes exceed the limit';
}

const CHECKS: { [K in SessionToHub['t']]: Check } = {
  hello: (m) => first(uint(m, 'v'), uint(m, 'session'), uint(m, 'pid')),
  connected: (m) => first(text(m, 'login'), text(m, 'remote'), text(m, 'clientId'),
    (SUPPORTED_VERSIONS as readonly unknown[]).includes(m.version) ? null : 'version must be a STOMP version'),
  publish: (m, limits) => first(publish(m, limits), uint(m, 'rid')),
  subscribe: (m) => first(uint(m, 'sub'), destination(m.dest), uint(m, 'prefetch'), uint(m, 'ackTimeoutMs'),
    text(m, 'durable'), uint(m, 'rid'),
    m.ack === 'auto' || m.ack === 'client' || m.ack === 'client-individual' ? null : 'ack must be an ack mode'),
  unsubscribe: (m) => first(uint(m, 'sub'), bool(m, 'forget'), uint(m, 'rid')),
  claim: (m) => first(uint(m, 'offer'), uint(m, 'sub')),
  pass: (m) => first(uint(m, 'offer'), m.unmatched === undefined ? null : bool(m, 'unmatched')),
  ack: (m) => first(ids(m.ids), uint(m, 'rid')),
  nack: (m) => first(ids(m.ids), nackOptions(m.options), uint(m, 'rid')),
  commit: (m, limits) => first(commit(m, limits), uint(m, 'rid')),
  sync: (m) => uint(m, 'rid'),
  flow: (m) => first(bool(m, 'writable'), bool(m, 'topics')),
  closed: (m) => first(text(m, 'reason'), text(m, 'error')),
  end: () => null,
  auth: (m) => first(text(m, 'login'), text(m, 'passcode'),
    m.cert instanceof Uint8Array && m.cert.length <= MAX_CERT_BYTES ? null : `cert must be at most ${MAX_CERT_BYTES} bytes`),
  'rights-ack': (m) => uint(m, 'gen'),
  drained: () => null,
};

/** Null when `m` is a well-formed session message within `limits`, else what is wrong with it. */
export function checkSessionMessage(m: unknown, limits: BusLimits): string | null {
  if (typeof m !== 'object' || m === null) return 'not an object';
  const t = (m as Fields).t;
  const check = typeof t === 'string' && Object.hasOwn(CHECKS, t) ? CHECKS[t as SessionToHub['t']] : undefined;
  if (!check) return `unknown message kind ${JSON.stringify(t)?.slice(0, 40)}`;
  const problem = check(m as Fields, limits);
  return problem === null ? null : `${t}: ${problem}`;
}
