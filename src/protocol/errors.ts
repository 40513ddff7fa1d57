/**
 * Protocol errors and the one builder of ERROR frames. A StompError carries a short title for the
 * ERROR frame's `message` header and a detail for its body; operator-only detail goes to the log.
 */
import {
  type Frame, HEADER_CONTENT_TYPE, HEADER_MESSAGE, HEADER_RECEIPT, HEADER_RECEIPT_ID, HEADER_VERSION,
  SUPPORTED_VERSIONS,
} from './frame.js';

/**
 * Every error code, with what it means:
 * - BAD_FRAME: a frame that does not follow the STOMP grammar (no command line, header without colon …)
 * - BAD_ESCAPE: a header uses an escape sequence the version does not define
 * - BAD_CONTENT_LENGTH: content-length is not a number, or the byte after the body is not NUL
 * - FRAME_TOO_LARGE: the frame (or its body) exceeds the configured limit
 * - HEADER_TOO_LONG: one header line exceeds the configured limit
 * - TOO_MANY_HEADERS: more header lines than the configured limit
 * - UNKNOWN_COMMAND: the command is not one a client may send
 * - NOT_CONNECTED: a frame other than CONNECT/STOMP before the session is connected
 * - ALREADY_CONNECTED: a second CONNECT on a connected session
 * - UNSUPPORTED_VERSION: no version in accept-version is one we speak
 * - MISSING_HEADER: a header the command requires is absent
 * - BAD_HEADER: a header has a value the command does not allow
 * - BAD_DESTINATION: the destination is not /queue/…, /topic/… or otherwise routable
 * - UNKNOWN_SUBSCRIPTION: UNSUBSCRIBE or ACK names a subscription this session does not have
 * - DUPLICATE_SUBSCRIPTION: SUBSCRIBE reuses an id that is still active
 * - UNKNOWN_TRANSACTION: COMMIT/ABORT/SEND … names a transaction that was not begun
 * - DUPLICATE_TRANSACTION: BEGIN names a transaction that is already open
 * - UNKNOWN_MESSAGE: ACK/NACK names a message that is not awaiting acknowledgement here
 * - ACK_TIMEOUT: ACK/NACK names a message whose ack timeout passed (it went back to its queue)
 * - CONNECT_TIMEOUT: no CONNECT arrived within the deadline
 * - HEARTBEAT_TIMEOUT: the client promised heart-beats and went silent
 * - ACCESS_REFUSED: a failed login, or a frame its user has not the right to send (read, write, admin)
 * - RESOURCE_LIMIT: a broker limit (queue bound, transaction size, connections) refuses the request
 * - INTERNAL: an unexpected failure inside the broker
 */
export type StompErrorCode =
  | 'BAD_FRAME' | 'BAD_ESCAPE' | 'BAD_CONTENT_LENGTH' | 'FRAME_TOO_LARGE' | 'HEADER_TOO_LONG'
  | 'TOO_MANY_HEADERS' | 'UNKNOWN_COMMAND' | 'NOT_CONNECTED' | 'ALREADY_CONNECTED' | 'UNSUPPORTED_VERSION'
  | 'MISSING_HEADER' | 'BAD_HEADER' | 'BAD_DESTINATION' | 'UNKNOWN_SUBSCRIPTION' | 'DUPLICATE_SUBSCRIPTION'
  | 'UNKNOWN_TRANSACTION' | 'DUPLICATE_TRANSACTION' | 'UNKNOWN_MESSAGE' | 'ACK_TIMEOUT' | 'CONNECT_TIMEOUT'
  | 'HEARTBEAT_TIMEOUT' | 'ACCESS_REFUSED' | 'RESOURCE_LIMIT' | 'INTERNAL';

/** A protocol error: `message` is the ERROR frame's title, `detail` its body. */
export class StompError extends Error {
  constructor(
    readonly code: StompErrorCode,
    message: string,
    readonly detail: string = message,
  ) {
    super(message);
    this.name = 'StompError';
  }
}

/** Shorthand used by validators: `throw fail('MISSING_HEADER', 'Missing header', '...')`. */
export function fail(code: StompErrorCode, message: string, detail?: string): StompError {
  return new StompError(code, message, detail);
}

/**
 * Builds the ERROR frame for `err`. When the offending frame asked for a receipt, the ERROR carries
 * its `receipt-id` (STOMP 1.2 "ERROR"). An unsupported version lists ours in `version`.
 */
export function toErrorFrame(err: StompError, offending?: Frame): Frame {
  const headers: Record<string, string> = { [HEADER_MESSAGE]: err.message };
  const receipt = offending?.headers[HEADER_RECEIPT];
  if (receipt !== undefined) headers[HEADER_RECEIPT_ID] = receipt;
  if (err.code === 'UNSUPPORTED_VERSION') headers[HEADER_VERSION] = SUPPORTED_VERSIONS.join(',');
  headers[HEADER_CONTENT_TYPE] = 'text/plain';
  return { command: 'ERROR', headers, body: Buffer.from(err.detail + '\n', 'utf8') };
}
