/**
 * Run-time values of a selector and how they compare. STOMP headers are strings; the conversion
 * rules follow ActiveMQ's STOMP transport, which compiles every STOMP selector with
 * `convert_string_expressions:` so that a string meeting a number or boolean is converted to it
 * (ComparisonExpression.compare), and a failed conversion makes the comparison false, not unknown.
 */

/** A value during evaluation; null is SQL's NULL (an absent header, or unknown). */
export type Value = string | number | boolean | null;

/**
 * `s` as a decimal number: optional sign, digits with an optional fraction, optional exponent, spaces
 * or tabs around allowed (the broker's own integer headers allow them); anything else (hex, NaN,
 * Infinity, the empty string) is null. A hand-written scanner, linear in `s`: the obvious RegExp
 * backtracks quadratically on long digit runs.
 */
export function parseDecimal(s: string): number | null {
  let start = 0;
  let end = s.length;
  while (start < end && isBlank(s.charCodeAt(start))) start++;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  let i = start;
  if (s[i] === '+' || s[i] === '-') i++;
  const intEnd = skipDigits(s, i, end);
  let digits = intEnd - i;
  i = intEnd;
  if (s[i] === '.' && i < end) {
    const fracEnd = skipDigits(s, i + 1, end);
    digits += fracEnd - i - 1;
    i = fracEnd;
  }
  if (digits === 0) return null;
  if (i < end && (s[i] === 'e' || s[i] === 'E')) {
    let j = i + 1;
    if (s[j] === '+' || s[j] === '-') j++;
    i = skipDigits(s, j, end);
    if (i === j) return null;
  }
  return i === end ? Number(s.slice(start, end)) : null;
}

function skipDigits(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  return i;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Java's Boolean.valueOf, which ActiveMQ applies to a string compared with TRUE/FALSE. */
export function stringToBoolean(s: string): boolean {
  return s.length === 4 && s.toLowerCase() === 'true';
}

/** A value used as a number by arithmetic: strings that are decimal numbers convert, nothing else does. */
export function toNumber(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseDecimal(v);
  return null;
}

/**
 * A value used as a condition (alone, or under AND/OR/NOT): a header reads as true when it is
 * "true" in any case; any other string or a number is false; NULL stays unknown.
 */
export function toCondition(v: Value): boolean | null {
  if (v === null || typeof v === 'boolean') return v;
  return typeof v === 'string' && stringToBoolean(v);
}

/**
 * Orders two non-null values: negative, 0, positive, or undefined when they cannot be compared
 * (which makes every comparison false). Same types compare naturally (strings by UTF-16 code units,
 * as Java's compareTo; booleans false < true). A string meeting a number is read as a decimal
 * number, a string meeting a boolean as Boolean.valueOf; a number never meets a boolean.
 */
export function compareValues(a: Exclude<Value, null>, b: Exclude<Value, null>): number | undefined {
  if (typeof a === 'string' && typeof b !== 'string') {
    const converted = convert(a, b);
    return converted === undefined ? undefined : compareValues(converted, b);
  }
  if (typeof b === 'string' && typeof a !== 'string') {
    const converted = convert(b, a);
    return converted === undefined ? undefined : compareValues(a, converted);
  }
  if (typeof a !== typeof b) return undefined;
  if (a === b) return 0;
  if (typeof a === 'number' && (Number.isNaN(a) || Number.isNaN(b))) return undefined;
  return a < b ? -1 : 1;
}

/** `s` as the type of `like`, or undefined when it is not one. */
function convert(s: string, like: number | boolean): number | boolean | undefined {
  if (typeof like === 'boolean') return stringToBoolean(s);
  return parseDecimal(s) ?? undefined;
}
