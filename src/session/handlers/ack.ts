/**
 * ACK / NACK. `client` mode settles every earlier unacknowledged message of the subscription too
 * (cumulative, as RabbitMQ does for both); `client-individual` settles only the one named.
 */
import type { TxOp } from '../../ipc/contract.js';
import { fail } from '../../protocol/errors.js';
import { type Frame, HEADER_ID, HEADER_MESSAGE_ID, HEADER_SUBSCRIPTION } from '../../protocol/frame.js';
import { nackOptions, requireHeader } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import type { Delivery } from '../state.js';
import { addToTransaction, receiptOnly, transactionOf } from './common.js';

type SettleOp = Extract<TxOp, { t: 'ack' | 'nack' }>;

/** ACK (STOMP 1.2 "ACK"). */
export function handleAck(frame: Frame, ctx: SessionContext): void {
  settle(frame, ctx, (ids) => ({ t: 'ack', ids }));
}

/**
 * NACK (STOMP 1.2 "NACK"): queue messages go back to their queue, redelivered, after `retry-after`
 * ms or the destination's back-off; `requeue:false` dead-letters them; `message` is the reason kept.
 */
export function handleNack(frame: Frame, ctx: SessionContext): void {
  const options = nackOptions(frame);
  settle(frame, ctx, (ids) => ({ t: 'nack', ids, options }));
}

/** Settles what the frame names: now, or at COMMIT of its transaction. */
function settle(frame: Frame, ctx: SessionContext, makeOp: (ids: number[]) => SettleOp): void {
  const deliveries = named(frame, ctx);
  const op = makeOp(deliveries.filter((d) => d.fromQueue).map((d) => d.msgId));
  const tx = transactionOf(frame, ctx);
  if (tx) {
    addToTransaction(tx, op, frame, ctx, deliveries);
    return;
  }
  ctx.state.untrack(deliveries);
  if (op.ids.length === 0) receiptOnly(frame, ctx);
  else if (op.t === 'ack') ctx.busAck(op.ids, ctx.receiptFor(frame));
  else ctx.bus({ ...op, rid: ctx.receiptFor(frame) });
}

/** The deliveries an ACK/NACK settles. 1.2 names the `ack` header's value in `id`; 1.0/1.1 name `message-id`. */
function named(frame: Frame, ctx: SessionContext): Delivery[] {
  const header = ctx.state.version === '1.2' ? HEADER_ID : HEADER_MESSAGE_ID;
  const ackId = requireHeader(frame, header);
  const delivery = ctx.state.findDelivery(ackId, frame.headers[HEADER_SUBSCRIPTION]);
  if (!delivery && ctx.state.revoked.has(ackId)) {
    throw fail('ACK_TIMEOUT', 'Ack timeout expired',
      `${frame.command} names '${ackId}', which went back to its queue when its ack timeout passed.`);
  }
  if (!delivery) {
    throw fail('UNKNOWN_MESSAGE', 'Unknown message',
      `${frame.command} names '${ackId}', which is not a message awaiting acknowledgement on this connection.`
      + (ctx.state.version === '1.2' ? ' A STOMP 1.2 ACK or NACK names the MESSAGE\'s ack header in its id header, not its message-id.' : ''));
  }
  if (delivery.sub.ack === 'client-individual') return [delivery];
  const settled: Delivery[] = [];
  for (const d of delivery.sub.unacked.values()) {
    settled.push(d);
    if (d === delivery) break;
  }
  return settled;
}
