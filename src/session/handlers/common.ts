/**
 * What several frame handlers share: transactions named by a frame, receipts for local work, and the
 * permission check every request passes before it reaches the hub.
 */
import { missingRight, refusalText } from '../../auth/access.js';
import type { Right } from '../../auth/rights.js';
import type { TxOp } from '../../ipc/contract.js';
import { fail } from '../../protocol/errors.js';
import { type Frame, HEADER_TRANSACTION } from '../../protocol/frame.js';
import type { SessionContext } from '../context.js';
import type { Delivery, Transaction } from '../state.js';

/** The open transaction a frame names, undefined if it names none; unknown names are an error. */
export function transactionOf(frame: Frame, ctx: SessionContext): Transaction | undefined {
  const name = frame.headers[HEADER_TRANSACTION];
  if (name === undefined) return undefined;
  return openTransaction(name, frame, ctx);
}

/** The open transaction `name`; an error when it is not open. */
export function openTransaction(name: string, frame: Frame, ctx: SessionContext): Transaction {
  const tx = ctx.state.transactions.get(name);
  if (!tx) {
    throw fail('UNKNOWN_TRANSACTION', 'Unknown transaction',
      `${frame.command} names transaction '${name}', which is not open.`);
  }
  return tx;
}

/**
 * Adds an operation to a transaction, within the connection's limits (`maxTransactionFrames`,
 * `maxTransactionBytes`): the session holds it until COMMIT, so it must stay bounded.
 */
export function addToTransaction(tx: Transaction, op: TxOp, frame: Frame, ctx: SessionContext, settles: Delivery[] = []): void {
  const bytes = op.t === 'publish' ? op.body.length : 0;
  const { maxTransactionFrames, maxTransactionBytes } = ctx.config;
  if (tx.ops.length >= maxTransactionFrames || tx.bytes + bytes > maxTransactionBytes) {
    throw fail('RESOURCE_LIMIT', 'Transaction too large',
      `A transaction may hold at most ${maxTransactionFrames} frames and ${maxTransactionBytes} body bytes.`);
  }
  tx.ops.push(op);
  tx.bytes += bytes;
  tx.settles.push(...settles);
  receiptOnly(frame, ctx);
}

/**
 * Throws ACCESS_REFUSED (naming the destination and the missing right) unless the client may use
 * `right` on `dest` (and admin, for a durable subscription or a dead-letter queue). The hub checks
 * again; a session that let a forbidden request through would be killed.
 */
export function requireRight(ctx: SessionContext, right: Right, dest: string, durable = false): void {
  const { access } = ctx.state;
  if (!access) throw fail('NOT_CONNECTED', 'Not connected', 'The login has not been accepted yet.');
  const missing = missingRight(access, right, dest, durable);
  if (!missing) return;
  const { message, detail } = refusalText(access, missing, dest, durable);
  throw fail('ACCESS_REFUSED', message, detail);
}

/** Answers a frame handled inside the session, in order with the requests before it. */
export function receiptOnly(frame: Frame, ctx: SessionContext): void {
  const rid = ctx.receiptFor(frame);
  if (rid) ctx.bus({ t: 'sync', rid });
}

/** Throws RESOURCE_LIMIT when the connection holds its most subscriptions (temporary queues' count too). */
export function requireSubscriptionRoom(ctx: SessionContext): void {
  if (ctx.state.subscriptions.size >= ctx.config.maxSubscriptions) {
    throw fail('RESOURCE_LIMIT', 'Too many subscriptions',
      `A connection may hold at most ${ctx.config.maxSubscriptions} subscriptions at once.`);
  }
}
