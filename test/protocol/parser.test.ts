import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, FrameParser, type ParserLimits } from '../../src/protocol/parser.js';
import type { StompError, StompErrorCode } from '../../src/protocol/errors.js';
import type { Frame, Headers, StompVersion } from '../../src/protocol/frame.js';

interface Options {
  version?: StompVersion;
  limits?: Partial<ParserLimits>;
  /** Called on each frame before it is recorded, with the parser (e.g. to switch version). */
  onFrame?: (frame: Frame, parser: FrameParser) => void;
}

interface Outcome {
  frames: Frame[];
  errors: StompError[];
  /** Frames that arrived after the first error (must stay empty). */
  late: Frame[];
}

function run(chunks: Buffer[], opts: Options = {}): Outcome {
  const out: Outcome = { frames: [], errors: [], late: [] };
  const parser: FrameParser = new FrameParser(
    (f) => {
      opts.onFrame?.(f, parser);
      (out.errors.length > 0 ? out.late : out.frames).push(f);
    },
    (e) => out.errors.push(e),
    opts.limits,
  );
  if (opts.version) parser.version = opts.version;
  for (const c of chunks) parser.push(c);
  return out;
}

/** Every way the tests feed an input: whole, one byte at a time, and split in two at each offset. */
function feedings(input: Buffer): [string, Buffer[]][] {
  const ways: [string, Buffer[]][] = [['whole', [input]]];
  ways.push(['bytewise', [...input].map((b) => Buffer.from([b]))]);
  for (let i = 1; i < input.length; i++) {
    ways.push([`split@${i}`, [input.subarray(0, i), input.subarray(i)]]);
  }
  return ways;
}

type Expected = { command: string; headers: Headers; body: string | Buffer };

function toBuf(input: string | Buffer): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
}

/** Asserts `input` parses to `expected` however it is chunked. */
function assertParses(input: string | Buffer, expected: Expected[], opts: Options = {}): void {
  const want = expected.map((f) => ({ ...f, body: toBuf(f.body) }));
  for (const [how, chunks] of feedings(toBuf(input))) {
    const got = run(chunks, opts);
    assert.deepEqual(got.errors, [], how);
    assert.deepEqual(got.frames.map((f) => ({ ...f })), want, how);
  }
}

/** Asserts `input` yields `framesBefore` frames, then exactly one `code` error, however chunked. */
function assertFails(input: string | Buffer, code: StompErrorCode, opts: Options = {}, framesBefore = 0): void {
  for (const [how, chunks] of feedings(toBuf(input))) {
    const got = run(chunks, opts);
    assert.equal(got.errors.length, 1, how);
    assert.equal(got.errors[0].code, code, how);
    assert.equal(got.frames.length, framesBefore, how);
    assert.deepEqual(got.late, [], how);
  }
}

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

// A frame is a command line, header lines, a blank line, the body and a NUL.
test('simple frame', () => {
  assertParses('SEND\ndestination:/queue/a\nreceipt:1\n\nhello\0', [
    { command: 'SEND', headers: { destination: '/queue/a', receipt: '1' }, body: 'hello' },
  ]);
});

// A frame with no headers and no body is still a frame.
test('empty frame', () => {
  assertParses('DISCONNECT\n\n\0', [{ command: 'DISCONNECT', headers: {}, body: '' }]);
});

// Many frames may arrive in one chunk; each is emitted in order.
test('several frames in one chunk', () => {
  assertParses('SEND\na:1\n\nx\0SEND\na:2\n\ny\0ACK\nid:3\n\n\0', [
    { command: 'SEND', headers: { a: '1' }, body: 'x' },
    { command: 'SEND', headers: { a: '2' }, body: 'y' },
    { command: 'ACK', headers: { id: '3' }, body: '' },
  ]);
});

// EOLs (LF or CR LF) before and between frames are heart-beats and are skipped.
test('heart-beat EOLs between frames', () => {
  assertParses('\n\r\n\nSEND\n\na\0\n\n\r\n\nSEND\n\nb\0\n', [
    { command: 'SEND', headers: {}, body: 'a' },
    { command: 'SEND', headers: {}, body: 'b' },
  ]);
});

// A stray CR between frames is skipped too.
test('stray CR between frames', () => {
  assertParses('\rSEND\n\na\0\r\rSEND\n\nb\0', [
    { command: 'SEND', headers: {}, body: 'a' },
    { command: 'SEND', headers: {}, body: 'b' },
  ]);
});

// Heart-beats alone emit nothing and leave nothing buffered.
test('heart-beats alone', () => {
  const got = run([Buffer.from('\n\r\n\n')]);
  assert.deepEqual(got.frames, []);
  assert.deepEqual(got.errors, []);
  const parser = new FrameParser(() => assert.fail('no frame'), () => assert.fail('no error'));
  parser.push(Buffer.from('\r\n\n\n'));
  assert.equal(parser.buffered, 0);
});

// Lines may end in CR LF (in every version); the CR is not part of the line.
test('CRLF lines', () => {
  for (const version of ['1.0', '1.1', '1.2'] as const) {
    assertParses('SEND\r\ndestination:/queue/a\r\nx:\r\n\r\nbody\0', [
      { command: 'SEND', headers: { destination: '/queue/a', x: '' }, body: 'body' },
    ], { version });
  }
});

// With content-length the body is exactly that many bytes, NUL bytes included.
test('content-length body with NUL bytes inside', () => {
  const body = Buffer.from([0, 1, 0, 0xff, 0x0a, 0]);
  const input = Buffer.concat([Buffer.from('SEND\ncontent-length:6\n\n'), body, Buffer.from([0])]);
  assertParses(input, [{ command: 'SEND', headers: { 'content-length': '6' }, body }]);
});

// content-length 0 means an empty body followed directly by the NUL.
test('content-length zero', () => {
  assertParses('SEND\ncontent-length:0\n\n\0SEND\n\nz\0', [
    { command: 'SEND', headers: { 'content-length': '0' }, body: '' },
    { command: 'SEND', headers: {}, body: 'z' },
  ]);
});

// Without content-length the body runs to the first NUL.
test('body to NUL', () => {
  assertParses('SEND\n\nline1\nline2\r\n\0MESSAGE\n\n\0', [
    { command: 'SEND', headers: {}, body: 'line1\nline2\r\n' },
    { command: 'MESSAGE', headers: {}, body: '' },
  ]);
});

// Bodies are bytes: non-text bytes come through unchanged.
test('binary body to NUL', () => {
  const body = Buffer.from([0xff, 0xfe, 0x80, 0x0d, 0x0a, 0x01]);
  const input = Buffer.concat([Buffer.from('SEND\n\n'), body, Buffer.from([0])]);
  assertParses(input, [{ command: 'SEND', headers: {}, body }]);
});

// A body inside one chunk is a view into that chunk, not a copy.
test('body inside one chunk is not copied', () => {
  const chunk = Buffer.from('SEND\n\nzero-copy\0SEND\ncontent-length:3\n\nabc\0');
  const got = run([chunk]);
  assert.equal(got.frames.length, 2);
  chunk.fill('Z');
  assert.deepEqual(got.frames.map((f) => f.body.toString()), ['ZZZZZZZZZ', 'ZZZ']);
});

// Repeated header names: the first occurrence wins, later ones are dropped.
test('repeated header: first wins', () => {
  assertParses('MESSAGE\nfoo:World\nfoo:Hello\nbar:1\n\n\0', [
    { command: 'MESSAGE', headers: { foo: 'World', bar: '1' }, body: '' },
  ]);
});

// A repeated content-length is ignored like any repeated header: the first decides the body.
test('repeated content-length: first wins', () => {
  assertParses('SEND\ncontent-length:2\ncontent-length:5\n\na\0\0', [
    { command: 'SEND', headers: { 'content-length': '2' }, body: 'a\0' },
  ]);
});

// A header is split at its FIRST colon: later colons belong to the value.
test('colon in value', () => {
  assertParses('SEND\nurl:http://h:80/x\nempty:\n\n\0', [
    { command: 'SEND', headers: { url: 'http://h:80/x', empty: '' }, body: '' },
  ], { version: '1.0' });
});

// Header names that are Object.prototype members are ordinary headers.
test('prototype-member names are ordinary headers', () => {
  assertParses('SEND\nconstructor:c\ntoString:t\n\n\0', [
    { command: 'SEND', headers: { constructor: 'c', toString: 't' }, body: '' },
  ]);
});

// A header named __proto__ is dropped rather than replacing the headers object's prototype.
test('__proto__ header is dropped', () => {
  const got = run([Buffer.from('SEND\n__proto__:x\na:1\n\n\0')]);
  assert.equal(got.frames.length, 1);
  const headers = got.frames[0].headers;
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
  assert.deepEqual(Object.keys(headers), ['a']);
});

// Header bytes are UTF-8, even when a character is split between chunks.
test('UTF-8 headers', () => {
  assertParses(utf8('SEND\ndestination:/queue/café€\nnäme:✓\n\n\0'), [
    { command: 'SEND', headers: { destination: '/queue/café€', 'näme': '✓' }, body: '' },
  ]);
});

// 1.0 has no escaping: backslashes stay as they are, undefined sequences included.
test('escapes: 1.0 raw', () => {
  assertParses('SEND\na:x\\ny\\cz\\t\n\n\0', [
    { command: 'SEND', headers: { a: 'x\\ny\\cz\\t' }, body: '' },
  ], { version: '1.0' });
});

// 1.1 unescapes \\, \n and \c in names and values (\r is 1.2's only).
test('escapes: 1.1', () => {
  assertParses('SEND\na\\cb:x\\ny\\cz\\\\w\n\n\0', [
    { command: 'SEND', headers: { 'a:b': 'x\ny:z\\w' }, body: '' },
  ], { version: '1.1' });
});

// 1.2 unescapes \\, \n, \c and \r.
test('escapes: 1.2', () => {
  assertParses('MESSAGE\nk\\n:\\r\\n\\c\\\\\n\n\0', [
    { command: 'MESSAGE', headers: { 'k\n': '\r\n:\\' }, body: '' },
  ], { version: '1.2' });
});

// CONNECT and STOMP headers are never unescaped, whatever the version.
test('CONNECT and STOMP never unescaped', () => {
  assertParses('CONNECT\nlogin:a\\nb\npasscode:p\\t\n\n\0STOMP\nhost:h\\c1\n\n\0', [
    { command: 'CONNECT', headers: { login: 'a\\nb', passcode: 'p\\t' }, body: '' },
    { command: 'STOMP', headers: { host: 'h\\c1' }, body: '' },
  ], { version: '1.2' });
});

// The version the session sets while handling a frame applies to the very next frame.
test('version switch takes effect on the next frame', () => {
  assertParses('CONNECT\naccept-version:1.2\n\n\0SEND\nd:a\\cb\n\n\0', [
    { command: 'CONNECT', headers: { 'accept-version': '1.2' }, body: '' },
    { command: 'SEND', headers: { d: 'a:b' }, body: '' },
  ], { onFrame: (f, p) => { if (f.command === 'CONNECT') p.version = '1.2'; } });
});

// Any non-empty command line parses; rejecting unknown commands is the caller's job.
test('unknown command parses', () => {
  assertParses('FROB\nx:y\n\n\0', [{ command: 'FROB', headers: { x: 'y' }, body: '' }]);
});

// A header line without a colon is malformed.
test('error: header without colon', () => {
  assertFails('SEND\nnocolon\n\n\0', 'BAD_FRAME');
});

// A header with an empty name is malformed.
test('error: empty header name', () => {
  assertFails('SEND\n:value\n\n\0', 'BAD_FRAME');
});

// An escape sequence the version does not define is an error, naming the header.
test('error: undefined escape', () => {
  assertFails('SEND\nfoo:a\\tb\n\n\0', 'BAD_ESCAPE', { version: '1.2' });
  assertFails('SEND\nfoo:ab\\\n\n\0', 'BAD_ESCAPE', { version: '1.1' });
  assertFails('SEND\nfoo:a\\rb\n\n\0', 'BAD_ESCAPE', { version: '1.1' }); // \r is 1.2's only
  const got = run([Buffer.from('SEND\nmy-header:a\\tb\n\n\0')], { version: '1.2' });
  assert.match(got.errors[0].detail, /my-header/);
  assert.equal(got.errors[0].message, 'Bad escape sequence');
});

// A NUL octet in a header would end the MESSAGE frame early for every consumer's parser: refused.
test('error: NUL in a header', () => {
  assertFails('SEND\ndestination:/queue/a\nk:a\0b\n\npoison\0', 'BAD_FRAME');
  assertFails('SEND\nk\0:v\n\n\0', 'BAD_FRAME');
  const got = run([Buffer.from('SEND\nk:a\0b\n\n\0')]);
  assert.equal(got.errors[0].message, 'Malformed header');
});

// A failing frame is reported with what was read of it, so its ERROR can name its receipt.
test('error: the frame being read is passed along, with its headers so far', () => {
  const partials: (Frame | undefined)[] = [];
  const parser = new FrameParser(() => assert.fail('no frame'), (_e, partial) => partials.push(partial));
  parser.version = '1.2';
  parser.push(Buffer.from('SEND\nreceipt:r-7\nfoo:a\\tb\n\n\0'));
  assert.equal(partials.length, 1);
  assert.equal(partials[0]?.command, 'SEND');
  assert.equal(partials[0]?.headers.receipt, 'r-7');
  // The receipt may come after the bad line: what is buffered of the header block is searched for it,
  // up to the blank line (a body line that looks like a header is not one), unescaped per version.
  const receiptOf = (input: string): string | undefined => {
    const seen: (Frame | undefined)[] = [];
    const p = new FrameParser(() => assert.fail('no frame'), (_e, partial) => seen.push(partial));
    p.version = '1.2';
    p.push(Buffer.from(input));
    assert.equal(seen.length, 1);
    return seen[0]?.headers.receipt;
  };
  assert.equal(receiptOf('SEND\nfoo:a\\tb\nx:1\nreceipt:r-after\n\n\0'), 'r-after');
  assert.equal(receiptOf('SEND\r\nbad line\r\nreceipt:r\\c1\r\n\r\n\0'), 'r:1');
  assert.equal(receiptOf('SEND\nfoo:a\\tb\n\nreceipt:in-body\n\0'), undefined);
  assert.equal(receiptOf('SEND\nreceipt:first\nfoo:a\\tb\nreceipt:second\n\n\0'), 'first');
  assert.equal(receiptOf('SEND\nfoo:a\\tb\nreceipt:not-a-whole-li'), undefined);
  // Nothing of a frame read yet (a command line too long): no frame to name.
  const none: (Frame | undefined)[] = [];
  const short = new FrameParser(() => assert.fail('no frame'), (_e, partial) => none.push(partial), { maxHeaderLineLength: 8 });
  short.push(Buffer.from('SENDSENDSENDSEND\n'));
  assert.deepEqual(none, [undefined]);
});

// content-length must be a non-negative decimal integer, nothing else.
test('error: content-length not a number', () => {
  for (const bad of ['abc', '-1', '1.5', ' 5', '5 ', '', '0x5', '+5']) {
    assertFails(`SEND\ncontent-length:${bad}\n\nhello\0`, 'BAD_CONTENT_LENGTH');
  }
});

// The byte right after content-length bytes must be the NUL.
test('error: lying content-length', () => {
  assertFails('SEND\ncontent-length:2\n\nabc\0', 'BAD_CONTENT_LENGTH');
  assertFails('SEND\ncontent-length:4\n\nab\0cd\0', 'BAD_CONTENT_LENGTH');
});

/** Bytes the parser counts for a frame: command and header lines with EOLs, then the body. */
const SIZED = 'SEND\ncontent-length:10\n\n0123456789\0';
const SIZED_BYTES = SIZED.length - 1;
const SIZED_NO_LENGTH = 'SEND\nx:y\n\n0123456789\0';
const SIZED_NO_LENGTH_BYTES = SIZED_NO_LENGTH.length - 1;

// A frame exactly at maxFrameSize is accepted.
test('frame at the size limit parses', () => {
  assertParses(SIZED, [{ command: 'SEND', headers: { 'content-length': '10' }, body: '0123456789' }],
    { limits: { maxFrameSize: SIZED_BYTES } });
  assertParses(SIZED_NO_LENGTH, [{ command: 'SEND', headers: { x: 'y' }, body: '0123456789' }],
    { limits: { maxFrameSize: SIZED_NO_LENGTH_BYTES } });
});

// A frame one byte over maxFrameSize is refused, with or without content-length.
test('error: frame too large', () => {
  assertFails(SIZED, 'FRAME_TOO_LARGE', { limits: { maxFrameSize: SIZED_BYTES - 1 } });
  assertFails(SIZED_NO_LENGTH, 'FRAME_TOO_LARGE', { limits: { maxFrameSize: SIZED_NO_LENGTH_BYTES - 1 } });
  const got = run([Buffer.from(SIZED)], { limits: { maxFrameSize: 20 } });
  assert.equal(got.errors[0].message, 'Frame too large');
  assert.match(got.errors[0].detail, /\b20\b/);
});

// A content-length over the limit is refused as soon as the headers end, before any body byte.
test('error: frame too large by content-length, immediately', () => {
  const got = run([Buffer.from('SEND\ncontent-length:1000000\n\n')], { limits: { maxFrameSize: 1000 } });
  assert.equal(got.errors.length, 1);
  assert.equal(got.errors[0].code, 'FRAME_TOO_LARGE');
});

// A body with no NUL in sight is refused once it passes the limit, without buffering the rest.
test('error: frame too large without content-length, without buffering everything', () => {
  const limit = 1000;
  let errors = 0;
  const parser = new FrameParser(() => assert.fail('no frame'), () => errors++, { maxFrameSize: limit });
  parser.push(Buffer.from('SEND\n\n'));
  let pushed = 0;
  while (errors === 0 && pushed < 100 * limit) {
    parser.push(Buffer.alloc(100, 'x'));
    pushed += 100;
    assert.ok(parser.buffered <= limit + 100, `buffered ${parser.buffered}`);
  }
  assert.equal(errors, 1);
  assert.ok(pushed <= limit + 100, `error only after ${pushed} bytes`);
  assert.equal(parser.buffered, 0);
});

// Header lines without an end in sight count towards the frame limit too.
test('error: frame too large in the headers', () => {
  const headers = 'SEND\n' + 'h:0123456789\n'.repeat(20);
  assertFails(headers + '\n\0', 'FRAME_TOO_LARGE', { limits: { maxFrameSize: 100 } });
  // The line that passes the limit stops parsing: a malformed line after it is never read.
  assertFails(headers + 'nocolon\n\n\0', 'FRAME_TOO_LARGE', { limits: { maxFrameSize: 100 } });
  // Refused before the header block ends, and before a long unfinished line ends.
  for (const partial of [headers, 'SEND\nh:' + 'x'.repeat(200)]) {
    const got = run([Buffer.from(partial)], { limits: { maxFrameSize: 100 } });
    assert.deepEqual(got.errors.map((e) => e.code), ['FRAME_TOO_LARGE']);
  }
});

// At most maxHeaderLines header lines are accepted.
test('error: too many headers', () => {
  const frame = (n: number) => 'SEND\n' + Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('') + '\n\0';
  assertParses(frame(3), [{ command: 'SEND', headers: { h0: 'v', h1: 'v', h2: 'v' }, body: '' }],
    { limits: { maxHeaderLines: 3 } });
  assertFails(frame(4), 'TOO_MANY_HEADERS', { limits: { maxHeaderLines: 3 } });
});

// A header line may be at most maxHeaderLineLength bytes, not counting its EOL.
test('error: header line too long', () => {
  const limits = { maxHeaderLineLength: 10 };
  assertParses('SEND\nabcde:1234\r\n\n\0', [{ command: 'SEND', headers: { abcde: '1234' }, body: '' }], { limits });
  assertFails('SEND\nabcde:12345\n\n\0', 'HEADER_TOO_LONG', { limits });
  assertFails('SEND\nabcde:12345\r\n\n\0', 'HEADER_TOO_LONG', { limits });
});

// A command line longer than the line limit is refused too.
test('error: command line too long', () => {
  assertFails('ABCDEFGHIJK\n\n\0', 'HEADER_TOO_LONG', { limits: { maxHeaderLineLength: 10 } });
});

// An over-long line is refused before its LF arrives.
test('error: header line too long without its end', () => {
  const got = run([Buffer.from('SEND\nh:' + 'x'.repeat(100))], { limits: { maxHeaderLineLength: 50 } });
  assert.equal(got.errors.length, 1);
  assert.equal(got.errors[0].code, 'HEADER_TOO_LONG');
});

// Frames complete before an error are delivered; nothing after it is.
test('frames before an error are kept, none after', () => {
  assertFails('SEND\n\nok\0SEND\nbroken\n\n\0SEND\n\nlate\0', 'BAD_FRAME', {}, 1);
});

// After an error, further input is ignored and onError is not called again.
test('nothing emitted after an error', () => {
  let errors = 0;
  let frames = 0;
  const parser = new FrameParser(() => frames++, () => errors++);
  parser.push(Buffer.from('SEND\nbad\n\n\0'));
  parser.push(Buffer.from('SEND\n\nx\0'));
  parser.push(Buffer.from('also bad\n\n\0'));
  assert.equal(errors, 1);
  assert.equal(frames, 0);
  assert.equal(parser.buffered, 0);
});

// buffered reports the bytes of an incomplete frame.
test('buffered counts the held bytes', () => {
  const parser = new FrameParser(() => {}, () => assert.fail('no error'));
  parser.push(Buffer.from('SEND\n\nabc'));
  assert.equal(parser.buffered, 3);
  parser.push(Buffer.from('de'));
  assert.equal(parser.buffered, 5);
  parser.push(Buffer.from('\0SE'));
  assert.equal(parser.buffered, 2);
});

// Limits passed to the constructor override the defaults one by one.
test('limits default per field', () => {
  const parser = new FrameParser(() => {}, () => {}, { maxHeaderLines: 5 });
  assert.deepEqual(parser.limits, { ...DEFAULT_LIMITS, maxHeaderLines: 5 });
  assert.equal(parser.version, '1.0');
});

// Byte-at-a-time input costs linear time: scans resume where they stopped. The loop yields now and
// then so that the test timeout can interrupt a quadratic parser.
test('byte-at-a-time large frame is linear', { timeout: 10_000 }, async () => {
  const size = 512 * 1024;
  const head = Buffer.from('SEND\nh:' + 'v'.repeat(60_000) + '\n\n');
  const input = Buffer.concat([head, Buffer.alloc(size, 'b'), Buffer.from([0])]);
  let body: Buffer | undefined;
  const parser = new FrameParser((f) => (body = f.body), (e) => assert.fail(e.message));
  for (let i = 0; i < input.length; i++) {
    parser.push(input.subarray(i, i + 1));
    if (i % 4096 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(body?.length, size);
  assert.equal(parser.buffered, 0);
});
