/**
 * Property tests: whatever text a client sends, compiling throws nothing but SelectorError, and a
 * compiled selector's matches() never throws; generated well-formed selectors obey SQL's logic.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSelector, SelectorError } from '../../src/selector/selector.js';
import type { Headers } from '../../src/protocol/frame.js';

const NAMES = ['a', 'b', 'c', 'JMSPriority', 'JMSRedelivered', 'JMSType', 'toString', '__proto__'];
const VALUES = ['1', '2', '-3.5', ' 7 ', '', 'x', 'true', 'TRUE', 'a%b_', '1e3', '😀', 'NaN'];

const headersArb: fc.Arbitrary<Headers> = fc.dictionary(
  fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 4 })),
  fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 6 })),
  { maxKeys: 5 },
);

/** Compiles and, when that works, evaluates; fails the property on anything but a SelectorError. */
function compileAndRun(text: string, headers: Headers[]): void {
  let selector;
  try {
    selector = compileSelector(text);
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    assert.match(e.message, /^selector error at column \d+: \S/);
    assert.ok(e.column >= 1 && e.column <= [...text].length + 1, `column ${e.column} outside '${text}'`);
    return;
  }
  for (const h of headers) assert.equal(typeof selector.matches(h), 'boolean');
}

// Pieces of selector syntax, so that random text gets past the tokenizer and deep into the parser.
const TOKENS = [
  'a', 'b', 'JMSPriority', '"x-y"', "'s'", "'it''s'", "'%_'", '1', '0x1F', '010', '2.5', '.5', '1e3', '9L',
  'AND', 'OR', 'NOT', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'and', 'not',
  '=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '(', ')', ',', "'", '"', '!', '.', 'e', '😀', '',
];

describe('robustness', () => {
  // Arbitrary strings, including lone surrogates and control characters.
  test('random text throws only SelectorError', () => {
    fc.assert(fc.property(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 60 })),
      fc.array(headersArb, { maxLength: 3 }),
      compileAndRun,
    ), { numRuns: 3000 });
  });

  // Random sequences of selector tokens, joined with and without spaces.
  test('random token soup throws only SelectorError', () => {
    fc.assert(fc.property(
      fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }),
      fc.constantFrom(' ', '', '\t'),
      fc.array(headersArb, { maxLength: 3 }),
      (tokens, glue, headers) => compileAndRun(tokens.join(glue), headers),
    ), { numRuns: 5000 });
  });
});

/** Well-formed conditions over headers a, b, c. */
const conditionArb: fc.Arbitrary<string> = fc.letrec<{ cond: string; num: string }>((tie) => ({
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', 'c', '1', '2', '-3.5', '0', 'JMSPriority'),
    fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/', '%'), tie('num')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('num').map((n) => `-${n}`),
  ),
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(tie('num'), fc.constantFrom('=', '<>', '<', '<=', '>', '>='), tie('num')).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom("= 'x'", "<> 'true'", "LIKE '%1%'", "NOT LIKE '_'",
      "IN ('1', 'x')", "NOT IN ('2')", 'IS NULL', 'IS NOT NULL', 'BETWEEN 0 AND 2', 'NOT BETWEEN b AND 2')).map(([h, t]) => `${h} ${t}`),
    fc.constantFrom('a', 'TRUE', 'FALSE', 'JMSRedelivered'),
    tie('cond').map((c) => `NOT ${c}`),
    fc.tuple(tie('cond'), fc.constantFrom('AND', 'OR'), tie('cond')).map(([l, op, r]) => `(${l} ${op} ${r})`),
  ),
})).cond;

const smallHeadersArb: fc.Arbitrary<Headers> = fc.record(
  { a: fc.constantFrom(...VALUES), b: fc.constantFrom(...VALUES), c: fc.constantFrom(...VALUES) },
  { requiredKeys: [] },
);

describe('logic', () => {
  // Every generated condition compiles, and never it and its negation both match.
  test('a condition and its negation never both match', () => {
    fc.assert(fc.property(conditionArb, smallHeadersArb, (cond, headers) => {
      const yes = compileSelector(cond).matches(headers);
      const no = compileSelector(`NOT (${cond})`).matches(headers);
      assert.ok(!(yes && no), cond);
      // Exactly one of true, false, unknown: "c OR NOT c" matches unless c is unknown.
      assert.equal(compileSelector(`(${cond}) OR NOT (${cond})`).matches(headers), yes || no);
      // And "c AND NOT c" never matches.
      assert.equal(compileSelector(`(${cond}) AND NOT (${cond})`).matches(headers), false);
    }), { numRuns: 2000 });
  });

  // De Morgan holds in three-valued logic.
  test('De Morgan', () => {
    fc.assert(fc.property(conditionArb, conditionArb, smallHeadersArb, (p, q, headers) => {
      const left = compileSelector(`NOT ((${p}) AND (${q}))`).matches(headers);
      const right = compileSelector(`NOT (${p}) OR NOT (${q})`).matches(headers);
      assert.equal(left, right, `${p} | ${q}`);
    }), { numRuns: 1000 });
  });
});
