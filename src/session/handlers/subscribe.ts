/** SUBSCRIBE / UNSUBSCRIBE, including durable topic subscriptions (ActiveMQ's and RabbitMQ's headers). */
import { isTopic, resolveDestination } from '../../protocol/destination.js';
import { fail } from '../../protocol/errors.js';
import {
  type Frame, HEADER_ACK_TIMEOUT, HEADER_ACTIVEMQ_SUBSCRIPTION_NAME, HEADER_AUTO_DELETE, HEADER_DESTINATION,
  HEADER_DURABLE, HEADER_ID, HEADER_PERSISTENT, HEADER_SELECTOR,
} from '../../protocol/frame.js';
import { compileSelector, type Selector, SelectorError } from '../../selector/selector.js';
import {
  ackModeHeader, booleanHeader, integerHeader, prefetchHeader, requireHeader,
} from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import { resolveTemp } from '../temp-queues.js';
import type { Subscription } from '../state.js';
import { requireRight, requireSubscriptionRoom } from './common.js';

/**
 * The durable subscription a SUBSCRIBE to topic `dest` asks for, '' for none: ActiveMQ's
 * `activemq.subscriptionName` (scoped by CONNECT's `client-id`), or RabbitMQ's `durable:true` +
 * `auto-delete:false`, named by `id` and `dest` together.
 */
function durableName(frame: Frame, ctx: SessionContext, id: string, dest: string): string {
  // Scoped by the login too: another user cannot take over, or end, a subscription by naming it.
  const user = ctx.state.access?.user.name ?? '';
  const scope = (user ? `${user}/` : '') + (ctx.state.clientId ? `${ctx.state.clientId}:` : '');
  const activemq = frame.headers[HEADER_ACTIVEMQ_SUBSCRIPTION_NAME];
  if (activemq !== undefined && activemq !== '') return scope + activemq;
  const durable = booleanHeader(frame, HEADER_DURABLE, false) || booleanHeader(frame, HEADER_PERSISTENT, false);
  // RabbitMQ names the queue after destination and id together: two apps that both use id "1" on
  // different topics have two subscriptions, not one that moves between them.
  if (durable && !booleanHeader(frame, HEADER_AUTO_DELETE, true)) return `${scope}${id}@${dest}`;
  return '';
}

/** The SUBSCRIBE's `selector` (ActiveMQ's header), compiled; undefined when there is none (or it is blank). */
function selectorOf(frame: Frame): Selector | undefined {
  const text = frame.headers[HEADER_SELECTOR];
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return compileSelector(text);
  } catch (err) {
    if (err instanceof SelectorError) throw fail('BAD_HEADER', 'Invalid selector', err.message);
    throw err;
  }
}

/** SUBSCRIBE (STOMP 1.2 "SUBSCRIBE"); 1.0 clients may omit `id`. */
export function handleSubscribe(frame: Frame, ctx: SessionContext): void {
  const { state } = ctx;
  const given = requireHeader(frame, HEADER_DESTINATION);
  const named = resolveDestination(given);
  const dest = resolveTemp(ctx, named);
  // A 1.0 UNSUBSCRIBE names the destination as the client wrote it.
  const id = state.version === '1.0' ? frame.headers[HEADER_ID] ?? given : requireHeader(frame, HEADER_ID);
  if (state.subscriptions.has(id)) {
    throw fail('DUPLICATE_SUBSCRIPTION', 'Duplicate subscription', `Subscription id '${id}' is already in use.`);
  }
  requireSubscriptionRoom(ctx);
  const ack = ackModeHeader(frame);
  const prefetch = prefetchHeader(frame, ack === 'auto' ? 0 : ctx.config.defaultPrefetch);
  const ackTimeoutMs = integerHeader(frame, HEADER_ACK_TIMEOUT, 0);
  const durable = isTopic(dest) ? durableName(frame, ctx, id, dest) : '';
  requireRight(ctx, 'read', dest, durable !== '');
  const selector = selectorOf(frame);
  const sub: Subscription = {
    id, key: state.newSubscriptionKey(), dest, ack, prefetch, claims: 0, passedEpoch: -1, unacked: new Map(), closed: false,
    durable: durable !== '', ...(named !== dest ? { alias: named } : {}), ...(selector ? { selector } : {}),
  };
  state.addSubscription(sub);
  ctx.bus({ t: 'subscribe', sub: sub.key, dest, ack, prefetch, ackTimeoutMs, durable, rid: ctx.receiptFor(frame) });
}

/**
 * UNSUBSCRIBE (STOMP 1.2 "UNSUBSCRIBE"): the hub returns what the subscription held unacked. A durable
 * subscription survives unless the frame says to end it (`activemq.subscriptionName` or `durable:true`).
 */
export function handleUnsubscribe(frame: Frame, ctx: SessionContext): void {
  const { state } = ctx;
  // STOMP 1.0 may name the subscription by its destination instead of its id.
  const byDestination = state.version === '1.0' && frame.headers[HEADER_ID] === undefined;
  const id = byDestination ? requireHeader(frame, HEADER_DESTINATION) : requireHeader(frame, HEADER_ID);
  const sub = byDestination
    ? state.subscriptions.get(id) ?? [...state.subscriptions.values()].find((s) => (s.alias ?? s.dest) === id)
    : state.subscriptions.get(id);
  if (!sub) throw fail('UNKNOWN_SUBSCRIPTION', 'Unknown subscription', `No subscription with id '${id}'.`);
  const forget = frame.headers[HEADER_ACTIVEMQ_SUBSCRIPTION_NAME] !== undefined
    || booleanHeader(frame, HEADER_DURABLE, false) || booleanHeader(frame, HEADER_PERSISTENT, false);
  // Ending a durable subscription for good is an admin act, as creating one is.
  if (forget && sub.durable) requireRight(ctx, 'admin', sub.dest);
  state.closeSubscription(sub);
  state.untrack([...sub.unacked.values()]);
  ctx.bus({ t: 'unsubscribe', sub: sub.key, forget, rid: ctx.receiptFor(frame) });
}
