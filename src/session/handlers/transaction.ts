/**
 * BEGIN / COMMIT / ABORT. A transaction lives in the session; COMMIT sends all its operations to the
 * hub in one message, which applies them in one turn. ABORT (or a disconnect) discards them.
 */
import { fail } from '../../protocol/errors.js';
import { type Frame, HEADER_TRANSACTION } from '../../protocol/frame.js';
import { requireHeader } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import { openTransaction, receiptOnly, requireRight } from './common.js';

/** BEGIN (STOMP 1.2 "BEGIN"). */
export function handleBegin(frame: Frame, ctx: SessionContext): void {
  const name = requireHeader(frame, HEADER_TRANSACTION);
  if (ctx.state.transactions.has(name)) {
    throw fail('DUPLICATE_TRANSACTION', 'Transaction already started', `Transaction '${name}' is already open.`);
  }
  if (ctx.state.transactions.size >= ctx.config.maxTransactions) {
    throw fail('RESOURCE_LIMIT', 'Too many transactions',
      `A connection may have at most ${ctx.config.maxTransactions} transactions open at once.`);
  }
  ctx.state.transactions.set(name, { ops: [], settles: [], bytes: 0 });
  receiptOnly(frame, ctx);
}

/**
 * COMMIT (STOMP 1.2 "COMMIT"): everything in the transaction takes effect at once. Every SEND in it
 * is checked again against the rights of now (a reload may have taken one away since the SEND).
 */
export function handleCommit(frame: Frame, ctx: SessionContext): void {
  const name = requireHeader(frame, HEADER_TRANSACTION);
  const tx = openTransaction(name, frame, ctx);
  for (const op of tx.ops) if (op.t === 'publish') requireRight(ctx, 'write', op.dest);
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
