/**
 * Destination policies: per-destination-pattern settings from the `--config` JSON file (persistence,
 * redelivery and back-off, dead letters, ack timeout, expiry, bounds, fan-out). Validated at start
 * with errors that name the offending key.
 */
import fs from 'node:fs';
import { globMatches, isTopic } from '../protocol/destination.js';

/** Back-off between redeliveries: initial delay, multiplied per failure, capped. */
export interface Backoff {
  initialMs: number;
  multiplier: number;
  maxMs: number;
}

/** The settings that apply to one destination. */
export interface DestinationPolicy {
  /** Every message to this destination is persistent, whatever its `persistent` header says. */
  persistent: boolean;
  /** Deliveries allowed before a message is dead-lettered; 0 = unlimited. */
  maxDeliveries: number;
  /** Delay before a NACKed or timed-out message is offered again; none when absent. */
  backoff: Backoff | null;
  /** Dead-letter queue; '' = `/queue/DLQ.<name>`. */
  deadLetter: string;
  /** Unacknowledged messages return to the queue after this long; 0 = never. */
  ackTimeoutMs: number;
  /** What happens to an expired message. */
  expired: 'drop' | 'dead-letter';
  /** Ready messages allowed; 0 = unbounded. */
  maxLength: number;
  /** Bytes of ready messages allowed; 0 = unbounded. */
  maxBytes: number;
  /** Past a bound: refuse the SEND with an ERROR, or drop the oldest message. */
  overflow: 'reject' | 'drop-head';
  /** Bytes the queue may hold before its producers are paused; 0 = the broker's default (--max-destination-memory). */
  maxMemory: number;
  /** Queues that get a copy of every message sent here (fan-out, like virtual topics). */
  fanout: string[];
}

/** The policy of a destination nothing in the configuration matches. */
export const DEFAULT_POLICY: DestinationPolicy = {
  persistent: false, maxDeliveries: 0, backoff: null, deadLetter: '', ackTimeoutMs: 0, expired: 'drop',
  maxLength: 0, maxBytes: 0, overflow: 'reject', maxMemory: 0, fanout: [],
};

/** A parsed configuration file: patterns in file order. */
export interface BrokerFileConfig {
  destinations: Array<{ pattern: string; policy: Partial<DestinationPolicy> }>;
}

/** Thrown for an invalid configuration file; the message names the key (and, from a file, its line). */
export class ConfigError extends Error {
  /** The keys leading to the bad value, outermost first (to find its line in the file). */
  keys: string[] = [];
}

/** A ConfigError located at `keys` (see ConfigError.keys). */
function keyError(message: string, ...keys: string[]): ConfigError {
  const err = new ConfigError(message);
  err.keys = keys;
  return err;
}

type Check = (value: unknown, where: string) => unknown;

const nonNegInt: Check = (v, where) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(`${where}: must be a non-negative integer`);
  return v;
};
const bool: Check = (v, where) => {
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: must be true or false`);
  return v;
};
const oneOf = (...allowed: string[]): Check => (v, where) => {
  if (typeof v !== 'string' || !allowed.includes(v)) throw new ConfigError(`${where}: must be one of ${allowed.join(', ')}`);
  return v;
};
const queueName: Check = (v, where) => {
  if (typeof v !== 'string' || v === '' || isTopic(v)) throw new ConfigError(`${where}: must be a queue name`);
  return v;
};
const queueList: Check = (v, where) => {
  if (!Array.isArray(v)) throw new ConfigError(`${where}: must be a list of queue names`);
  return v.map((q, i) => queueName(q, `${where}[${i}]`));
};
const backoff: Check = (v, where) => {
  if (typeof v !== 'object' || v === null) throw new ConfigError(`${where}: must be an object`);
  const b = v as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!['initialMs', 'multiplier', 'maxMs'].includes(key)) throw new ConfigError(`${where}.${key}: unknown setting`);
  }
  const multiplier = b.multiplier ?? 2;
  if (typeof multiplier !== 'number' || !(multiplier >= 1)) throw new ConfigError(`${where}.multiplier: must be a number >= 1`);
  const initialMs = nonNegInt(b.initialMs ?? 1000, `${where}.initialMs`) as number;
  const maxMs = nonNegInt(b.maxMs ?? 3_600_000, `${where}.maxMs`) as number;
  return { initialMs, multiplier, maxMs } satisfies Backoff;
};

const CHECKS: Record<keyof DestinationPolicy, Check> = {
  persistent: bool, maxDeliveries: nonNegInt, backoff, deadLetter: queueName, ackTimeoutMs: nonNegInt,
  expired: oneOf('drop', 'dead-letter'), maxLength: nonNegInt, maxBytes: nonNegInt,
  overflow: oneOf('reject', 'drop-head'), maxMemory: nonNegInt, fanout: queueList,
};

/** Validates a parsed configuration object. */
export function parseConfig(raw: unknown, source = 'config'): BrokerFileConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: must be a JSON object`);
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (key !== 'destinations' && key !== '$comment') throw keyError(`${source}: unknown key '${key}'`, key);
  }
  const dests = top.destinations ?? {};
  if (typeof dests !== 'object' || dests === null || Array.isArray(dests)) {
    throw keyError(`${source}.destinations: must be an object of pattern → settings`, 'destinations');
  }
  const destinations = Object.entries(dests as Record<string, unknown>).map(([pattern, settings]) => {
    const where = `${source}.destinations["${pattern}"]`;
    if (typeof settings !== 'object' || settings === null) throw keyError(`${where}: must be an object`, 'destinations', pattern);
    const policy: Partial<DestinationPolicy> = {};
    for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
      if (key === '$comment') continue;
      const check = CHECKS[key as keyof DestinationPolicy];
      if (!check) throw keyError(`${where}.${key}: unknown setting`, 'destinations', pattern, key);
      try {
        (policy as Record<string, unknown>)[key] = check(value, `${where}.${key}`);
      } catch (err) {
        if (err instanceof ConfigError) err.keys = ['destinations', pattern, key];
        throw err;
      }
    }
    return { pattern, policy };
  });
  return { destinations };
}

/** Reads and validates a configuration file; errors name the file, the line and the problem. */
export function loadConfigFile(file: string): BrokerFileConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const line = at ? lineAt(text, Number(at[1])) : /end of JSON input/.test(message) ? lineAt(text, text.length) : 0;
    throw new ConfigError(`${file}${line ? `:${line}` : ''}: not valid JSON: ${message}`);
  }
  try {
    return parseConfig(raw, file);
  } catch (err) {
    const line = err instanceof ConfigError ? lineOfKeys(text, err.keys) : 0;
    if (!line) throw err;
    throw new ConfigError(`${file}:${line}: ${(err as Error).message.slice(file.length).replace(/^(\.|: )/, '')}`);
  }
}

/** The line (1-based) of character `index` of `text`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The line of the last of `keys`, found as each key in turn (`"key":`) after the one before it; 0 when
 * one is not found (a key written with escapes).
 */
function lineOfKeys(text: string, keys: string[]): number {
  let from = 0;
  for (const key of keys) {
    const re = new RegExp(`${escapeRegExp(JSON.stringify(key))}\\s*:`, 'g');
    re.lastIndex = from;
    const m = re.exec(text);
    if (!m) return 0;
    from = m.index;
  }
  return keys.length > 0 ? lineAt(text, from) : 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The policy of `dest`: defaults, overridden by every matching pattern in file order. */
export function policyFor(config: BrokerFileConfig, dest: string): DestinationPolicy {
  let policy = DEFAULT_POLICY;
  for (const entry of config.destinations) {
    if (globMatches(entry.pattern, dest)) policy = { ...policy, ...entry.policy };
  }
  return policy;
}

/** Prefix of the default dead-letter queues (ActiveMQ's naming). */
const DEAD_LETTER_PREFIX = '/queue/DLQ.';

/** Where `queue`'s dead letters go. */
export function deadLetterQueue(policy: DestinationPolicy, queue: string): string {
  if (policy.deadLetter) return policy.deadLetter;
  const name = queue.startsWith('/queue/') ? queue.slice('/queue/'.length) : queue.replace(/^\/+/, '');
  return DEAD_LETTER_PREFIX + name;
}

/** Whether `queue` is a dead-letter queue by name: its own dead letters stay where they are. */
export function isDeadLetterQueue(queue: string): boolean {
  return queue.startsWith(DEAD_LETTER_PREFIX);
}

/** Delay before redelivery number `failures` (1 = first failure) under `backoff`. */
export function backoffDelay(backoff: Backoff | null, failures: number): number {
  if (!backoff || failures < 1) return 0;
  return Math.min(backoff.maxMs, Math.round(backoff.initialMs * backoff.multiplier ** (failures - 1)));
}
