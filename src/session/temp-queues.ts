/**
 * Temporary queues (`/temp-queue/NAME`), as RabbitMQ and ActiveMQ offer them for request/reply: private
 * to the connection that uses them and gone when it ends. Everyone else knows one by its public name,
 * `/reply-queue/session-<pid>-<random token>.NAME` (the hub draws the prefix per login and sends it with
 * the client's rights, see auth/access.ts): a SEND whose `reply-to` names a temporary queue has it rewritten to that
 * name, and its sender is subscribed to the queue (subscription id = the temporary name) if it was not.
 */
import { REPLY_QUEUE_PREFIX, TEMP_QUEUE_PREFIX, isTempQueue } from '../protocol/destination.js';
import type { SessionContext } from './context.js';
import { requireSubscriptionRoom } from './handlers/common.js';

/** The public (hub-side) name of this connection's temporary queue `dest`, or `dest` itself. */
export function resolveTemp(ctx: SessionContext, dest: string): string {
  if (!isTempQueue(dest)) return dest;
  // Frames are handled only after the login answer, which carries the prefix; the fallback is never used.
  const prefix = ctx.state.access?.ownQueues ?? `${REPLY_QUEUE_PREFIX}${ctx.sessionName}.`;
  return prefix + dest.slice(TEMP_QUEUE_PREFIX.length);
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
    requireSubscriptionRoom(ctx);
    const key = state.newSubscriptionKey();
    state.addSubscription({
      id: value, key, dest, alias: value, ack: 'auto', prefetch: 0, claims: 0, passedEpoch: -1, unacked: new Map(), closed: false,
      durable: false,
    });
    ctx.bus({ t: 'subscribe', sub: key, dest, ack: 'auto', prefetch: 0, ackTimeoutMs: 0, durable: '', rid: 0 });
  }
  return dest;
}
