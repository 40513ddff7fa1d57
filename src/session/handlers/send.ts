/** SEND: to the hub now, or into its transaction until COMMIT. */
import {
  BROKER_SET_HEADERS, type Frame, HEADER_DESTINATION, type Headers, SEND_ONLY_HEADERS,
} from '../../protocol/frame.js';
import { messageProps, requireHeader } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import { transactionOf } from './transaction.js';

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
  const dest = requireHeader(frame, HEADER_DESTINATION);
  const headers = messageHeaders(frame);
  const props = messageProps(frame);
  const tx = transactionOf(frame, ctx);
  if (tx) {
    tx.ops.push({ t: 'publish', dest, headers, body: frame.body, props });
    const rid = ctx.receiptFor(frame);
    if (rid) ctx.bus({ t: 'sync', rid });
    return;
  }
  ctx.bus({ t: 'publish', dest, headers, body: frame.body, props, rid: ctx.receiptFor(frame) });
}
