/**
 * Mutation operators: each turns one valid frame into bytes that may or may not still be a valid
 * frame (bit flips, truncation, duplication, header mangling, huge lengths, bad escapes, unknown
 * commands, random bytes …). Which operator made a frame is recorded with its outcome.
 */
import type { StompVersion } from '../../src/protocol/frame.js';
import type { CorpusFrame } from './corpus.js';
import type { Random } from './random.js';
import { encode, type ClientFrame, type HeaderPair } from './wire.js';

/** What a mutation needs: the frame, its version, the corpus for splicing and replays. */
export interface MutationInput {
  frame: ClientFrame;
  version: StompVersion;
  corpus: readonly CorpusFrame[];
  rnd: Random;
}

type Operator = (m: MutationInput) => Buffer;

/** Bytes that matter to the grammar. */
const INTERESTING_BYTES = [0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0xff, 0x80, 0xc0, 0x20];
/** Header values that stress the broker's header parsing. */
const INTERESTING_VALUES = ['', '-1', '0', '+5', ' 7 ', '1e3', '0x10', 'NaN', '99999999999999999999',
  '18446744073709551616', 'true', 'false', 'TRUE', 'maybe', 'a,b', '1,2,3', ',', 'client-individual ',
  '/queue/', '/topic/', '/topic/a..b', '/topic/#.#.#', '/topic/' + 'x.'.repeat(200), '/queue/' + 'q'.repeat(1100),
  'é', '\u0000', '✓✓✓', '__proto__', 'constructor', '1.0,1.1,1.2,2.0', '9', '10'];
/** Commands that are not client commands, or almost. */
const BAD_COMMANDS = ['send', 'SEND ', ' SEND', 'SENDX', 'MESSAGE', 'CONNECTED', 'RECEIPT', 'ERROR', 'HELLO',
  'STOMP\r\r', '\u00e9', 'ACK\0', 'X'.repeat(70_000), 'CONNECT ', '', '\t'];
/** Headers whose values the broker interprets. */
const INTERPRETED = ['destination', 'id', 'ack', 'receipt', 'transaction', 'content-length', 'persistent',
  'priority', 'delay', 'AMQ_SCHEDULED_DELAY', 'expires', 'expiration', 'prefetch-count', 'activemq.prefetchSize',
  'retry-after', 'requeue', 'ack-timeout', 'heart-beat', 'accept-version', 'message-id', 'subscription',
  'durable', 'auto-delete', 'activemq.subscriptionName'];

function flipBits({ frame, version, rnd }: MutationInput): Buffer {
  const b = Buffer.from(encode(frame, version));
  for (let i = rnd.int(1, 8); i > 0; i--) b[rnd.int(0, b.length - 1)] ^= 1 << rnd.int(0, 7);
  return b;
}

function setBytes({ frame, version, rnd }: MutationInput): Buffer {
  const b = Buffer.from(encode(frame, version));
  for (let i = rnd.int(1, 4); i > 0; i--) b[rnd.int(0, b.length - 1)] = rnd.pick(INTERESTING_BYTES);
  return b;
}

/** The frame cut short: the rest never comes. */
function truncate({ frame, version, rnd }: MutationInput): Buffer {
  const b = encode(frame, version);
  return b.subarray(0, rnd.int(1, b.length - 1));
}

/** The frame cut short and followed at once by another valid frame. */
function truncateSplice(m: MutationInput): Buffer {
  return Buffer.concat([truncate(m), m.rnd.pick(m.corpus).bytes]);
}

/** The frame without its NUL: whatever comes next becomes its body. */
function dropNul({ frame, version }: MutationInput): Buffer {
  const b = encode(frame, version);
  return b.subarray(0, b.length - 1);
}

function duplicateFrame({ frame, version }: MutationInput): Buffer {
  const b = encode(frame, version);
  return Buffer.concat([b, b]);
}

function duplicateSlice({ frame, version, rnd }: MutationInput): Buffer {
  const b = encode(frame, version);
  const from = rnd.int(0, b.length - 1);
  const to = rnd.int(from, Math.min(b.length, from + 64));
  return Buffer.concat([b.subarray(0, to), b.subarray(from, to), b.subarray(to)]);
}

/** Head of one frame, tail of another. */
function splice({ frame, version, corpus, rnd }: MutationInput): Buffer {
  const a = encode(frame, version);
  const b = rnd.pick(corpus).bytes;
  return Buffer.concat([a.subarray(0, rnd.int(0, a.length)), b.subarray(rnd.int(0, b.length - 1))]);
}

function withHeaders(m: MutationInput, edit: (headers: HeaderPair[]) => HeaderPair[]): Buffer {
  return encode({ ...m.frame, headers: edit([...m.frame.headers]) }, m.version);
}

function dropHeader(m: MutationInput): Buffer {
  return withHeaders(m, (h) => (h.length === 0 ? h : h.filter((_, i) => i !== m.rnd.int(0, h.length - 1))));
}

/** A header repeated with another value (the first must win), in front or behind. */
function repeatHeader(m: MutationInput): Buffer {
  return withHeaders(m, (h) => {
    const name = h.length > 0 && m.rnd.chance(0.7) ? m.rnd.pick(h)[0] : m.rnd.pick(INTERPRETED);
    const pair: HeaderPair = [name, m.rnd.pick(INTERESTING_VALUES)];
    return m.rnd.chance(0.5) ? [...h, pair] : [pair, ...h];
  });
}

/** An interpreted header set to a value that stresses its parsing. */
function badValue(m: MutationInput): Buffer {
  return withHeaders(m, (h) => {
    const name = h.length > 0 && m.rnd.chance(0.6) ? m.rnd.pick(h)[0] : m.rnd.pick(INTERPRETED);
    return [[name, m.rnd.pick(INTERESTING_VALUES)], ...h.filter(([n]) => n !== name)];
  });
}

/** Header lines no grammar allows: no colon, empty name, NUL or invalid UTF-8 inside. */
function badHeaderLine({ frame, version, rnd }: MutationInput): Buffer {
  const b = encode(frame, version);
  const lf = b.indexOf(0x0a);
  const line = rnd.pick(['nocolon', ':empty-name', 'a\0b:c', 'k:v\0', '\xc3\x28:\xa0\xa1', ' : ', 'k:\r\r', '\\', '\r']);
  return Buffer.concat([b.subarray(0, lf + 1), Buffer.from(line + '\n', 'latin1'), b.subarray(lf + 1)]);
}

/** An escape sequence 1.1/1.2 do not define (`\t`, a lone backslash at the end …). */
function badEscape(m: MutationInput): Buffer {
  const seq = m.rnd.pick(['\\t', '\\', '\\x41', '\\C', '\\\\\\', '\\0', '\\ ']);
  const head = `${m.frame.command}\n${m.rnd.chance(0.5) ? `x-esc:a${seq}` : `x${seq}:v`}\n`;
  const rest = encode(m.frame, m.version);
  return Buffer.concat([Buffer.from(head, 'latin1'), rest.subarray(rest.indexOf(0x0a) + 1)]);
}

/** content-length huge, negative, malformed, too short or too long for the body. */
function badLength(m: MutationInput): Buffer {
  const n = m.frame.body.length;
  const value = m.rnd.pick([String(2 ** 31), String(2 ** 53), '1e30', String(8 * 1024 * 1024 + 1), String(n + m.rnd.int(1, 5000)),
    String(Math.max(0, n - m.rnd.int(1, 10))), '-1', '+5', ' 5', '0x10', '', 'abc', '00000000000000000005']);
  return withHeaders(m, (h) => [['content-length', value], ...h.filter(([k]) => k !== 'content-length')]);
}

function unknownCommand(m: MutationInput): Buffer {
  const command = m.rnd.chance(0.8) ? m.rnd.pick(BAD_COMMANDS) : m.rnd.word(1, 12).toUpperCase();
  return encode({ ...m.frame, command }, m.version);
}

function randomBytes({ rnd }: MutationInput): Buffer {
  return rnd.bytes(rnd.chance(0.9) ? rnd.int(1, 256) : rnd.int(257, 8192));
}

/** More header lines than the broker allows (1000). */
function manyHeaders(m: MutationInput): Buffer {
  const extra: HeaderPair[] = [];
  for (let i = m.rnd.int(990, 1100); i > 0; i--) extra.push([`h${i}`, 'v']);
  return withHeaders(m, (h) => [...h, ...extra]);
}

/** One header line longer than the broker allows (64 KiB). */
function longLine(m: MutationInput): Buffer {
  return withHeaders(m, (h) => [...h, ['x-long', 'L'.repeat(m.rnd.int(65_000, 70_000))]]);
}

/** A body larger than the largest frame (8 MiB), with or without content-length. */
function hugeBody(m: MutationInput): Buffer {
  const body = Buffer.alloc(8 * 1024 * 1024 + m.rnd.int(1, 100), 0x61);
  return encode({ ...m.frame, body }, m.version, m.rnd.chance(0.5));
}

/** LF line ends as CR LF (still valid), or as lone CRs (not). */
function lineEnds({ frame, version, rnd }: MutationInput): Buffer {
  const b = encode(frame, version);
  const bodyAt = b.indexOf('\n\n') + 2;
  const head = b.subarray(0, bodyAt).toString('latin1').replace(/\n/g, rnd.chance(0.7) ? '\r\n' : '\r');
  return Buffer.concat([Buffer.from(head, 'latin1'), b.subarray(bodyAt)]);
}

/** A valid frame of the same version from another session: stale ids, unknown transactions, CONNECT again. */
function replay({ version, corpus, rnd }: MutationInput): Buffer {
  const same = corpus.filter((c) => c.version === version);
  return rnd.pick(same.length > 0 ? same : corpus).bytes;
}

/** Every operator with its weight among mutated frames. */
export const OPERATORS: Record<string, { weight: number; apply: Operator }> = {
  'bit-flip': { weight: 12, apply: flipBits },
  'byte-set': { weight: 8, apply: setBytes },
  truncate: { weight: 5, apply: truncate },
  'truncate-splice': { weight: 4, apply: truncateSplice },
  'drop-nul': { weight: 2, apply: dropNul },
  'duplicate-frame': { weight: 5, apply: duplicateFrame },
  'duplicate-slice': { weight: 5, apply: duplicateSlice },
  splice: { weight: 5, apply: splice },
  'drop-header': { weight: 6, apply: dropHeader },
  'repeat-header': { weight: 6, apply: repeatHeader },
  'bad-value': { weight: 10, apply: badValue },
  'bad-header-line': { weight: 4, apply: badHeaderLine },
  'bad-escape': { weight: 4, apply: badEscape },
  'bad-length': { weight: 5, apply: badLength },
  'unknown-command': { weight: 4, apply: unknownCommand },
  'random-bytes': { weight: 4, apply: randomBytes },
  'many-headers': { weight: 1, apply: manyHeaders },
  'long-line': { weight: 1, apply: longLine },
  'huge-body': { weight: 0.1, apply: hugeBody },
  'line-ends': { weight: 3, apply: lineEnds },
  replay: { weight: 6, apply: replay },
};

const WEIGHTS = Object.fromEntries(Object.entries(OPERATORS).map(([k, v]) => [k, v.weight]));

/** Picks an operator and applies it; returns its name and the bytes to send. */
export function mutate(m: MutationInput): { operator: string; bytes: Buffer } {
  const operator = m.rnd.weighted(WEIGHTS);
  return { operator, bytes: OPERATORS[operator].apply(m) };
}
