/** DISCONNECT: graceful close; with a receipt, only after everything sent before has taken effect. */
import type { Frame } from '../../protocol/frame.js';
import type { SessionContext } from '../context.js';

/**
 * DISCONNECT (STOMP 1.2 "DISCONNECT"); open transactions are aborted. Every subscription ends before
 * the RECEIPT, so by then the hub has put back whatever the client left unacknowledged (a durable
 * subscription is only detached).
 */
export function handleDisconnect(frame: Frame, ctx: SessionContext): void {
  const { state } = ctx;
  state.disconnected = true;
  state.transactions.clear();
  for (const sub of [...state.subscriptions.values()]) {
    state.closeSubscription(sub);
    ctx.bus({ t: 'unsubscribe', sub: sub.key, forget: false, rid: 0 });
  }
  const rid = ctx.receiptFor(frame);
  if (rid) {
    // The hub answers in order, so its `done` means every earlier SEND/ACK has been applied.
    ctx.bus({ t: 'sync', rid });
    ctx.closeAfter(rid);
  } else {
    ctx.connection.close();
  }
}
