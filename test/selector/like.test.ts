/** LIKE: wildcards, ESCAPE, code points, agreement with a reference matcher, and no backtracking blow-up. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSelector } from '../../src/selector/selector.js';
import { compileLike } from '../../src/selector/like.js';

function like(value: string, pattern: string, escape?: string): boolean {
  return compileLike(pattern, escape, (detail) => {
    throw new Error(detail);
  }).matches(value);
}

function escapeRegex(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|\/]/g, '\\$&');
}

/**
 * The obvious backtracking translation, trusted on tiny inputs only: `%` any run, `_` one code
 * point, the escape character making a following %, _ or itself literal (else standing for itself).
 */
function reference(value: string, pattern: string, escape?: string): boolean {
  const chars = [...pattern];
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === escape && i + 1 < chars.length && ['%', '_', escape].includes(chars[i + 1])) {
      source += escapeRegex(chars[++i]);
    } else {
      source += c === '%' ? '.*' : c === '_' ? '.' : escapeRegex(c);
    }
  }
  return new RegExp(`^${source}$`, 'su').test(value);
}

describe('LIKE patterns', () => {
  // % is any run of characters, including none.
  test('%', () => {
    assert.equal(like('abc', 'a%'), true);
    assert.equal(like('a', 'a%'), true);
    assert.equal(like('ba', 'a%'), false);
    assert.equal(like('xyz.abc', '%abc'), true);
    assert.equal(like('abcx', '%abc'), false);
    assert.equal(like('xxabcxx', '%abc%'), true);
    assert.equal(like('', '%'), true);
    assert.equal(like('anything', '%'), true);
    assert.equal(like('', '%%'), true);
    assert.equal(like('ab', 'a%b'), true);
    assert.equal(like('a', 'a%a'), false);
    assert.equal(like('aa', 'a%a'), true);
    assert.equal(like('abcabc', '%b%b%'), true);
    assert.equal(like('abc', '%b%b%'), false);
  });

  // _ is exactly one character.
  test('_', () => {
    assert.equal(like('abc', 'a_c'), true);
    assert.equal(like('ac', 'a_c'), false);
    assert.equal(like('abbc', 'a_c'), false);
    assert.equal(like('abc', '___'), true);
    assert.equal(like('ab', '___'), false);
    assert.equal(like('xxaxcxx', '%a_c%'), true);
    assert.equal(like('xxaxxcxx', '%a_c%'), false);
    assert.equal(like('abcd', '_%_'), true);
    assert.equal(like('a', '_%_'), false);
  });

  // Without wildcards LIKE is equality; everything else in the pattern is literal, including regex syntax.
  test('literals', () => {
    assert.equal(like('abc', 'abc'), true);
    assert.equal(like('abcd', 'abc'), false);
    assert.equal(like('', ''), true);
    assert.equal(like('a', ''), false);
    assert.equal(like('a.c', 'a.c'), true);
    assert.equal(like('abc', 'a.c'), false);
    assert.equal(like('(a)*+?[]{}|^$\\', '(a)*+?[]{}|^$\\'), true);
    assert.equal(like('ABC', 'abc'), false);
    assert.equal(like('line\nbreak', 'line_break'), true);
    assert.equal(like('line\nbreak', '%\n%'), true);
  });

  // ESCAPE makes a following %, _ or the escape character itself literal.
  test('ESCAPE', () => {
    assert.equal(like('100%', '100!%', '!'), true);
    assert.equal(like('1000', '100!%', '!'), false);
    assert.equal(like('a_b', 'a!_b', '!'), true);
    assert.equal(like('axb', 'a!_b', '!'), false);
    assert.equal(like('a!b', 'a!!b', '!'), true);
    assert.equal(like('50% off', '%!%%', '!'), true);
    assert.equal(like('50 off', '%!%%', '!'), false);
    assert.equal(like('a\\b', 'a\\\\b', '\\'), true);
  });

  // As ActiveMQ: an escape character before anything else, or at the end, stands for itself.
  test('lenient escapes', () => {
    assert.equal(like('a!b', 'a!b', '!'), true);
    assert.equal(like('ab!', 'ab!', '!'), true);
    assert.equal(like('ab', 'ab!', '!'), false);
  });

  // The escape character may be % or _ itself: doubled it is literal, alone it keeps its meaning.
  test('wildcard as escape character', () => {
    assert.equal(like('5%', '5%%', '%'), true);
    assert.equal(like('5x', '5%%', '%'), false);
    assert.equal(like('5%', '%', '%'), true);
    assert.equal(like('a_', 'a__', '_'), true);
    assert.equal(like('ab', 'a__', '_'), false);
    assert.equal(like('ab', 'a_', '_'), true);
  });

  // _ matches one code point: an emoji (two UTF-16 units) is one character, as in ActiveMQ's Java regex.
  test('code points', () => {
    assert.equal(like('a😀b', 'a_b'), true);
    assert.equal(like('a😀b', 'a__b'), false);
    assert.equal(like('😀', '_'), true);
    assert.equal(like('x😀y😀z', '%😀_😀%'), true);
    assert.equal(like('é', '_'), true);
  });

  // Long runs between % with _ (Shift-And across several 32-bit words) and without (KMP).
  test('long runs', () => {
    const run = 'ab_'.repeat(40); // 120 items: four words
    const hit = 'abX'.repeat(40);
    assert.equal(like(`zz${hit}zz`, `%${run}%`), true);
    assert.equal(like(`zz${hit.slice(0, -1)}`, `%${run}%`), false);
    assert.equal(like(`zz${hit.replace(/b(?=X$)/, 'c')}zz`, `%${run}%`), false);
    assert.equal(like(`${'ab'.repeat(100)}c`, `%${'ab'.repeat(50)}c%`), true);
    assert.equal(like(`${'ab'.repeat(100)}`, `%${'ab'.repeat(50)}c%`), false);
    assert.equal(like(`xx${'a'.repeat(31)}b${'a'.repeat(40)}`, `%${'_'.repeat(31)}b${'_'.repeat(33)}%`), true);
  });

  // A run with _ longer than the bound is refused; anchored runs (first and last) are not bounded.
  test('bound on runs with _', () => {
    assert.throws(() => like('', `%${'_'.repeat(257)}%`), /at most 256 characters between two %/);
    assert.equal(like('x'.repeat(300), `${'_'.repeat(300)}%`), true);
    assert.equal(like('x'.repeat(300), `%${'_'.repeat(300)}`), true);
    assert.equal(like('y'.repeat(256), `%${'_'.repeat(256)}%`), true);
  });

  // Agrees with the reference on random small patterns and values over a tiny alphabet.
  test('agrees with a reference matcher', () => {
    const alphabet = fc.constantFrom('a', 'b', '%', '_', '!', '😀');
    fc.assert(fc.property(
      fc.string({ unit: alphabet, maxLength: 8 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '%', '_', '!', '😀'), maxLength: 10 }),
      fc.constantFrom(undefined, '!', '%', '_'),
      (pattern, value, escape) => like(value, pattern, escape) === reference(value, pattern, escape),
    ), { numRuns: 5000 });
  });

  // Random values rarely match random patterns, so also build values that match by construction,
  // then compare with the reference on them and on one-character edits of them.
  test('matches values built from the pattern, and agrees on their edits', () => {
    const piece = fc.oneof(
      fc.constantFrom('a', 'b', '😀').map((c) => ({ pattern: c, value: fc.constant(c) })),
      fc.constant({ pattern: '_', value: fc.constantFrom('a', 'b', 'c', '😀') }),
      fc.constant({ pattern: '%', value: fc.string({ unit: fc.constantFrom('a', 'b', '😀'), maxLength: 4 }) }),
    );
    const built = fc.array(piece, { maxLength: 10 }).chain((pieces) => fc.tuple(
      fc.constant(pieces.map((p) => p.pattern).join('')),
      fc.tuple(...pieces.map((p) => p.value)).map((parts) => parts.join('')),
    ));
    fc.assert(fc.property(built, fc.nat(), fc.constantFrom('', 'a', 'b'), ([pattern, value], at, insert) => {
      assert.equal(like(value, pattern), true, `${value} LIKE ${pattern}`);
      const chars = [...value];
      const i = chars.length === 0 ? 0 : at % chars.length;
      const edited = [...chars.slice(0, i), insert, ...chars.slice(i + 1)].join('');
      assert.equal(like(edited, pattern), reference(edited, pattern), `${edited} LIKE ${pattern}`);
    }), { numRuns: 3000 });
  });

  // Patterns that make a backtracking translation (ActiveMQ's '.*?') take polynomial or worse time
  // finish here in one pass: this test would not end if the matcher backtracked.
  test('no catastrophic backtracking', () => {
    const value = 'a'.repeat(100_000);
    assert.equal(like(value, '%a%a%a%a%a%a%a%a%a%a%b'), false);
    assert.equal(like(value, `%${'a'.repeat(200)}b%`), false);
    assert.equal(like(value, `%${'a_'.repeat(100)}b%`), false);
    assert.equal(like(value, '%_%_%_%_%_%_%_%_%_%_%b'), false);
  });
});

describe('LIKE in selectors', () => {
  // LIKE, NOT LIKE and ESCAPE through the selector syntax.
  test('syntax', () => {
    const h = { name: 'order_42', price: '100%' };
    assert.equal(compileSelector("name LIKE 'order%'").matches(h), true);
    assert.equal(compileSelector("name NOT LIKE 'order%'").matches(h), false);
    assert.equal(compileSelector("name LIKE 'order\\_%' ESCAPE '\\'").matches(h), true);
    assert.equal(compileSelector("name LIKE 'order!_4_' escape '!'").matches(h), true);
    assert.equal(compileSelector("price LIKE '%!%' ESCAPE '!'").matches(h), true);
    assert.equal(compileSelector("name LIKE 'it''s'").matches({ name: "it's" }), true);
  });

  // A value typed as a number (a JMS header) is not LIKE anything; NOT LIKE is then true (as ActiveMQ).
  test('non-string value', () => {
    assert.equal(compileSelector("JMSPriority LIKE '4'").matches({}), false);
    assert.equal(compileSelector("JMSPriority NOT LIKE '4'").matches({}), true);
  });
});
