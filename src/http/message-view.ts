/**
 * A held message as the management API shows it: headers, a preview of the body (text when it is
 * UTF-8 without NUL bytes, else base64), and for a dead letter its original queue, the reason and
 * the history of its failed deliveries (from the headers settlement gave it).
 */
import type { HeldMessage } from '../hub/model.js';
import {
  HEADER_DEAD_LETTER_REASON, HEADER_DELIVERY_FAILURES, HEADER_FAILURE_HISTORY, HEADER_ORIGINAL_DESTINATION,
  type Headers,
} from '../protocol/frame.js';

/** One failed delivery: when (epoch ms) and why. */
export interface FailureView {
  time: number;
  reason: string;
}

/** The dead-letter part of a message's view. */
export interface DeadLetterView {
  originalDestination: string;
  reason: string;
  failures: number;
  history: FailureView[];
}

/** One message of a browsed queue. */
export interface MessageView {
  id: number;
  destination: string;
  priority: number;
  persistent: boolean;
  /** Deliveries before now. */
  redeliveries: number;
  /** Not offered before this time (epoch ms; 0 = now). */
  deliverAt: number;
  /** Expires at this time (epoch ms; 0 = never). */
  expiresAt: number;
  headers: Headers;
  bodyBytes: number;
  /** The first bytes of the body, as text or base64 (`bodyEncoding`). */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  /** Whether `body` holds less than the whole body. */
  truncated: boolean;
  /** Failures of this copy (deliveries from the queue it is in now). */
  failures: FailureView[];
  deadLetter: DeadLetterView | null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The view of `held`, with at most `previewBytes` of its body. */
export function messageView(held: HeldMessage, previewBytes: number): MessageView {
  const { wire } = held;
  return {
    id: wire.id, destination: wire.dest, priority: held.priority, persistent: held.persistent,
    redeliveries: wire.redeliveries, deliverAt: held.deliverAt, expiresAt: held.expiresAt, headers: wire.headers,
    bodyBytes: wire.body.length, ...preview(wire.body, previewBytes), truncated: wire.body.length > previewBytes,
    failures: held.failures.map((f) => ({ time: f.time, reason: f.reason })), deadLetter: deadLetterOf(wire.headers),
  };
}

/** The first `max` bytes as text (cut at a character boundary) when they are UTF-8 without NUL, else base64. */
export function preview(body: Buffer, max: number): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  let end = Math.min(body.length, max);
  // Cut before a character whose bytes run past the preview: back to the start of that character.
  if (end < body.length) while (end > 0 && (body[end] & 0xc0) === 0x80) end--;
  const head = body.subarray(0, end);
  if (!head.includes(0)) {
    try {
      return { body: strictUtf8.decode(head), bodyEncoding: 'utf8' };
    } catch {
      // not UTF-8: base64 below
    }
  }
  return { body: body.subarray(0, Math.min(body.length, max)).toString('base64'), bodyEncoding: 'base64' };
}

/** The dead-letter headers of a message, or null when it has none. */
export function deadLetterOf(headers: Headers): DeadLetterView | null {
  const original = headers[HEADER_ORIGINAL_DESTINATION];
  if (original === undefined) return null;
  return {
    originalDestination: original, reason: headers[HEADER_DEAD_LETTER_REASON] ?? '',
    failures: Number(headers[HEADER_DELIVERY_FAILURES] ?? 0) || 0, history: parseHistory(headers[HEADER_FAILURE_HISTORY]),
  };
}

/** The `failure-history` header's entries; anything malformed in it (a client may send it) is left out. */
function parseHistory(text: string | undefined): FailureView[] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((f: unknown) => {
    const e = f as { time?: unknown; reason?: unknown };
    return typeof e?.time === 'number' && typeof e.reason === 'string' ? [{ time: e.time, reason: e.reason }] : [];
  });
}
