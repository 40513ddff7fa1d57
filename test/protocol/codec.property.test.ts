/**
 * Property tests of the STOMP codec (FrameParser, serializeFrame, header escaping) with fast-check:
 * round trips of arbitrary frames per version, chunking invariance, and arbitrary bytes never
 * escaping FrameParser.push as an exception. Run counts are kept small so the file takes seconds;
 * FC_RUNS=<n> raises them for a deeper local run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeHeader, unescapeHeader } from '../../src/protocol/escape.js';
import type { StompError } from '../../src/protocol/errors.js';
import type { Frame, Headers, StompVersion } from '../../src/protocol/frame.js';
import { FrameParser, type ParserLimits } from '../../src/protocol/parser.js';
import { serializeFrame } from '../../src/protocol/writer.js';

const RUNS = Number(process.env.FC_RUNS ?? 150);

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const VERSIONS: StompVersion[] = ['1.0', '1.1', '1.2'];
/** Commands whose headers are escaped in 1.1 and 1.2. */
const ESCAPED_COMMANDS = ['SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT',
  'DISCONNECT', 'MESSAGE', 'RECEIPT', 'ERROR'];
/** Commands whose headers are never escaped, in any version (STOMP 1.2 "Value Encoding"). */
const RAW_COMMANDS = ['CONNECT', 'STOMP', 'CONNECTED'];

/** Characters that matter to the grammar or to escaping, generated far more often than by chance. */
const SPECIALS = ['\\', '\n', '\r', ':', 'c', 'n', 'r', 't', ' ', 'é', '✓', '😀'];

/**
 * One character: mostly grammar-relevant ones, else any grapheme (never a lone surrogate). Never a
 * NUL: the parser refuses one in a header (every client's parser would end the frame there).
 */
const char = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
).filter((c) => !c.includes('\0'));

/** Whether headers of `command` are escaped when spoken in `version`. */
function escapes(command: string, version: StompVersion): boolean {
  return version !== '1.0' && !RAW_COMMANDS.includes(command);
}

/**
 * Header names a frame can carry. Unescaped, a name has no LF (it would end the line) and no colon
 * (the first colon ends the name). `content-length` is the writer's own and `__proto__` is dropped
 * by the parser on purpose: both have properties of their own below.
 */
function headerName(escaped: boolean): fc.Arbitrary<string> {
  return fc.string({ unit: char, minLength: 1, maxLength: 12 })
    .filter((s) => (escaped || !/[\n:]/.test(s)) && s !== 'content-length' && s !== '__proto__');
}

/**
 * Header values a frame can carry: unescaped, no LF; a CR at the end of a line belongs to the EOL,
 * so only 1.2 (which escapes CR) can carry a value ending in CR.
 */
function headerValue(escaped: boolean, version: StompVersion): fc.Arbitrary<string> {
  return fc.string({ unit: char, maxLength: 24 })
    .filter((s) => (escaped || !s.includes('\n')) && (version === '1.2' && escaped || !s.endsWith('\r')));
}

/** Bodies with many NUL bytes (they force content-length). */
const body = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { maxLength: 200 })
  .map((bytes) => Buffer.from(bytes));

/** A frame `version` can carry, with distinct header names. */
function frameIn(version: StompVersion, commands = [...ESCAPED_COMMANDS, ...RAW_COMMANDS]): fc.Arbitrary<Frame> {
  return fc.constantFrom(...commands).chain((command) => {
    const escaped = escapes(command, version);
    const pair = fc.tuple(headerName(escaped), headerValue(escaped, version));
    return fc.record({
      command: fc.constant(command),
      headers: fc.uniqueArray(pair, { selector: ([name]) => name, maxLength: 6 })
        .map((pairs) => Object.fromEntries(pairs) as Headers),
      body,
    });
  });
}

const versionAndFrame = fc.constantFrom(...VERSIONS).chain((version) =>
  fc.tuple(fc.constant(version), frameIn(version)));

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Parsed {
  frames: Frame[];
  errors: StompError[];
  /** Frames emitted after the first error: must stay empty. */
  late: Frame[];
}

/** Feeds `chunks` to a fresh parser speaking `version`; collects what comes out. */
function parse(chunks: Buffer[], version: StompVersion, limits?: Partial<ParserLimits>): Parsed {
  const out: Parsed = { frames: [], errors: [], late: [] };
  const parser = new FrameParser(
    (f) => (out.errors.length > 0 ? out.late : out.frames).push({ ...f, body: Buffer.from(f.body) }),
    (e) => out.errors.push(e),
    limits,
  );
  parser.version = version;
  for (const chunk of chunks) parser.push(chunk);
  return out;
}

/** What the parser must give back for `frame`: its headers plus the true content-length where written. */
function expected(frame: Frame): Frame {
  const headers = { ...frame.headers };
  if (frame.body.length > 0 || frame.command === 'MESSAGE' || frame.command === 'ERROR') {
    headers['content-length'] = String(frame.body.length);
  }
  return { command: frame.command, headers, body: frame.body };
}

/** `input` split at each of `offsets` (sorted, deduplicated, inside the input). */
function splitAt(input: Buffer, offsets: number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < input.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    out.push(input.subarray(from, cut));
    from = cut;
  }
  out.push(input.subarray(from));
  return out;
}

/** Every feeding of `input` checked: whole, one byte at a time, and in two at each offset (or at random ones). */
function feedings(input: Buffer, randomCuts: number[][]): Buffer[][] {
  const ways: Buffer[][] = [[input], [...input].map((b) => Buffer.from([b]))];
  if (input.length <= 600) {
    for (let i = 1; i < input.length; i++) ways.push([input.subarray(0, i), input.subarray(i)]);
  } else {
    for (const cuts of randomCuts) ways.push(splitAt(input, cuts.map((c) => c % input.length)));
  }
  return ways;
}

/**
 * A frame's bytes built by hand from header pairs (repeats allowed), escaped the way the spec says for
 * `version` and `command`, with content-length where serializeFrame writes one: after the headers.
 */
function wireOf(command: string, pairs: [string, string][], payload: Buffer, version: StompVersion): Buffer {
  const encode = escapes(command, version) ? (s: string) => escapeHeader(s, version) : (s: string) => s;
  let head = command + '\n';
  for (const [name, value] of pairs) head += `${encode(name)}:${encode(value)}\n`;
  if (payload.length > 0 || command === 'MESSAGE' || command === 'ERROR') head += `content-length:${payload.length}\n`;
  return Buffer.concat([Buffer.from(head + '\n', 'utf8'), payload, Buffer.from([0])]);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

// serializeFrame → FrameParser gives the frame back, for escaped commands in every version.
test('round trip of escaped frames in 1.0, 1.1 and 1.2', () => {
  const arb = fc.constantFrom(...VERSIONS).chain((v) => fc.tuple(fc.constant(v), frameIn(v, ESCAPED_COMMANDS)));
  fc.assert(fc.property(arb, ([version, frame]) => {
    const got = parse([serializeFrame(frame, version)], version);
    assert.deepEqual(got.errors, []);
    assert.deepEqual(got.frames, [expected(frame)]);
  }), { numRuns: RUNS * 3 });
});

// The bytes serializeFrame writes are exactly the spec's escaping of each name and value.
test('serializeFrame escapes exactly per version', () => {
  const arb = fc.constantFrom(...VERSIONS).chain((v) => fc.tuple(fc.constant(v), frameIn(v, ESCAPED_COMMANDS)));
  fc.assert(fc.property(arb, ([version, frame]) => {
    const wire = serializeFrame(frame, version);
    assert.deepEqual(wire, wireOf(frame.command, Object.entries(frame.headers), frame.body, version));
  }), { numRuns: RUNS });
});

// CONNECT, STOMP and CONNECTED headers are never escaped, in any version: colons and backslashes in
// their values go through as they are (the writer and the parser share one list of raw commands).
test('round trip of CONNECT, STOMP and CONNECTED frames (never escaped)', () => {
  const arb = fc.constantFrom(...VERSIONS).chain((v) => fc.tuple(fc.constant(v), frameIn(v, RAW_COMMANDS)));
  fc.assert(fc.property(arb, ([version, frame]) => {
    const wire = serializeFrame(frame, version);
    const got = parse([wire], version);
    assert.deepEqual(got.errors, []);
    assert.deepEqual(got.frames, [expected(frame)], `wire: ${JSON.stringify(wire.toString('utf8'))}`);
  }), { numRuns: RUNS });
});

// Where nothing is escaped, an LF in a header cannot forge a header line: it is written as a space.
test('unescaped LF becomes a space, never a new header line', () => {
  const arb = fc.tuple(fc.constantFrom('1.0' as const, '1.1' as const, '1.2' as const),
    fc.string({ unit: char, minLength: 1, maxLength: 20 }));
  fc.assert(fc.property(arb, ([version, text]) => {
    const value = text.replace(/\r+$/, '') + '\nforged:1';
    const frame: Frame = { command: 'CONNECTED', headers: { version: value }, body: Buffer.alloc(0) };
    const got = parse([serializeFrame(frame, version)], version);
    assert.deepEqual(got.errors, []);
    assert.equal(got.frames.length, 1);
    assert.equal(got.frames[0].headers.forged, undefined);
    assert.equal(got.frames[0].headers.version, value.replace(/\n/g, ' '));
  }), { numRuns: RUNS });
});

// escapeHeader and unescapeHeader are inverses in 1.1 and 1.2, and the identity in 1.0.
test('escape then unescape is the identity', () => {
  fc.assert(fc.property(fc.constantFrom(...VERSIONS), fc.string({ unit: char, maxLength: 40 }), (version, text) => {
    const escaped = escapeHeader(text, version);
    assert.equal(unescapeHeader(escaped, version), text);
    if (version !== '1.0') assert.ok(!escaped.includes('\n') && !escaped.includes(':'));
    if (version === '1.2') assert.ok(!escaped.includes('\r'));
  }), { numRuns: RUNS * 2 });
});

// A stale or forged content-length is replaced by the true one, so NUL-laden bodies still parse.
test('binary bodies with NUL bytes and a forged content-length', () => {
  fc.assert(fc.property(versionAndFrame, fc.nat(1_000_000), ([version, frame], forged) => {
    const withLength = { ...frame, headers: { ...frame.headers, 'content-length': String(forged) } };
    const got = parse([serializeFrame(withLength, version)], version);
    assert.deepEqual(got.errors, []);
    assert.equal(got.frames.length, 1);
    assert.equal(got.frames[0].headers['content-length'], String(frame.body.length));
    assert.deepEqual(got.frames[0].body, frame.body);
  }), { numRuns: RUNS });
});

// STOMP 1.2 "Repeated Header Entries": the first occurrence of a name is the one that counts.
test('the first of repeated headers wins', () => {
  const arb = fc.constantFrom(...VERSIONS).chain((version) =>
    fc.constantFrom(...ESCAPED_COMMANDS, ...RAW_COMMANDS).chain((command) => {
      const escaped = escapes(command, version);
      const names = fc.uniqueArray(headerName(escaped), { minLength: 1, maxLength: 4 });
      return fc.record({
        version: fc.constant(version),
        command: fc.constant(command),
        pairs: names.chain((ns) => fc.array(fc.tuple(fc.constantFrom(...ns), headerValue(escaped, version)),
          { minLength: 1, maxLength: 10 })),
        body,
      });
    }));
  fc.assert(fc.property(arb, ({ version, command, pairs, body: payload }) => {
    const got = parse([wireOf(command, pairs, payload, version)], version);
    const first: Headers = {};
    for (const [name, value] of pairs) if (!Object.hasOwn(first, name)) first[name] = value;
    if (payload.length > 0 || command === 'MESSAGE' || command === 'ERROR') first['content-length'] = String(payload.length);
    assert.deepEqual(got.errors, []);
    assert.deepEqual(got.frames, [{ command, headers: first, body: payload }]);
  }), { numRuns: RUNS });
});

/** Heart-beat noise between frames: nothing, LFs, CR LFs. */
const noise = fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 3 }).map((eols) => Buffer.from(eols.join('')));

// A stream of frames (with heart-beats between) parses to the same frames however the bytes are cut.
test('a stream of frames parses the same whatever the chunking', () => {
  const arb = fc.constantFrom(...VERSIONS).chain((version) => fc.record({
    version: fc.constant(version),
    frames: fc.array(fc.tuple(noise, frameIn(version, ESCAPED_COMMANDS)), { minLength: 1, maxLength: 4 }),
    cuts: fc.array(fc.array(fc.nat(), { maxLength: 40 }), { minLength: 10, maxLength: 10 }),
  }));
  fc.assert(fc.property(arb, ({ version, frames, cuts }) => {
    const stream = Buffer.concat(frames.flatMap(([eols, f]) => [eols, serializeFrame(f, version)]));
    const want = frames.map(([, f]) => expected(f));
    for (const chunks of feedings(stream, cuts)) {
      const got = parse(chunks, version);
      assert.deepEqual(got.errors, []);
      assert.deepEqual(got.frames, want, `${chunks.length} chunks`);
    }
  }), { numRuns: Math.ceil(RUNS / 3) });
});

// Big frames (up to 256 KiB, mostly NUL bytes) cut at many random offsets and fed byte by byte.
test('big binary frames parse the same at random cut points', () => {
  const big = fc.tuple(fc.integer({ min: 1, max: 256 * 1024 }), fc.integer({ min: 0, max: 255 }))
    .map(([n, fill]) => { const b = Buffer.alloc(n, fill); b[n >> 1] = 0; b[0] = 0; return b; });
  const arb = fc.record({
    version: fc.constantFrom(...VERSIONS),
    payload: big,
    cuts: fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), { minLength: 5, maxLength: 5 }),
  });
  fc.assert(fc.property(arb, ({ version, payload, cuts }) => {
    const frame: Frame = { command: 'SEND', headers: { destination: '/queue/big' }, body: payload };
    const wire = serializeFrame(frame, version);
    for (const chunks of feedings(wire, cuts)) {
      const got = parse(chunks, version);
      assert.deepEqual(got.errors, []);
      assert.equal(got.frames.length, 1);
      assert.ok(got.frames[0].body.equals(payload));
    }
  }), { numRuns: 8 });
});

/** Pieces of STOMP grammar, glued at random into inputs that get past the first line more often than noise. */
const FRAGMENTS = ['SEND', 'CONNECT', 'STOMP', 'ACK', 'DISCONNECT', '\n', '\r\n', '\r', ':', '\\', '\\c', '\\n',
  '\\r', '\\t', 'content-length:', 'content-length:5', 'content-length:99999999999', 'destination:/queue/a',
  '0', '7', '\0', '\n\n', 'héllo', '\xff\xfe'];

/** Arbitrary bytes: pure noise, or grammar fragments mixed with noise. */
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS).map((s) => Buffer.from(s, 'latin1')),
    fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a))), { maxLength: 60 }).map((parts) => Buffer.concat(parts)),
);

/** Small limits so that arbitrary inputs reach the limit checks too. */
const limits = fc.record({
  maxFrameSize: fc.integer({ min: 1, max: 4096 }),
  maxHeaderLines: fc.integer({ min: 1, max: 20 }),
  maxHeaderLineLength: fc.integer({ min: 1, max: 512 }),
}, { requiredKeys: [] });

// Arbitrary bytes never throw out of push(): errors come through the callback, at most once, and
// nothing is emitted after one.
test('arbitrary bytes never throw; at most one error, nothing after it', () => {
  fc.assert(fc.property(fc.constantFrom(...VERSIONS), anyBytes, fc.array(fc.nat(), { maxLength: 30 }), limits,
    (version, input, cuts, lim) => {
      let got: Parsed | undefined;
      assert.doesNotThrow(() => { got = parse(splitAt(input, cuts.map((c) => c % (input.length + 1))), version, lim); });
      assert.ok(got!.errors.length <= 1, `${got!.errors.length} errors`);
      assert.deepEqual(got!.late, []);
      for (const f of got!.frames) assert.ok(typeof f.command === 'string' && Buffer.isBuffer(f.body));
    }), { numRuns: RUNS * 4 });
});

/** Feedings of arbitrary input compared with the whole: at random cut points, and one byte at a time. */
function chunkings(input: Buffer, cuts: number[]): Buffer[][] {
  return [splitAt(input, cuts.map((c) => c % (input.length + 1))), [...input].map((b) => Buffer.from([b]))];
}

// The same arbitrary input gives the same frames, and fails or not, whether it arrives whole or in pieces.
test('arbitrary bytes: frames and failure do not depend on the chunking', () => {
  fc.assert(fc.property(fc.constantFrom(...VERSIONS), anyBytes, fc.array(fc.nat(), { maxLength: 30 }), limits,
    (version, input, cuts, lim) => {
      const whole = parse([input], version, lim);
      for (const chunks of chunkings(input, cuts)) {
        const got = parse(chunks, version, lim);
        assert.deepEqual(got.frames, whole.frames);
        assert.equal(got.errors.length, whole.errors.length);
      }
    }), { numRuns: RUNS * 2 });
});

// ... and the same error code: a line past both the line and the frame limit fails with the limit its
// bytes crossed first, whether it arrived whole or in pieces (70,000 bytes without an LF before CONNECT,
// both limits 64 KiB, are FRAME_TOO_LARGE however they are cut).
test('arbitrary bytes: the error code does not depend on the chunking', () => {
  fc.assert(fc.property(fc.constantFrom(...VERSIONS), anyBytes, fc.array(fc.nat(), { maxLength: 30 }), limits,
    (version, input, cuts, lim) => {
      const whole = parse([input], version, lim);
      for (const chunks of chunkings(input, cuts)) {
        assert.deepEqual(parse(chunks, version, lim).errors.map((e) => e.code), whole.errors.map((e) => e.code));
      }
    }), { numRuns: RUNS * 2 });
});
