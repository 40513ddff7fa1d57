/** Keystrokes from a raw terminal into password lines: Enter, backspace, typed-ahead input, cancel. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeystrokeLines } from '../../src/auth/prompt.js';

/** Feeds every character; returns the lines and the last verdict. */
function type(text: string): { lines: string[]; last: string } {
  const keys = new KeystrokeLines();
  let last = 'more';
  for (const c of text) {
    last = keys.feed(c);
    if (last === 'cancel') break;
  }
  return { lines: keys.lines, last };
}

describe('KeystrokeLines', () => {
  test('Enter as CR, LF or CRLF ends one line each', () => {
    assert.deepEqual(type('a\rb\nc\r\nd\r').lines, ['a', 'b', 'c', 'd']);
  });

  test('backspace erases, other control characters are ignored', () => {
    assert.deepEqual(type('pass\u007f\u007fss\bX\u001b\r').lines, ['pasX']);
  });

  test('Ctrl-C cancels; Ctrl-D cancels only on an empty line', () => {
    assert.equal(type('abc\u0003').last, 'cancel');
    assert.equal(type('\u0004').last, 'cancel');
    assert.deepEqual(type('ab\u0004c\r').lines, ['abc']);
  });

  test('non-ASCII passwords come through whole', () => {
    assert.deepEqual(type('pässwörd🔑\r').lines, ['pässwörd🔑']);
  });
});
