/**
 * Temporary queues (`/temp-queue/NAME`), as RabbitMQ and ActiveMQ offer them for request/reply: private
 * to the connection that uses them and gone when it ends. Everyone else knows one by its public name,
 * `/reply-queue/<session>.NAME`: a SEND whose `reply-to` names a temporary queue has it rewritten to that
 * name, and its sender is subscribed to the queue (subscription id = the temporary name) if it was not.
 */
import { REPLY_QUEUE_PREFIX, TEMP_QUEUE_PREFIX, isTempQueue } from '../protocol/destination.js';
import type { SessionContext } from './context.js';

/** The public (hub-side) name of this connection's temporary queue `dest`, or `dest` itself. */
export function resolveTemp(ctx: SessionContext, dest: string): string {
  return isTempQueue(dest) ? `${REPLY_QUEUE_PREFIX}${ctx.sessionName}.${dest.slice(TEMP_QUEUE_PREFIX.length)}` : dest;
}

/**
 * A `reply-to` naming a temporary queue: the connection is subscribed to it (auto ack, id = its name) if
 * it is not yet, and the header gets its public name.
 */
export function replyTo(ctx: SessionContext, value: string): string {
  if (!isTempQueue(value)) return value;
  const dest = resolveTemp(ctx, value);
  const { state } = ctx;
  if (!state.subscriptions.has(value)) {
    const key = state.newSubscriptionKey();
    state.addSubscription({
      id: value, key, dest, alias: value, ack: 'auto', prefetch: 0, claims: 0, unacked: new Map(), closed: false,
      durable: false,
    });
    ctx.bus({ t: 'subscribe', sub: key, dest, ack: 'auto', prefetch: 0, ackTimeoutMs: 0, durable: '', rid: 0 });
  }
  return dest;
}
