/**
 * Settlement: what becomes of a message once a consumer has it. ACK finishes it (and removes it from
 * the store); NACK, a vanished consumer or a passed ack timeout send it back, after the queue's
 * back-off, or to its dead-letter queue past `maxDeliveries`; expired messages are dropped or
 * dead-lettered.
 */
import type { NackOptions } from '../protocol/headers.js';
import { HEADER_DEAD_LETTER_REASON, HEADER_DELIVERY_FAILURES, HEADER_FAILURE_HISTORY, HEADER_ORIGINAL_DESTINATION,
  type Headers } from '../protocol/frame.js';
import type { HeldMessage, HubSession, HubSubscription } from './model.js';
import { backoffDelay, deadLetterQueue, isDeadLetterQueue } from './policy.js';
import { type InFlight, MAX_TIMER_MS, type Queue } from './queue.js';
import { Refusal, type RouterCore } from './router-core.js';
import { toStored } from './stored.js';

/** In-flight messages by id, and everything that settles them. */
export class Settlement {
  /** The queue of every message granted to a client-mode consumer and not yet settled. */
  private readonly inflight = new Map<number, Queue>();

  constructor(
    private readonly core: RouterCore,
    /** The session has credit again: offer it what waits. */
    private readonly unstall: (session: HubSession) => void,
  ) {}

  /** Records a message granted to a client-mode subscription; its ack timeout starts now. */
  hold(sub: HubSubscription, queue: Queue, held: HeldMessage): void {
    // Node fires a timer of more than 2^31-1 ms (~24.8 days) at once: a longer ack timeout is that long.
    const timeout = Math.min(sub.ackTimeoutMs || queue.policy.ackTimeoutMs, MAX_TIMER_MS);
    const id = held.wire.id;
    const timer = timeout > 0 ? setTimeout(() => this.ackTimedOut(id), timeout) : null;
    queue.inflight.set(id, { held, holder: sub, timer });
    this.inflight.set(id, queue);
    sub.unacked.add(id);
    this.core.flow.update(sub.session);
  }

  /** Acknowledged: the messages are done; resolves once they are off the disk. */
  ack(session: HubSession, ids: readonly number[]): Promise<void> | undefined {
    const removals = this.persistentOf(session, ids);
    this.ackInMemory(session, ids);
    if (removals.length === 0) return undefined;
    return this.core.store.write({ remove: removals }).catch((err: Error) => {
      this.core.background({ remove: removals }); // retried until it holds: an ACK must not be undone by a restart
      throw new Refusal('Acknowledgement not stored', `The store refused the acknowledgement: ${err.message}`);
    });
  }

  /** The ids among `ids` that `session` holds and that are on disk. */
  persistentOf(session: HubSession, ids: readonly number[]): number[] {
    return ids.filter((id) => this.heldBy(session, id)?.held.persistent);
  }

  /** ACK without the store (a COMMIT writes the removals in its own transaction). */
  ackInMemory(session: HubSession, ids: readonly number[]): void {
    for (const id of ids) {
      const entry = this.release(session, id);
      if (entry) this.finish(entry.queue, entry.held, false);
    }
    this.unstall(session); // offers what the freed credit allows
  }

  /** Refused by the client: redelivered per the queue's policy, or dead-lettered. */
  nack(session: HubSession, ids: readonly number[], options: NackOptions): Promise<void> | undefined {
    const writes: Promise<void>[] = [];
    for (const id of ids) {
      const entry = this.release(session, id);
      if (!entry) continue;
      const w = this.redeliver(entry.queue, entry.held, options.reason || 'rejected by consumer',
        options.retryAfterMs, !options.requeue);
      if (w) writes.push(w);
    }
    this.unstall(session);
    return writes.length > 0 ? Promise.all(writes).then(() => {}) : undefined;
  }

  /** Every unacknowledged message of `sub` goes back to its queue (its consumer went away). */
  returnAll(sub: HubSubscription): void {
    for (const id of [...sub.unacked]) this.takeBack(id, 'consumer went away', false);
  }

  /**
   * One more failed delivery: back to the queue (after `retryAfterMs`, or the policy's back-off when
   * it is -1), or to the dead-letter queue past `maxDeliveries` or when `deadLetter` asks for it.
   * Resolves once a persistent message's new state is on disk.
   */
  redeliver(queue: Queue, held: HeldMessage, reason: string, retryAfterMs: number, deadLetter: boolean): Promise<void> | undefined {
    held.wire.redeliveries++;
    held.failures.push({ time: Date.now(), reason });
    const { maxDeliveries, backoff } = queue.policy;
    if (deadLetter || (maxDeliveries > 0 && held.wire.redeliveries >= maxDeliveries)) {
      const why = deadLetter ? reason : `delivered ${held.wire.redeliveries} times (maximum ${maxDeliveries}); last: ${reason}`;
      const moved = this.deadLetter(queue, held, why);
      if (moved !== null) return moved;
    }
    const delay = retryAfterMs >= 0 ? retryAfterMs : backoffDelay(backoff, held.wire.redeliveries);
    held.deliverAt = delay > 0 ? Date.now() + delay : 0;
    queue.place(held, true);
    this.core.dispatch(queue);
    return held.persistent ? this.core.store.write({ put: [toStored(held)] }) : undefined;
  }

  /** An expired message: dropped, or dead-lettered when the queue's policy says so. */
  expire(queue: Queue, held: HeldMessage): void {
    queue.expired++;
    if (queue.policy.expired === 'dead-letter' && this.deadLetter(queue, held, 'expired') !== null) return;
    this.discard(held);
  }

  /** A message leaves the broker without being delivered (dropped by overflow or expiry). */
  discard(held: HeldMessage): void {
    this.core.flow.release(held);
    if (held.persistent) this.core.background({ remove: [held.wire.id] });
  }

  /** A message was consumed: count it, release its memory, and (unless the caller does) its storage. */
  finish(queue: Queue, held: HeldMessage, removeFromStore = true): void {
    queue.delivered++;
    this.core.flow.release(held);
    if (removeFromStore && held.persistent) this.core.background({ remove: [held.wire.id] });
  }

  /** Takes an in-flight message `session` holds out of flight. */
  private release(session: HubSession, id: number): { queue: Queue; held: HeldMessage } | undefined {
    const entry = this.heldBy(session, id);
    if (!entry) return undefined;
    const queue = this.inflight.get(id)!;
    this.dropInflight(queue, id, entry);
    return { queue, held: entry.held };
  }

  private heldBy(session: HubSession, id: number): InFlight | undefined {
    const entry = this.inflight.get(id)?.inflight.get(id);
    return entry && entry.holder.session === session ? entry : undefined;
  }

  private dropInflight(queue: Queue, id: number, entry: InFlight): void {
    if (entry.timer) clearTimeout(entry.timer);
    this.inflight.delete(id);
    queue.inflight.delete(id);
    entry.holder.unacked.delete(id);
    this.core.flow.update(entry.holder.session); // a producer that holds nothing unacked any more may be paused
  }

  /** An in-flight message comes back because its consumer left or its ack timeout passed. */
  private takeBack(id: number, reason: string, withBackoff: boolean): void {
    const queue = this.inflight.get(id);
    const entry = queue?.inflight.get(id);
    if (!queue || !entry) return;
    this.dropInflight(queue, id, entry);
    this.comeBack(queue, entry.held, reason, withBackoff);
  }

  /** A delivery that failed without a NACK (consumer gone, ack timeout): redelivered, a failure logged not lost. */
  comeBack(queue: Queue, held: HeldMessage, reason: string, withBackoff: boolean): void {
    this.redeliver(queue, held, reason, withBackoff ? -1 : 0, false)
      ?.catch((err: Error) => this.core.log.error(`store: returning message ${held.wire.id} failed: ${err.message}`));
  }

  private ackTimedOut(id: number): void {
    const entry = this.inflight.get(id)?.inflight.get(id);
    if (!entry) return;
    const { holder } = entry;
    holder.session.send({ t: 'revoke', sub: holder.key, ids: [id] });
    this.takeBack(id, 'ack timeout', true);
    this.unstall(holder.session);
  }

  /**
   * Moves a message to its queue's dead-letter queue with its history, in one store transaction for
   * a persistent one (resolves when durable); null when `queue` is itself a dead-letter queue.
   */
  private deadLetter(queue: Queue, held: HeldMessage, reason: string): Promise<void> | undefined | null {
    const dlqName = deadLetterQueue(queue.policy, queue.name);
    if (queue.name === dlqName || isDeadLetterQueue(queue.name)) return null;
    queue.deadLettered++;
    const headers: Headers = {
      ...held.wire.headers,
      [HEADER_ORIGINAL_DESTINATION]: held.wire.dest,
      [HEADER_DEAD_LETTER_REASON]: reason,
      [HEADER_DELIVERY_FAILURES]: String(held.failures.length),
      [HEADER_FAILURE_HISTORY]: JSON.stringify(held.failures),
    };
    const dlq = this.core.destinations.queueFor(dlqName);
    const moved = this.core.newMessage(dlq, dlqName, headers, held.wire.body,
      { persistent: held.persistent, priority: held.priority, delayMs: 0, expiresAt: 0 }, held.producer);
    this.core.flow.release(held);
    if (!held.persistent) {
      this.core.enqueue(dlq, moved, undefined); // behind any dead letter still being written: order kept
      return undefined;
    }
    const durable = this.core.store.write({ put: [toStored(moved)], remove: [held.wire.id] });
    this.core.enqueue(dlq, moved, durable);
    return durable;
  }
}
