/** Every compile error: a SelectorError whose message names the 1-based column and what was expected. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSelector, SelectorError } from '../../src/selector/selector.js';
import { MAX_DEPTH, MAX_IN_LIST, MAX_SELECTOR_LENGTH } from '../../src/selector/limits.js';

/** Asserts that `selector` fails at `column` with exactly `detail`. */
function fails(selector: string, column: number, detail: string): void {
  assert.throws(() => compileSelector(selector), (e: unknown) => {
    assert.ok(e instanceof SelectorError, `not a SelectorError: ${String(e)}`);
    assert.equal(e.message, `selector error at column ${column}: ${detail}`, selector);
    assert.equal(e.column, column);
    assert.equal(e.name, 'SelectorError');
    return true;
  });
}

describe('tokens', () => {
  // Characters that start no token.
  test('unexpected character', () => {
    fails('a ! b', 3, "unexpected character '!'");
    fails('a == 1', 4, "expected a value after '=', found '='");
    fails('a != 1', 3, "unexpected character '!'");
    fails('a = 1;', 6, "unexpected character ';'");
    fails('a.b = 1', 2, "unexpected character '.'");
    fails('a = \u0001', 5, "unexpected character '\\u0001'");
    fails('a = #', 5, "unexpected character '#'");
  });

  // Unterminated quotes point at the opening quote.
  test('unterminated string and quoted name', () => {
    fails("a = 'abc", 5, "expected a closing ' for this string");
    fails("a = 'it''s", 5, "expected a closing ' for this string");
    fails('"content-type = 1', 1, 'expected a closing " for this quoted header name');
    fails('"" = 1', 1, 'expected a header name between the double quotes');
  });

  // Malformed numbers.
  test('numbers', () => {
    fails('a = 1e', 6, "expected digits in the exponent of '1e'");
    fails('a = 1.5E+', 8, "expected digits in the exponent of '1.5E+'");
    fails('a = 0x', 5, "expected hex digits after '0x'");
    fails('a = 09', 5, "expected octal digits (0-7) in '09': a number starting with 0 is octal");
    fails('a = 5abc', 6, "expected AND, OR or the end of the selector, found 'abc'");
  });

  // Columns count characters, so an emoji before the error counts once.
  test('columns count code points', () => {
    fails("'😀' = a !", 9, "unexpected character '!'");
    fails('"😀" ! 1', 5, "unexpected character '!'");
  });
});

describe('grammar', () => {
  // A missing operand names the operator it should follow.
  test('missing values', () => {
    fails('a =', 4, "expected a value after '='");
    fails('a = ', 5, "expected a value after '='");
    fails("name = 'x' AND b =", 19, "expected a value after '='");
    fails('a = )', 5, "expected a value after '=', found ')'");
    fails('a + * 2 > 1', 5, "expected a value after '+', found '*'");
    fails('a = NOT b', 5, "expected a value after '=', found 'NOT'");
    fails('a < AND', 5, "expected a value after '<', found 'AND'");
    fails('-', 2, "expected a value after '-'");
  });

  // A missing condition after AND, OR, NOT or '(' or at the start.
  test('missing conditions', () => {
    fails('a = 1 AND', 10, "expected a condition after 'AND'");
    fails('a = 1 or', 9, "expected a condition after 'or'");
    fails('NOT', 4, "expected a condition after 'NOT'");
    fails('a = 1 AND OR b = 2', 11, "expected a condition after 'AND', found 'OR'");
    fails('()', 2, "expected a condition after '(', found ')'");
    fails(')', 1, "expected a condition, found ')'");
    fails('AND a = 1', 1, "expected a condition, found 'AND'");
    fails('*', 1, "expected a condition, found '*'");
  });

  // What follows a complete condition.
  test('trailing tokens', () => {
    fails('a b', 3, "expected AND, OR or the end of the selector, found 'b'");
    fails("a = 'x' 'y'", 9, "expected AND, OR or the end of the selector, found the string 'y'");
    fails('a = 1)', 6, "expected AND, OR or the end of the selector, found ')'");
  });

  // Parentheses must close.
  test('parentheses', () => {
    fails('(a = 1', 7, "expected ')' to close the '(' at column 1, found the end of the selector");
    fails('(a = 1 b', 8, "expected ')' to close the '(' at column 1, found 'b'");
    fails('x AND ((a = 1)', 15, "expected ')' to close the '(' at column 7, found the end of the selector");
  });

  // Comparisons do not chain.
  test('chained comparisons', () => {
    fails('a = 1 = 2', 7, "expected AND or OR before '=': comparisons do not chain");
    fails('1 < a < 3', 7, "expected AND or OR before '<': comparisons do not chain");
    fails("a IS NULL LIKE 'x'", 11, "expected AND or OR before 'LIKE': comparisons do not chain");
    fails('a BETWEEN 1 AND 2 IS NULL', 19, "expected AND or OR before 'IS': comparisons do not chain");
  });

  // NOT after a value introduces only LIKE, IN or BETWEEN.
  test('NOT after a value', () => {
    fails('a NOT = 1', 7, "expected LIKE, IN or BETWEEN after NOT, found '='");
    fails('a NOT NULL', 7, "expected LIKE, IN or BETWEEN after NOT, found 'NULL'");
    fails('a NOT', 6, 'expected LIKE, IN or BETWEEN after NOT, found the end of the selector');
  });

  // IS takes NULL or NOT NULL.
  test('IS', () => {
    fails('a IS 5', 6, "expected NULL or NOT NULL after IS, found '5'");
    fails('a IS', 5, 'expected NULL or NOT NULL after IS, found the end of the selector');
    fails('a IS NOT TRUE', 10, "expected NULL after IS NOT, found 'TRUE'");
  });

  // NULL is no value: comparisons with it are written IS NULL.
  test('NULL', () => {
    fails('a = NULL', 5, 'expected a value: NULL may only follow IS (x IS NULL, x IS NOT NULL)');
    fails('NULL IS NULL', 1, 'expected a value: NULL may only follow IS (x IS NULL, x IS NOT NULL)');
    fails("a IN (NULL)", 7, "expected a string in the IN list after '(', found 'NULL'");
  });

  // BETWEEN needs AND between its bounds.
  test('BETWEEN', () => {
    fails('a BETWEEN 1 OR 2', 13, "expected AND between the bounds of BETWEEN, found 'OR'");
    fails('a BETWEEN 1', 12, 'expected AND between the bounds of BETWEEN, found the end of the selector');
    fails('a BETWEEN 1 AND', 16, "expected a value after 'AND'");
    fails('a NOT BETWEEN AND 2', 15, "expected a value after 'BETWEEN', found 'AND'");
  });

  // LIKE takes a string pattern and an optional one-character ESCAPE string.
  test('LIKE', () => {
    fails('a LIKE b', 8, "expected a string pattern after 'LIKE', found 'b'");
    fails('a LIKE', 7, "expected a string pattern after 'LIKE'");
    fails("a NOT LIKE 5", 12, "expected a string pattern after 'LIKE', found '5'");
    fails("a LIKE 'x' ESCAPE", 18, "expected a one-character string after 'ESCAPE'");
    fails("a LIKE 'x' ESCAPE '!!'", 19, "expected one character after ESCAPE, found '!!'");
    fails("a LIKE 'x' ESCAPE ''", 19, "expected one character after ESCAPE, found ''");
    fails("a LIKE 'x' ESCAPE x", 19, "expected a one-character string after 'ESCAPE', found 'x'");
  });

  // IN takes a parenthesized, non-empty list of strings.
  test('IN', () => {
    fails("a IN 'x'", 6, "expected '(' after IN, found the string 'x'");
    fails('a IN ()', 7, "expected a string in the IN list after '(', found ')'");
    fails("a IN ('x' 'y')", 11, "expected ',' or ')' in the IN list, found the string 'y'");
    fails("a IN ('x',)", 11, "expected a string in the IN list after ',', found ')'");
    fails("a IN ('x', 1)", 12, "expected a string in the IN list after ',', found '1'");
    fails("a IN ('x'", 10, "expected ',' or ')' in the IN list, found the end of the selector");
  });
});

describe('types', () => {
  // AND, OR, NOT and the whole selector need conditions (headers and TRUE/FALSE count).
  test('conditions', () => {
    fails('5', 1, 'expected a condition, found a number');
    fails("'yes'", 1, 'expected a condition, found a string');
    fails('a + 1', 1, 'expected a condition, found a number');
    fails('5 AND a', 1, "expected a condition before 'AND', found a number");
    fails("a = 1 OR 'x'", 10, "expected a condition after 'OR', found a string");
    fails('NOT 5', 5, "expected a condition after 'NOT', found a number");
    fails('(1 + 2) OR a', 1, "expected a condition before 'OR', found a number");
  });

  // Arithmetic needs numbers or headers.
  test('arithmetic', () => {
    fails("a + 'x' > 1", 5, "expected a number or header name after '+', found a string");
    fails("'x' * 2 > 1", 1, "expected a number or header name before '*', found a string");
    fails('-TRUE = 1', 2, "expected a number or header name after '-', found TRUE or FALSE");
    fails('(a = 1) + 1 > 0', 1, "expected a number or header name before '+', found a condition");
  });

  // < <= > >= and BETWEEN order numbers; strings and booleans are only compared with = and <>.
  test('ordering', () => {
    const hint = ' (only = and <> compare strings and booleans)';
    fails("a < 'x'", 5, `expected a number or header name after '<', found a string${hint}`);
    fails("'x' >= a", 1, `expected a number or header name before '>=', found a string${hint}`);
    fails('a > TRUE', 5, `expected a number or header name after '>', found TRUE or FALSE${hint}`);
    fails("a BETWEEN 'a' AND 'z'", 11, `expected a number or header name after 'BETWEEN', found a string${hint}`);
    fails("a BETWEEN 1 AND 'z'", 17, `expected a number or header name after 'BETWEEN … AND', found a string${hint}`);
    fails("'m' BETWEEN 1 AND 2", 1, `expected a number or header name before 'BETWEEN', found a string${hint}`);
  });

  // LIKE and IN test a header.
  test('LIKE and IN need a header', () => {
    fails("'abc' LIKE 'a%'", 1, "expected a header name before 'LIKE', found a string");
    fails("5 IN ('5')", 1, "expected a header name before 'IN', found a number");
    fails("(a + 1) NOT IN ('5')", 1, "expected a header name before 'IN', found a number");
  });
});

describe('bounds', () => {
  // The selector's length.
  test('length', () => {
    const longest = `a = '${'x'.repeat(MAX_SELECTOR_LENGTH - 6)}'`;
    assert.equal(compileSelector(longest).matches({ a: 'x'.repeat(MAX_SELECTOR_LENGTH - 6) }), true);
    fails(`${longest} `, MAX_SELECTOR_LENGTH + 1, `expected at most ${MAX_SELECTOR_LENGTH} characters in a selector`);
  });

  // Parentheses, NOT and signs nest at most MAX_DEPTH deep.
  test('nesting', () => {
    const parens = (n: number) => `${'('.repeat(n)}a = 1${')'.repeat(n)}`;
    assert.equal(compileSelector(parens(MAX_DEPTH - 1)).matches({ a: '1' }), true);
    fails(parens(MAX_DEPTH + 1), MAX_DEPTH + 1, `expected at most ${MAX_DEPTH} levels of nesting`);
    fails(parens(2000), MAX_DEPTH + 1, `expected at most ${MAX_DEPTH} levels of nesting`);
    fails(`${'NOT '.repeat(MAX_DEPTH + 1)}a`, MAX_DEPTH * 4 + 1, `expected at most ${MAX_DEPTH} levels of nesting`);
    fails(`a = ${'-'.repeat(MAX_DEPTH + 1)}1`, MAX_DEPTH + 5, `expected at most ${MAX_DEPTH} levels of nesting`);
  });

  // Long operator chains count as tree depth; AND/OR chains are flat and may be long.
  test('chains', () => {
    const terms = (n: number) => Array.from({ length: n }, () => 'a').join(' + ');
    assert.equal(compileSelector(`${terms(MAX_DEPTH - 1)} > 0`).matches({ a: '1' }), true);
    fails(`${terms(MAX_DEPTH + 2)} > 0`, 1, `expected at most ${MAX_DEPTH} levels of nesting`);
    const ors = Array.from({ length: 300 }, (_, i) => `a = ${i}`).join(' OR ');
    assert.equal(compileSelector(ors).matches({ a: '299' }), true);
  });

  // At most MAX_IN_LIST strings in an IN list.
  test('IN list size', () => {
    const list = (n: number) => Array.from({ length: n }, () => "''").join(',');
    assert.equal(compileSelector(`a IN (${list(MAX_IN_LIST)})`).matches({ a: '' }), true);
    fails(`a IN (${list(MAX_IN_LIST + 1)})`, 7 + MAX_IN_LIST * 3, `expected at most ${MAX_IN_LIST} strings in an IN list`);
  });

  // A LIKE run with _ between two % is bounded; the error points at the pattern.
  test('LIKE run', () => {
    fails(`a LIKE '%${'_'.repeat(257)}%'`, 8,
      'expected at most 256 characters between two % of a LIKE pattern where they contain _');
  });
});
