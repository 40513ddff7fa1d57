/**
 * Header escaping (STOMP 1.2 "Value Encoding"). 1.0 has no escaping; 1.1 escapes backslash, LF and
 * colon; 1.2 adds CR. Escaping applies to header names and values alike.
 */
import type { StompVersion } from './frame.js';

/** Commands whose headers are never escaped (STOMP 1.2 "Value Encoding"): written and read raw. */
export const RAW_COMMANDS: ReadonlySet<string> = new Set(['CONNECT', 'STOMP', 'CONNECTED']);

const NEEDS_ESCAPE_11 = /[\\\n:]/;
const NEEDS_ESCAPE_12 = /[\\\n:\r]/;
const ESCAPE_ALL_11 = /[\\\n:]/g;
const ESCAPE_ALL_12 = /[\\\n:\r]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\\': return '\\\\';
    case '\n': return '\\n';
    case ':': return '\\c';
    default: return '\\r';
  }
}

/** Escapes one header name or value for the wire in `version`. */
export function escapeHeader(value: string, version: StompVersion): string {
  if (version === '1.0') return value;
  const is12 = version === '1.2';
  // Most headers contain none of these characters; testing first avoids building a new string.
  if (!(is12 ? NEEDS_ESCAPE_12 : NEEDS_ESCAPE_11).test(value)) return value;
  return value.replace(is12 ? ESCAPE_ALL_12 : ESCAPE_ALL_11, escapeChar);
}

/**
 * The character an escape sequence `\<c>` stands for in `version`, or undefined when the sequence is
 * undefined there (1.1 does not define `\r`: "undefined escape sequences ... MUST be treated as a
 * fatal protocol error").
 */
function unescapeChar(c: string | undefined, version: StompVersion): string | undefined {
  switch (c) {
    case '\\': return '\\';
    case 'n': return '\n';
    case 'c': return ':';
    case 'r': return version === '1.2' ? '\r' : undefined;
    default: return undefined;
  }
}

/** Decodes one header name or value read in `version`; null when it holds an undefined escape. */
export function unescapeHeader(raw: string, version: StompVersion): string | null {
  if (version === '1.0') return raw;
  let at = raw.indexOf('\\');
  if (at === -1) return raw;
  let out = '';
  let last = 0;
  while (at !== -1) {
    const decoded = unescapeChar(raw[at + 1], version);
    if (decoded === undefined) return null;
    out += raw.slice(last, at) + decoded;
    last = at + 2;
    at = raw.indexOf('\\', last);
  }
  return out + raw.slice(last);
}
