/**
 * Selector tokenizer: turns the text into identifiers, literals, keywords and operators, each with
 * its offset so the parser can say where a problem is. Literal syntax follows ActiveMQ's
 * SelectorParser.jj (decimal, hex `0x1F`, octal `017`, `L` suffix, floats `1.5`, `.5`, `5.`, `5E3`).
 */
import { errorAt, quoteText } from './selector-error.js';

/** What kind of token: the parser switches on this. */
export type TokenType = 'ident' | 'string' | 'number' | 'keyword' | 'op' | 'end';

/** One token: `text` is the source as written, `value` what it means (decoded string, number, upper-case keyword). */
export interface Token {
  type: TokenType;
  text: string;
  value: string | number;
  offset: number;
}

/** Reserved words of JMS selectors; case-insensitive, never header names. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'AND', 'OR', 'NOT', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'TRUE', 'FALSE', 'NULL',
]);

const OPERATORS = ['<>', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ','];
const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f']);
// Java identifiers, as JMS specifies (ActiveMQ itself accepts only the ASCII ones).
const IDENT_START = /^[\p{L}\p{Nl}_$]$/u;
const IDENT_PART = /^[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}_$]$/u;

/** All tokens of `source`, ending with one `end` token; throws SelectorError on a malformed one. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    if (WHITESPACE.has(source[i])) {
      i++;
      continue;
    }
    const token = readToken(source, i);
    tokens.push(token);
    i += token.text.length;
  }
  tokens.push({ type: 'end', text: '', value: '', offset: source.length });
  return tokens;
}

function readToken(source: string, i: number): Token {
  const c = source[i];
  if (c === "'") return readQuoted(source, i, "'", 'string');
  if (c === '"') return readQuoted(source, i, '"', 'ident');
  if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) return readNumber(source, i);
  const cp = String.fromCodePoint(source.codePointAt(i) ?? 0);
  if (IDENT_START.test(cp)) return readWord(source, i);
  const op = OPERATORS.find((o) => source.startsWith(o, i));
  if (op !== undefined) return { type: 'op', text: op, value: op, offset: i };
  throw errorAt(source, i, `unexpected character ${quoteText(cp)}`);
}

/**
 * A 'string literal' or a "quoted identifier" (SQL-92's delimited identifier, our extension so that
 * headers such as "content-type" can be named); the quote doubled stands for itself.
 */
function readQuoted(source: string, start: number, quote: string, type: 'string' | 'ident'): Token {
  let value = '';
  let i = start + 1;
  for (;;) {
    const end = source.indexOf(quote, i);
    if (end < 0) {
      const what = type === 'string' ? 'string' : 'quoted header name';
      throw errorAt(source, start, `expected a closing ${quote} for this ${what}`);
    }
    value += source.slice(i, end);
    if (source[end + 1] !== quote) {
      i = end + 1;
      break;
    }
    value += quote;
    i = end + 2;
  }
  if (type === 'ident' && value === '') throw errorAt(source, start, 'expected a header name between the double quotes');
  return { type, text: source.slice(start, i), value, offset: start };
}

function readWord(source: string, start: number): Token {
  let i = start;
  while (i < source.length) {
    const cp = source.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (!IDENT_PART.test(ch)) break;
    i += ch.length;
  }
  const text = source.slice(start, i);
  const upper = text.toUpperCase();
  if (KEYWORDS.has(upper)) return { type: 'keyword', text, value: upper, offset: start };
  return { type: 'ident', text, value: text, offset: start };
}

function readNumber(source: string, start: number): Token {
  if (source[start] === '0' && (source[start + 1] === 'x' || source[start + 1] === 'X')) return readHex(source, start);
  let i = skipDigits(source, start);
  let float = false;
  if (source[i] === '.') {
    float = true;
    i = skipDigits(source, i + 1);
  }
  if (source[i] === 'e' || source[i] === 'E') {
    float = true;
    let j = i + 1;
    if (source[j] === '+' || source[j] === '-') j++;
    const digits = skipDigits(source, j);
    if (digits === j) throw errorAt(source, i, `expected digits in the exponent of ${quoteText(source.slice(start, j))}`);
    i = digits;
  }
  if (float) return numberToken(source, start, i, Number(source.slice(start, i)));
  return readInteger(source, start, i);
}

/** Decimal, or octal when it starts with 0 (as in ActiveMQ, where 010 is 8); an optional L suffix. */
function readInteger(source: string, start: number, end: number): Token {
  const digits = source.slice(start, end);
  const octal = digits.length > 1 && digits[0] === '0';
  if (octal && /[89]/.test(digits)) {
    throw errorAt(source, start, `expected octal digits (0-7) in ${quoteText(digits)}: a number starting with 0 is octal`);
  }
  const value = octal ? parseInt(digits, 8) : Number(digits);
  const suffix = source[end] === 'l' || source[end] === 'L' ? 1 : 0;
  return numberToken(source, start, end + suffix, value);
}

function readHex(source: string, start: number): Token {
  let i = start + 2;
  while (i < source.length && /[0-9a-fA-F]/.test(source[i])) i++;
  if (i === start + 2) throw errorAt(source, start, `expected hex digits after ${quoteText(source.slice(start, i))}`);
  const value = parseInt(source.slice(start + 2, i), 16);
  const suffix = source[i] === 'l' || source[i] === 'L' ? 1 : 0;
  return numberToken(source, start, i + suffix, value);
}

function numberToken(source: string, start: number, end: number, value: number): Token {
  return { type: 'number', text: source.slice(start, end), value, offset: start };
}

function skipDigits(source: string, i: number): number {
  while (i < source.length && isDigit(source[i])) i++;
  return i;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
