/**
 * Frame serialization: the inverse of FrameParser. Pure; the body is copied byte for byte and never
 * turned into a string.
 */
import { escapeHeader, RAW_COMMANDS } from './escape.js';
import { HEADER_CONTENT_LENGTH, type Frame, type StompVersion } from './frame.js';

/** A heart-beat: one bare EOL between frames. */
export const HEARTBEAT = Buffer.from('\n');


/** Commands whose receivers need content-length even for an empty body. */
const ALWAYS_LENGTH = new Set(['MESSAGE', 'ERROR']);

/**
 * Where no escaping applies (1.0, CONNECTED), an LF inside a name or value would end the line and
 * let a header value written by one client forge header lines in a frame sent to another, so it
 * becomes a space.
 */
function raw(text: string): string {
  return text.indexOf('\n') === -1 ? text : text.replace(/\n/g, ' ');
}

/** The command line and header block, through the blank line, as text. */
function head(frame: Frame, version: StompVersion): string {
  const encode = RAW_COMMANDS.has(frame.command) || version === '1.0'
    ? raw
    : (text: string) => escapeHeader(text, version);
  const bodyLength = frame.body.length;
  let out = frame.command + '\n';
  let hasLength = false;
  for (const name of Object.keys(frame.headers)) {
    // A stale or forged content-length would desynchronise the receiver: write the true one.
    if (name === HEADER_CONTENT_LENGTH) {
      hasLength = true;
      out += `${HEADER_CONTENT_LENGTH}:${bodyLength}\n`;
    } else {
      out += encode(name) + ':' + encode(frame.headers[name]) + '\n';
    }
  }
  if (!hasLength && (bodyLength > 0 || ALWAYS_LENGTH.has(frame.command))) {
    out += `${HEADER_CONTENT_LENGTH}:${bodyLength}\n`;
  }
  return out + '\n';
}

/** Bodies at least this long are written beside the head (writev), not copied behind it. */
const SPLIT_MIN = 1024;
const NUL = Buffer.from([0]);

/**
 * Serializes `frame` as Buffers to write in order (corked: one writev): a large body is passed as it is,
 * never copied; a small frame is one Buffer.
 */
export function serializeFrameParts(frame: Frame, version: StompVersion): Buffer[] {
  if (frame.body.length < SPLIT_MIN) return [serializeFrame(frame, version)];
  return [Buffer.from(head(frame, version), 'utf8'), frame.body, NUL];
}

/** Serializes `frame` for a peer speaking `version`: one Buffer holding command, headers, body, NUL. */
export function serializeFrame(frame: Frame, version: StompVersion): Buffer {
  const text = head(frame, version);
  const headLength = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(headLength + frame.body.length + 1);
  out.write(text, 0, 'utf8');
  frame.body.copy(out, headLength);
  out[out.length - 1] = 0;
  return out;
}
