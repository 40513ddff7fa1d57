import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEARTBEAT, serializeFrame, serializeFrameParts } from '../../src/protocol/writer.js';
import { FrameParser } from '../../src/protocol/parser.js';
import type { Frame, StompVersion } from '../../src/protocol/frame.js';

/** Parses `wire` as a peer speaking `version` would; asserts it is exactly one frame. */
function parseOne(wire: Buffer, version: StompVersion): Frame {
  const frames: Frame[] = [];
  const parser = new FrameParser((f) => frames.push(f), (e) => assert.fail(`${e.code}: ${e.detail}`));
  parser.version = version;
  parser.push(wire);
  assert.equal(frames.length, 1);
  assert.equal(parser.buffered, 0);
  return frames[0];
}

function frame(command: string, headers: Record<string, string>, body: string | Buffer = ''): Frame {
  return { command, headers, body: typeof body === 'string' ? Buffer.from(body) : body };
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Header values each version can carry; 1.1 has no CR escape, so no trailing CR there. */
const HEADERS_BY_VERSION: Record<StompVersion, Record<string, string>> = {
  '1.0': { destination: '/queue/a', url: 'http://h:80/x', 'back\\slash': 'a\\nb' },
  '1.1': { destination: '/queue/a', 'a:b': 'x:y', multi: 'l1\nl2', 'back\\': '\\c\\', cr: 'a\rb' },
  '1.2': { destination: '/queue/a', 'a:b': 'x:y', multi: 'l1\nl2', 'back\\': '\\c\\', cr: 'a\r', 'é': '✓' },
};

// serialize → parse gives back the same frame (plus content-length) in every version.
test('round trip in every version', () => {
  for (const version of ['1.0', '1.1', '1.2'] as const) {
    const headers = HEADERS_BY_VERSION[version];
    for (const body of [Buffer.alloc(0), Buffer.from('text body'), ALL_BYTES]) {
      const sent = frame('SEND', headers, body);
      const got = parseOne(serializeFrame(sent, version), version);
      const expected = body.length > 0 ? { ...headers, 'content-length': String(body.length) } : headers;
      assert.equal(got.command, 'SEND');
      assert.deepEqual(got.headers, expected, version);
      assert.deepEqual(got.body, body, version);
    }
  }
});

// The exact bytes: command line, headers, blank line, body, NUL.
test('wire layout', () => {
  const wire = serializeFrame(frame('RECEIPT', { 'receipt-id': '7' }), '1.2');
  assert.equal(wire.toString('latin1'), 'RECEIPT\nreceipt-id:7\n\n\0');
});

// Names and values are escaped per version: 1.0 not at all, 1.1 without CR, 1.2 with CR.
test('escaping per version', () => {
  const f = frame('SEND', { 'k:\\': 'v:\\\r' });
  assert.equal(serializeFrame(f, '1.0').toString(), 'SEND\nk:\\:v:\\\r\n\n\0');
  assert.equal(serializeFrame(f, '1.1').toString(), 'SEND\nk\\c\\\\:v\\c\\\\\r\n\n\0');
  assert.equal(serializeFrame(f, '1.2').toString(), 'SEND\nk\\c\\\\:v\\c\\\\\\r\n\n\0');
});

// LF is escaped as \n in 1.1 and 1.2.
test('LF escaped in 1.1 and 1.2', () => {
  const f = frame('MESSAGE', { a: 'x\ny' });
  for (const version of ['1.1', '1.2'] as const) {
    assert.equal(serializeFrame(f, version).toString(), 'MESSAGE\na:x\\ny\ncontent-length:0\n\n\0');
  }
});

// Where nothing is escaped, an LF in a value cannot start a forged header line.
test('LF in an unescaped value cannot forge a header', () => {
  const f = frame('MESSAGE', { a: 'x\nmessage-id:forged' });
  const wire = serializeFrame(f, '1.0');
  assert.equal(wire.toString(), 'MESSAGE\na:x message-id:forged\ncontent-length:0\n\n\0');
  assert.deepEqual(Object.keys(parseOne(wire, '1.0').headers), ['a', 'content-length']);
});

// CONNECTED headers are never escaped, even in 1.2.
test('CONNECTED not escaped', () => {
  const f = frame('CONNECTED', { version: '1.2', server: 'broker:1\\x', session: 's:1' });
  assert.equal(serializeFrame(f, '1.2').toString(), 'CONNECTED\nversion:1.2\nserver:broker:1\\x\nsession:s:1\n\n\0');
});

// A non-empty body gets a content-length when the headers have none.
test('content-length added for a non-empty body', () => {
  const wire = serializeFrame(frame('SEND', { destination: '/q' }, 'abc'), '1.2');
  assert.equal(wire.toString(), 'SEND\ndestination:/q\ncontent-length:3\n\nabc\0');
});

// An empty body needs no content-length, except on MESSAGE and ERROR.
test('content-length for empty bodies only on MESSAGE and ERROR', () => {
  assert.equal(serializeFrame(frame('RECEIPT', { 'receipt-id': '1' }), '1.2').toString(), 'RECEIPT\nreceipt-id:1\n\n\0');
  assert.equal(serializeFrame(frame('MESSAGE', {}), '1.2').toString(), 'MESSAGE\ncontent-length:0\n\n\0');
  assert.equal(serializeFrame(frame('ERROR', {}), '1.0').toString(), 'ERROR\ncontent-length:0\n\n\0');
});

// A given content-length keeps its place but always states the real body size, once.
test('existing content-length is written once with the true size', () => {
  const f = frame('MESSAGE', { 'content-length': '99', a: '1' }, 'hello');
  assert.equal(serializeFrame(f, '1.1').toString(), 'MESSAGE\ncontent-length:5\na:1\n\nhello\0');
});

// The body goes out byte for byte, NUL and non-UTF-8 bytes included, followed by one NUL.
test('binary body untouched', () => {
  const wire = serializeFrame(frame('SEND', {}, ALL_BYTES), '1.2');
  const head = Buffer.from('SEND\ncontent-length:256\n\n');
  assert.deepEqual(wire.subarray(0, head.length), head);
  assert.deepEqual(wire.subarray(head.length, head.length + 256), ALL_BYTES);
  assert.equal(wire.length, head.length + 256 + 1);
  assert.equal(wire[wire.length - 1], 0);
});

// Serializing does not modify the frame it is given.
test('frame is not modified', () => {
  const f = frame('MESSAGE', { a: 'x:y' }, 'b');
  serializeFrame(f, '1.2');
  assert.deepEqual(f, frame('MESSAGE', { a: 'x:y' }, 'b'));
});

// A heart-beat is a single LF.
test('HEARTBEAT is one LF', () => {
  assert.deepEqual(HEARTBEAT, Buffer.from([0x0a]));
});

// A large body is written beside its head, not copied: the parts are head, the body itself, NUL; they
// add up to the one-Buffer form exactly.
test('serializeFrameParts passes a large body as it is', () => {
  const body = Buffer.alloc(64 * 1024, 1);
  const f = frame('MESSAGE', { destination: '/queue/big' }, body);
  const parts = serializeFrameParts(f, '1.2');
  assert.equal(parts.length, 3);
  assert.equal(parts[1], body);
  assert.ok(Buffer.concat(parts).equals(serializeFrame(f, '1.2')));
  assert.equal(serializeFrameParts(frame('RECEIPT', { 'receipt-id': '1' }), '1.2').length, 1);
});
