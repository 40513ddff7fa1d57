/** SEND: to the hub now, or into its transaction until COMMIT. */
import {
  BROKER_SET_HEADERS, type Frame, HEADER_DESTINATION, HEADER_REPLY_TO, type Headers, SEND_ONLY_HEADERS,
} from '../../protocol/frame.js';
import { resolveDestination } from '../../protocol/destination.js';
import { messageProps, requireHeader } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import { replyTo, resolveTemp } from '../temp-queues.js';
import { addToTransaction, requireRight, transactionOf } from './common.js';

/** Headers of a SEND that travel on to the MESSAGE: everything but what the broker sets. */
function messageHeaders(frame: Frame): Headers {
  const headers: Headers = {};
  for (const name in frame.headers) {
    if (SEND_ONLY_HEADERS.includes(name) || BROKER_SET_HEADERS.includes(name)) continue;
    headers[name] = frame.headers[name];
  }
  return headers;
}

/** SEND (STOMP 1.2 "SEND"). */
export function handleSend(frame: Frame, ctx: SessionContext): void {
  const dest = resolveTemp(ctx, resolveDestination(requireHeader(frame, HEADER_DESTINATION)));
  requireRight(ctx, 'write', dest);
  const headers = messageHeaders(frame);
  if (headers[HEADER_REPLY_TO] !== undefined) headers[HEADER_REPLY_TO] = replyTo(ctx, headers[HEADER_REPLY_TO]);
  const props = messageProps(frame);
  const tx = transactionOf(frame, ctx);
  if (tx) {
    addToTransaction(tx, { t: 'publish', dest, headers, body: frame.body, props }, frame, ctx);
    return;
  }
  ctx.bus({ t: 'publish', dest, headers, body: frame.body, props, rid: ctx.receiptFor(frame) });
}
