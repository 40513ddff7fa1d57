/**
 * BEGIN / COMMIT / ABORT. A transaction lives in the session; COMMIT sends all its operations to the
 * hub in one message, which applies them in one turn. ABORT (or a disconnect) discards them.
 */
import { fail } from '../../protocol/errors.js';
import { type Frame, HEADER_TRANSACTION } from '../../protocol/frame.js';
import { requireHeader } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import type { Transaction } from '../state.js';

/** The open transaction a frame names, undefined if it names none; unknown names are an error. */
export function transactionOf(frame: Frame, ctx: SessionContext): Transaction | undefined {
  const name = frame.headers[HEADER_TRANSACTION];
  if (name === undefined) return undefined;
  return openTransaction(name, frame, ctx);
}

function openTransaction(name: string, frame: Frame, ctx: SessionContext): Transaction {
  const tx = ctx.state.transactions.get(name);
  if (!tx) {
    throw fail('UNKNOWN_TRANSACTION', 'Unknown transaction',
      `${frame.command} names transaction '${name}', which is not open.`);
  }
  return tx;
}

/** Answers a frame handled inside the session, in order with the requests before it. */
export function receiptOnly(frame: Frame, ctx: SessionContext): void {
  const rid = ctx.receiptFor(frame);
  if (rid) ctx.bus({ t: 'sync', rid });
}

/** BEGIN (STOMP 1.2 "BEGIN"). */
export function handleBegin(frame: Frame, ctx: SessionContext): void {
  const name = requireHeader(frame, HEADER_TRANSACTION);
  if (ctx.state.transactions.has(name)) {
    throw fail('DUPLICATE_TRANSACTION', 'Transaction already started', `Transaction '${name}' is already open.`);
  }
  ctx.state.transactions.set(name, { ops: [], settles: [] });
  receiptOnly(frame, ctx);
}

/** COMMIT (STOMP 1.2 "COMMIT"): everything in the transaction takes effect at once. */
export function handleCommit(frame: Frame, ctx: SessionContext): void {
  const name = requireHeader(frame, HEADER_TRANSACTION);
  const tx = openTransaction(name, frame, ctx);
  ctx.state.transactions.delete(name);
  ctx.state.untrack(tx.settles);
  ctx.bus({ t: 'commit', ops: tx.ops, rid: ctx.receiptFor(frame) });
}

/** ABORT (STOMP 1.2 "ABORT"): nothing in the transaction takes effect. */
export function handleAbort(frame: Frame, ctx: SessionContext): void {
  const name = requireHeader(frame, HEADER_TRANSACTION);
  openTransaction(name, frame, ctx);
  ctx.state.transactions.delete(name);
  receiptOnly(frame, ctx);
}
