/** Selector semantics: every operator, precedence, SQL NULL logic, the header typing rules, JMS names. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSelector } from '../../src/selector/selector.js';
import type { Headers } from '../../src/protocol/frame.js';

function matches(selector: string, headers: Headers = {}): boolean {
  return compileSelector(selector).matches(headers);
}

/** The selector's truth value: a condition is true, false or unknown, seen through matches() and NOT. */
function truth(selector: string, headers: Headers = {}): 'true' | 'false' | 'unknown' {
  if (matches(selector, headers)) return 'true';
  return matches(`NOT (${selector})`, headers) ? 'false' : 'unknown';
}

describe('literals and identifiers', () => {
  // Strings in single quotes, '' standing for one quote.
  test('string literals', () => {
    assert.equal(matches("name = 'bob'", { name: 'bob' }), true);
    assert.equal(matches("name = 'bob'", { name: 'Bob' }), false);
    assert.equal(matches("q = 'it''s'", { q: "it's" }), true);
    assert.equal(matches("e = ''", { e: '' }), true);
    assert.equal(matches("u = 'ünï €'", { u: 'ünï €' }), true);
  });

  // Exact (decimal, octal, hex, L suffix) and approximate numeric literals, as ActiveMQ reads them.
  test('numeric literals', () => {
    const cases: Array<[string, string]> = [
      ['42', '42'], ['42L', '42'], ['010', '8'], ['0x1F', '31'], ['0', '0'], ['1.5', '1.5'], ['.5', '0.5'],
      ['5.', '5'], ['5E2', '500'], ['2.5e-1', '0.25'], ['1E+3', '1000'], ['09.5', '9.5'],
    ];
    for (const [literal, value] of cases) assert.equal(matches(`n = ${literal}`, { n: value }), true, literal);
  });

  // Keywords are case-insensitive; header names are case-sensitive.
  test('keyword case', () => {
    assert.equal(matches("a = 'x' and b = 'y'", { a: 'x', b: 'y' }), true);
    assert.equal(matches("a = 'x' AnD NoT b = 'z'", { a: 'x', b: 'y' }), true);
    assert.equal(matches('flag = true', { flag: 'true' }), true);
    assert.equal(matches('Flag IS NULL', { flag: 'x' }), true);
    assert.equal(matches("a iS nOt NuLl", { a: '' }), true);
  });

  // Java identifier characters, and our double-quoted names for headers such as content-type.
  test('identifiers', () => {
    assert.equal(matches("$x_1 = 'a'", { $x_1: 'a' }), true);
    assert.equal(matches("_ = 'a'", { _: 'a' }), true);
    assert.equal(matches("größe = 'L'", { größe: 'L' }), true);
    assert.equal(matches(`"content-type" = 'text/plain'`, { 'content-type': 'text/plain' }), true);
    assert.equal(matches(`"a""b" = 'x'`, { 'a"b': 'x' }), true);
  });

  // Object.prototype members are not headers.
  test('only own headers are read', () => {
    assert.equal(truth("toString = 'x'"), 'unknown');
    assert.equal(matches('constructor IS NULL'), true);
    assert.equal(matches('__proto__ IS NULL'), true);
    assert.equal(matches('hasOwnProperty IS NULL'), true);
  });

  // TRUE and FALSE alone, and a header alone: "true" in any case is true, anything else false.
  test('booleans as conditions', () => {
    assert.equal(matches('TRUE'), true);
    assert.equal(matches('FALSE'), false);
    assert.equal(matches('NOT FALSE'), true);
    assert.equal(matches('urgent', { urgent: 'true' }), true);
    assert.equal(matches('urgent', { urgent: 'TRUE' }), true);
    assert.equal(truth('urgent', { urgent: 'yes' }), 'false');
    assert.equal(truth('urgent', { urgent: '1' }), 'false');
    assert.equal(truth('urgent'), 'unknown');
  });

  // An empty or blank selector selects everything (JMS: an empty selector is no selector).
  test('empty selector', () => {
    assert.equal(matches(''), true);
    assert.equal(matches('  \t '), true);
  });
});

describe('comparison', () => {
  // Each operator on numbers.
  test('numeric operators', () => {
    const h = { n: '5' };
    assert.deepEqual(
      ['n = 5', 'n <> 5', 'n < 5', 'n <= 5', 'n > 5', 'n >= 5', 'n < 6', 'n > 4', 'n <> 4'].map((s) => matches(s, h)),
      [true, false, false, true, false, true, true, true, true],
    );
  });

  // A header meeting a number is read as a decimal number: ten is more than nine.
  test('headers compare as numbers against numbers', () => {
    assert.equal(matches('n > 9', { n: '10' }), true);
    assert.equal(matches('n = 10', { n: '10.0' }), true);
    assert.equal(matches('n = 10', { n: '1e1' }), true);
    assert.equal(matches('n > 10', { n: '10.5' }), true);
    assert.equal(matches('n < 0', { n: '-3' }), true);
    assert.equal(matches('n = 3', { n: ' 3 ' }), true);
    assert.equal(matches('5 < n', { n: '7' }), true);
    assert.equal(matches('n = 3.14159', { n: '3.14159' }), true);
  });

  // A header that is not a number never equals, orders above or below a number (false, not unknown).
  test('non-numeric headers against numbers are false', () => {
    for (const v of ['abc', '', '0x10', 'NaN', 'Infinity', '1e', '5 5', '+', '.']) {
      assert.equal(truth('n = 5', { n: v }), 'false', v);
      assert.equal(truth('n > 5', { n: v }), 'false', v);
      assert.equal(truth('n < 5', { n: v }), 'false', v);
      assert.equal(truth('n <> 5', { n: v }), 'true', v);
    }
  });

  // A header meeting a string compares as a string, even when both look like numbers.
  test('headers compare as strings against strings', () => {
    assert.equal(matches("n = '10'", { n: '10' }), true);
    assert.equal(matches("n = '10'", { n: '10.0' }), false);
    assert.equal(matches("n <> '10'", { n: '10.0' }), true);
  });

  // Two headers are two strings: ordered by UTF-16 code units, as ActiveMQ (Java's compareTo) does.
  test('two headers order as strings', () => {
    assert.equal(matches('a < b', { a: '10', b: '9' }), true);
    assert.equal(matches('a < b', { a: 'apple', b: 'banana' }), true);
    assert.equal(matches('a = b', { a: 'x', b: 'x' }), true);
    // Arithmetic makes them numbers.
    assert.equal(matches('a + 0 < b + 0', { a: '10', b: '9' }), false);
  });

  // Booleans: a header against TRUE/FALSE reads "true" (any case) as true, anything else as false.
  test('booleans', () => {
    assert.equal(matches('flag = TRUE', { flag: 'true' }), true);
    assert.equal(matches('flag = FALSE', { flag: 'false' }), true);
    assert.equal(matches('flag = TRUE', { flag: 'True' }), true);
    assert.equal(matches('flag = FALSE', { flag: 'yes' }), true);
    assert.equal(matches('flag <> TRUE', { flag: 'false' }), true);
    assert.equal(matches('TRUE = TRUE'), true);
    assert.equal(matches('TRUE <> FALSE'), true);
    // A number never equals a boolean.
    assert.equal(truth('5 = TRUE'), 'false');
    assert.equal(truth('JMSPriority = TRUE'), 'false');
  });

  // Comparisons are conditions that can themselves be compared, in parentheses.
  test('comparing conditions', () => {
    assert.equal(matches('(a = 1) = (b = 2)', { a: '1', b: '2' }), true);
    assert.equal(matches('(a = 1) = (b = 2)', { a: '1', b: '3' }), false);
    assert.equal(matches('(a = 1) <> FALSE', { a: '1' }), true);
  });
});

describe('arithmetic', () => {
  // + - * / % and unary signs, on literals and on headers that are numbers.
  test('operators', () => {
    const h = { a: '7', b: '2' };
    assert.equal(matches('a + b = 9', h), true);
    assert.equal(matches('a - b = 5', h), true);
    assert.equal(matches('a * b = 14', h), true);
    assert.equal(matches('a / b = 3.5', h), true); // always divides as doubles, as ActiveMQ
    assert.equal(matches('a % b = 1', h), true);
    assert.equal(matches('-a = -7', h), true);
    assert.equal(matches('+a = 7', h), true);
    assert.equal(matches('- -a = 7', h), true);
    assert.equal(matches('-(a - 10) = 3', h), true);
    assert.equal(matches('1 / 0 > 1000000'), true);
  });

  // * / % bind tighter than + -, signs tighter still; all left-associative.
  test('precedence and associativity', () => {
    assert.equal(matches('2 + 3 * 4 = 14'), true);
    assert.equal(matches('(2 + 3) * 4 = 20'), true);
    assert.equal(matches('10 - 4 - 3 = 3'), true);
    assert.equal(matches('100 / 10 / 5 = 2'), true);
    assert.equal(matches('-2 * 3 = -6'), true);
    assert.equal(matches('2 - -3 = 5'), true);
    assert.equal(matches('7 % 4 * 2 = 6'), true);
  });

  // Arithmetic on an absent or non-numeric header is unknown.
  test('unknown operands', () => {
    assert.equal(truth('a + 1 = 2'), 'unknown');
    assert.equal(truth('a + 1 = 2', { a: 'x' }), 'unknown');
    assert.equal(truth('-a = 1', { a: 'x' }), 'unknown');
    assert.equal(truth('1 + a > 0'), 'unknown');
    // 0/0 is NaN, which compares with nothing: = false, <> true.
    assert.equal(truth('0 / 0 = 0'), 'false');
    assert.equal(truth('0 / 0 <> 0'), 'true');
  });
});

describe('NULL and three-valued logic', () => {
  // Any comparison with an absent header is unknown, and unknown is not a match, nor is its negation.
  test('absent header makes comparisons unknown', () => {
    for (const s of ["a = 'x'", "a <> 'x'", 'a > 1', 'a < 1', 'a = 1', "'x' = a", 'a = b', 'a BETWEEN 1 AND 2',
      "a LIKE 'x%'", "a IN ('x')", "a NOT IN ('x')", "a NOT LIKE 'x'", 'a NOT BETWEEN 1 AND 2', 'a = TRUE']) {
      assert.equal(truth(s), 'unknown', s);
    }
  });

  // IS NULL / IS NOT NULL are never unknown.
  test('IS [NOT] NULL', () => {
    assert.equal(matches('a IS NULL'), true);
    assert.equal(matches('a IS NULL', { a: '' }), false);
    assert.equal(matches('a IS NOT NULL', { a: '' }), true);
    assert.equal(matches('a IS NOT NULL'), false);
    assert.equal(matches('a + 1 IS NULL', { a: 'x' }), true);
    assert.equal(matches('(a = 1) IS NULL'), true);
    assert.equal(matches('JMSPriority IS NOT NULL'), true);
  });

  // SQL's AND truth table, F/U/T on each side.
  test('AND', () => {
    const h = { t: '1', f: '0' };
    const T = 't = 1';
    const F = 'f = 1';
    const U = 'u = 1';
    const table: Array<[string, string, string]> = [
      [T, T, 'true'], [T, F, 'false'], [T, U, 'unknown'],
      [F, T, 'false'], [F, F, 'false'], [F, U, 'false'],
      [U, T, 'unknown'], [U, F, 'false'], [U, U, 'unknown'],
    ];
    for (const [a, b, want] of table) assert.equal(truth(`${a} AND ${b}`, h), want, `${a} AND ${b}`);
  });

  // SQL's OR truth table.
  test('OR', () => {
    const h = { t: '1', f: '0' };
    const T = 't = 1';
    const F = 'f = 1';
    const U = 'u = 1';
    const table: Array<[string, string, string]> = [
      [T, T, 'true'], [T, F, 'true'], [T, U, 'true'],
      [F, T, 'true'], [F, F, 'false'], [F, U, 'unknown'],
      [U, T, 'true'], [U, F, 'unknown'], [U, U, 'unknown'],
    ];
    for (const [a, b, want] of table) assert.equal(truth(`${a} OR ${b}`, h), want, `${a} OR ${b}`);
  });

  // NOT swaps true and false and leaves unknown unknown.
  test('NOT', () => {
    assert.equal(matches("NOT a = 'x'", { a: 'y' }), true);
    assert.equal(matches("NOT a = 'x'", { a: 'x' }), false);
    assert.equal(matches("NOT a = 'x'"), false);
    assert.equal(matches("NOT NOT a = 'x'", { a: 'x' }), true);
    assert.equal(matches("NOT NOT a = 'x'"), false);
  });

  // Long chains: one unknown does not stop a later true (OR) or false (AND).
  test('n-ary chains', () => {
    assert.equal(matches("u = 1 OR u = 2 OR a = 'x'", { a: 'x' }), true);
    assert.equal(truth("u = 1 AND a = 'y' AND b = 'z'", { a: 'x' }), 'false');
    assert.equal(truth("u = 1 OR a = 'y'", { a: 'x' }), 'unknown');
  });
});

describe('precedence of logic', () => {
  // AND binds tighter than OR.
  test('AND before OR', () => {
    assert.equal(matches("a = 1 OR b = 1 AND c = 1", { a: '1', b: '0', c: '0' }), true);
    assert.equal(matches("(a = 1 OR b = 1) AND c = 1", { a: '1', b: '0', c: '0' }), false);
    assert.equal(matches("a = 1 AND b = 1 OR c = 1", { a: '0', b: '0', c: '1' }), true);
  });

  // NOT binds tighter than AND, looser than comparison: NOT a = 1 is NOT (a = 1).
  test('NOT between AND and comparison', () => {
    assert.equal(matches('NOT a = 1 AND b = 1', { a: '2', b: '1' }), true);
    assert.equal(matches('NOT a = 1 AND b = 1', { a: '2', b: '2' }), false);
    assert.equal(matches('NOT (a = 1 AND b = 1)', { a: '2', b: '2' }), true);
    assert.equal(matches('NOT a + 1 = 3', { a: '2' }), false);
    assert.equal(matches('NOT a BETWEEN 1 AND 3', { a: '5' }), true);
  });

  // Arithmetic binds tighter than comparison.
  test('arithmetic before comparison', () => {
    assert.equal(matches('a + 1 > 2 * 2', { a: '4' }), true);
    assert.equal(matches('a BETWEEN 1 + 1 AND 2 * 3', { a: '6' }), true);
  });
});

describe('BETWEEN', () => {
  // Inclusive at both ends; NOT BETWEEN is outside.
  test('inclusive range', () => {
    for (const [v, inside] of [['0', false], ['1', true], ['2.5', true], ['3', true], ['4', false]] as const) {
      assert.equal(matches('n BETWEEN 1 AND 3', { n: v }), inside, v);
      assert.equal(matches('n NOT BETWEEN 1 AND 3', { n: v }), !inside, v);
    }
  });

  // Bounds can be headers and expressions; an absent bound makes the test unknown unless the other decides.
  test('header bounds', () => {
    assert.equal(matches('n BETWEEN lo AND hi', { n: '5', lo: '1', hi: '9' }), true);
    assert.equal(truth('n BETWEEN lo AND 9', { n: '5' }), 'unknown');
    assert.equal(truth('n BETWEEN lo AND 4', { n: '5' }), 'false');
    assert.equal(truth('n NOT BETWEEN lo AND 4', { n: '5' }), 'true');
  });

  // As ActiveMQ: NOT BETWEEN is v < low OR v > high, so a non-number is neither between nor outside.
  test('non-numeric value', () => {
    assert.equal(matches('n BETWEEN 1 AND 3', { n: 'x' }), false);
    assert.equal(matches('n NOT BETWEEN 1 AND 3', { n: 'x' }), false);
  });

  // BETWEEN's AND does not end the condition: a following AND joins a second condition.
  test('BETWEEN ... AND ... AND', () => {
    assert.equal(matches("n BETWEEN 1 AND 3 AND m = 'x'", { n: '2', m: 'x' }), true);
    assert.equal(matches("n BETWEEN 1 AND 3 AND m = 'x'", { n: '2', m: 'y' }), false);
  });
});

describe('IN', () => {
  // Membership among string literals; NOT IN is its negation.
  test('membership', () => {
    assert.equal(matches("c IN ('red', 'green')", { c: 'red' }), true);
    assert.equal(matches("c IN ('red', 'green')", { c: 'blue' }), false);
    assert.equal(matches("c NOT IN ('red', 'green')", { c: 'blue' }), true);
    assert.equal(matches("c NOT IN ('red', 'green')", { c: 'red' }), false);
    assert.equal(matches("c IN ('it''s')", { c: "it's" }), true);
    assert.equal(matches("c IN ('')", { c: '' }), true);
    assert.equal(matches("c IN ('1')", { c: '1.0' }), false);
  });

  // As ActiveMQ: IN on a value typed as a number (a JMS header) is unknown.
  test('non-string value', () => {
    assert.equal(truth("JMSPriority IN ('4')"), 'unknown');
    assert.equal(matches("priority IN ('4', '5')", { priority: '4' }), true);
  });
});

describe('JMS header names', () => {
  // Each maps to ActiveMQ's STOMP header, typed as ActiveMQ types it.
  test('mapping', () => {
    assert.equal(matches("JMSType = 'order'", { type: 'order' }), true);
    assert.equal(matches("JMSCorrelationID = 'c1'", { 'correlation-id': 'c1' }), true);
    assert.equal(matches("JMSReplyTo = '/queue/r'", { 'reply-to': '/queue/r' }), true);
    assert.equal(matches("JMSMessageID = 'm-1'", { 'message-id': 'm-1' }), true);
    assert.equal(matches("JMSDestination LIKE '/queue/%'", { destination: '/queue/a' }), true);
    assert.equal(matches('JMSPriority > 5', { priority: '7' }), true);
    assert.equal(matches('JMSPriority > 5', { priority: '3' }), false);
    assert.equal(matches('JMSExpiration = 1700000000000', { expires: '1700000000000' }), true);
    assert.equal(matches('JMSTimestamp < 100', { timestamp: '50' }), true);
    assert.equal(matches("JMSDeliveryMode = 'PERSISTENT'", { persistent: 'true' }), true);
    assert.equal(matches('JMSRedelivered', { redelivered: 'true' }), true);
    assert.equal(matches('JMSXDeliveryCount = 3', { 'x-delivery-count': '2' }), true);
  });

  // What a message without the header reads: ActiveMQ's defaults, or NULL where it has none.
  test('defaults', () => {
    assert.equal(matches('JMSPriority = 4'), true);
    assert.equal(matches('JMSExpiration = 0'), true);
    assert.equal(matches("JMSDeliveryMode = 'NON_PERSISTENT'"), true);
    assert.equal(matches('NOT JMSRedelivered'), true);
    assert.equal(matches('JMSXDeliveryCount = 1'), true);
    assert.equal(matches('JMSTimestamp IS NULL'), true);
    assert.equal(matches('JMSType IS NULL'), true);
  });

  // The JMS names are case-sensitive; anything else is the header of that name.
  test('other names are plain headers', () => {
    assert.equal(matches("jmstype = 'x'", { jmstype: 'x', type: 'y' }), true);
    assert.equal(matches("JMSXGroupID = 'g'", { JMSXGroupID: 'g' }), true);
    // Our STOMP names work directly too (ActiveMQ would find no property called priority).
    assert.equal(matches('priority > 5', { priority: '7' }), true);
  });
});

describe('whitespace and layout', () => {
  // Spaces, tabs, line breaks and form feeds separate tokens; none are needed around operators.
  test('whitespace', () => {
    assert.equal(matches("a='x'AND(b>1)", { a: 'x', b: '2' }), true);
    assert.equal(matches("\ta = 'x'\r\n AND\fb > 1 ", { a: 'x', b: '2' }), true);
    assert.equal(matches('a<>1', { a: '2' }), true);
    assert.equal(matches('a<=1', { a: '1' }), true);
  });
});
