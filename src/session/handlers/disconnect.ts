/** DISCONNECT: graceful close; with a receipt, only after everything sent before has taken effect. */
import type { Frame } from '../../protocol/frame.js';
import type { SessionContext } from '../context.js';

/** DISCONNECT (STOMP 1.2 "DISCONNECT"); open transactions are aborted. */
export function handleDisconnect(frame: Frame, ctx: SessionContext): void {
  ctx.state.transactions.clear();
  const rid = ctx.receiptFor(frame);
  if (rid) {
    // The hub answers in order, so its `done` means every earlier SEND/ACK has been applied.
    ctx.bus({ t: 'sync', rid });
    ctx.closeAfter(rid);
  } else {
    ctx.connection.close();
  }
}
