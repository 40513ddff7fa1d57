/** SUBSCRIBE / UNSUBSCRIBE. */
import { fail } from '../../protocol/errors.js';
import { type Frame, HEADER_DESTINATION, HEADER_ID } from '../../protocol/frame.js';
import { ackModeHeader, prefetchHeader, requireHeader } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import type { Subscription } from '../state.js';

/** SUBSCRIBE (STOMP 1.2 "SUBSCRIBE"); 1.0 clients may omit `id`. */
export function handleSubscribe(frame: Frame, ctx: SessionContext): void {
  const { state } = ctx;
  const dest = requireHeader(frame, HEADER_DESTINATION);
  const id = state.version === '1.0' ? frame.headers[HEADER_ID] ?? dest : requireHeader(frame, HEADER_ID);
  if (state.subscriptions.has(id)) {
    throw fail('DUPLICATE_SUBSCRIPTION', 'Duplicate subscription', `Subscription id '${id}' is already in use.`);
  }
  const ack = ackModeHeader(frame, state.version);
  const prefetch = prefetchHeader(frame, ack === 'auto' ? 0 : ctx.config.defaultPrefetch);
  const sub: Subscription = {
    id, key: state.newSubscriptionKey(), dest, ack, prefetch, claims: 0, unacked: new Map(), closed: false,
  };
  state.subscriptions.set(id, sub);
  state.subsByKey.set(sub.key, sub);
  ctx.bus({ t: 'subscribe', sub: sub.key, dest, ack, prefetch, rid: ctx.receiptFor(frame) });
}

/** UNSUBSCRIBE (STOMP 1.2 "UNSUBSCRIBE"): the hub returns what the subscription held unacked. */
export function handleUnsubscribe(frame: Frame, ctx: SessionContext): void {
  const { state } = ctx;
  const id = state.version === '1.0'
    ? frame.headers[HEADER_ID] ?? requireHeader(frame, HEADER_DESTINATION)
    : requireHeader(frame, HEADER_ID);
  const sub = state.subscriptions.get(id);
  if (!sub) throw fail('UNKNOWN_SUBSCRIPTION', 'Unknown subscription', `No subscription with id '${id}'.`);
  state.subscriptions.delete(id);
  sub.closed = true;
  state.untrack([...sub.unacked.values()]);
  if (sub.claims === 0) state.subsByKey.delete(sub.key);
  ctx.bus({ t: 'unsubscribe', sub: sub.key, rid: ctx.receiptFor(frame) });
}
