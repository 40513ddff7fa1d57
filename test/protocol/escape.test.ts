import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHeader, unescapeHeader } from '../../src/protocol/escape.js';
import type { StompVersion } from '../../src/protocol/frame.js';

const SPECIALS = 'a\\b\nc:d\re';

// 1.0 defines no escaping: values go out and come in untouched.
test('1.0 leaves values unchanged both ways', () => {
  assert.equal(escapeHeader(SPECIALS, '1.0'), SPECIALS);
  assert.equal(unescapeHeader('a\\nb\\t\\', '1.0'), 'a\\nb\\t\\');
});

// 1.1 escapes backslash, LF and colon, but not CR.
test('1.1 escapes backslash, LF and colon', () => {
  assert.equal(escapeHeader(SPECIALS, '1.1'), 'a\\\\b\\nc\\cd\re');
});

// 1.2 escapes CR as well.
test('1.2 escapes backslash, LF, colon and CR', () => {
  assert.equal(escapeHeader(SPECIALS, '1.2'), 'a\\\\b\\nc\\cd\\re');
});

// Values without special characters come back as they are.
test('plain values pass through', () => {
  for (const v of ['1.1', '1.2'] as const) {
    assert.equal(escapeHeader('/queue/plain-name_1', v), '/queue/plain-name_1');
    assert.equal(unescapeHeader('/queue/plain-name_1', v), '/queue/plain-name_1');
    assert.equal(escapeHeader('', v), '');
  }
});

// Unescaping decodes every defined sequence, wherever it sits in the value.
test('1.2 unescapes every defined sequence', () => {
  assert.equal(unescapeHeader('\\\\x\\ny\\cz\\r', '1.2'), '\\x\ny:z\r');
  assert.equal(unescapeHeader('\\c', '1.2'), ':');
});

// 1.1 does not define \r: an undefined escape there, which is a fatal error (STOMP 1.1 "Value Encoding").
test('1.1 refuses \\r', () => {
  assert.equal(unescapeHeader('a\\rb', '1.1'), null);
});

// An undefined escape sequence (or a lone trailing backslash) is an error: null.
test('undefined escapes give null', () => {
  for (const v of ['1.1', '1.2'] as const) {
    assert.equal(unescapeHeader('a\\tb', v), null);
    assert.equal(unescapeHeader('ab\\', v), null);
    assert.equal(unescapeHeader('\\', v), null);
    assert.equal(unescapeHeader('\\n\\x', v), null);
  }
});

// An escaped backslash followed by a letter is not an escape of that letter.
test('escaped backslash is not combined with the next character', () => {
  assert.equal(unescapeHeader('\\\\n', '1.2'), '\\n');
});

// unescape(escape(x)) === x for any text (1.1 keeps CR raw, and raw CR unescapes as itself).
test('round trip over many strings', () => {
  const alphabet = ['a', 'é', '\\', '\n', ':', '\r', 'n', 'c', 'r', ' '];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let n = next() % 12; n > 0; n--) s += alphabet[next() % alphabet.length];
    for (const v of ['1.0', '1.1', '1.2'] as StompVersion[]) {
      assert.equal(unescapeHeader(escapeHeader(s, v), v), s, `${v} ${JSON.stringify(s)}`);
    }
  }
});
