/**
 * Operations: what an operator reads and does through the management API (src/http/): read-only views
 * of destinations, browsing a queue without consuming it, purging it, and moving dead letters back to
 * the queue they failed in. The hub is single-threaded and routes while the API is used, so every call
 * costs O(what it returns or changes), and a purge takes a chunk per event-loop turn.
 */
import { isTopic } from '../protocol/destination.js';
import {
  HEADER_DEAD_LETTER_REASON, HEADER_DELIVERY_FAILURES, HEADER_FAILURE_HISTORY, HEADER_ORIGINAL_DESTINATION,
  type Headers, MAX_PRIORITY,
} from '../protocol/frame.js';
import type { HeldMessage } from './model.js';
import { deadLetterQueue, isDeadLetterQueue } from './policy.js';
import type { Queue } from './queue.js';
import type { RouterCore } from './router-core.js';
import { fromStored, toStored } from './stored.js';
import type { TopicRegistry } from './topics.js';

/** One destination as the management API shows it; counters start when the hub (re)creates the queue. */
export interface DestinationView {
  name: string;
  kind: 'queue' | 'topic';
  /** Ready and delayed messages (not those in flight). */
  depth: number;
  /** Bytes the queue holds in the hub's memory. */
  bytes: number;
  consumers: number;
  /** Offered or handed to a consumer and not yet settled. */
  inFlight: number;
  enqueued: number;
  /** Handed to a consumer, redeliveries included (for a topic: copies sent to matching subscriptions). */
  delivered: number;
  /** Consumed: acknowledged, or handed to an auto-ack consumer (queues only). */
  acked: number;
  /** Moved to the dead-letter queue (queues only). */
  deadLettered: number;
  /** Expired before delivery (queues only). */
  expired: number;
  /** Where its dead letters go ('' for a topic or a dead-letter queue). */
  deadLetterQueue: string;
}

/** What moving dead letters back did. */
export interface RetryResult {
  /** Dead letters moved back to their original queue. */
  moved: number;
  /** Messages looked at and left where they were (no original queue, a topic, or a full queue). */
  skipped: number;
  /** Messages the dead-letter queue holds afterwards. */
  remaining: number;
  /** Messages moved, per queue they went back to. */
  to: Record<string, number>;
}

/** Messages a purge removes per event-loop turn. */
const PURGE_CHUNK = 2000;
/** Turns a purge waits for messages on disk to come into memory before it gives up on them. */
const PURGE_IDLE_TURNS = 3;

/** The headers settlement adds to a dead letter; the message moved back loses them. */
const DEAD_LETTER_HEADERS = [
  HEADER_ORIGINAL_DESTINATION, HEADER_DEAD_LETTER_REASON, HEADER_DELIVERY_FAILURES, HEADER_FAILURE_HISTORY,
];

/** A dead letter on its way back: the copy for its original queue and what it replaces. */
interface Move {
  from: HeldMessage;
  queue: Queue;
  moved: HeldMessage;
}

/** Operator views and actions over the router's destinations. */
export class Operations {
  constructor(private readonly core: RouterCore, private readonly topics: TopicRegistry) {}

  /** Every destination held now: queues, then subscribed topic names and patterns. */
  views(): DestinationView[] {
    return [...this.eachView()];
  }

  /**
   * The same one at a time, for a caller that yields to the event loop between chunks (a destination
   * created or forgotten meanwhile may or may not be seen).
   */
  *eachView(): Generator<DestinationView> {
    for (const queue of this.core.destinations.allQueues()) yield this.queueView(queue);
    for (const name of this.topics.names()) {
      const view = this.topicView(name);
      if (view) yield view;
    }
  }

  /** The destination `name`, or undefined when the hub holds nothing for it (idle queues are forgotten). */
  view(name: string): DestinationView | undefined {
    if (isTopic(name)) return this.topicView(name);
    const queue = this.core.destinations.existing(name);
    return queue && this.queueView(queue);
  }

  /**
   * Up to `limit` messages of queue `name` in offer order (by priority, each lane's messages in memory
   * then those it keeps on disk), then those no consumer's selector selects, then delayed ones; left
   * in place. Undefined: no such queue.
   */
  browse(name: string, limit: number): readonly HeldMessage[] | undefined {
    const queue = this.core.destinations.existing(name);
    if (!queue) return undefined;
    const out: HeldMessage[] = [];
    for (let p = MAX_PRIORITY; p >= 0 && out.length < limit; p--) {
      out.push(...queue.ready.laneUpcoming(p, limit - out.length));
      const tail = queue.ready.paged(p);
      if (out.length < limit && tail.count > 0) {
        out.push(...this.core.store.page(name, p, tail.after, tail.last, Math.min(tail.count, limit - out.length)).map(fromStored));
      }
    }
    return out.concat(queue.upcomingAside(limit - out.length));
  }

  /**
   * Removes the ready and delayed messages queue `name` holds now (messages in flight stay with their
   * consumers), from memory and from the store, a chunk per turn: what a lane keeps on disk is read
   * back by the pager as the lane empties, and removed in the next turn. Resolves with how many went.
   */
  async purge(name: string): Promise<number> {
    let purged = 0;
    const limit = this.core.destinations.existing(name)?.depth ?? 0;
    for (let idle = 0; purged < limit && idle < PURGE_IDLE_TURNS;) {
      const queue = this.core.destinations.existing(name);
      if (!queue) break;
      const taken = queue.take(Math.min(PURGE_CHUNK, limit - purged));
      this.core.refill(queue);
      idle = taken.length === 0 ? idle + 1 : 0;
      purged += taken.length;
      for (const held of taken) this.core.flow.release(held);
      const ids = taken.filter((h) => h.persistent).map((h) => h.wire.id);
      if (ids.length > 0) await this.core.store.write({ remove: ids }).catch(() => this.core.background({ remove: ids }));
      else await new Promise((resolve) => setImmediate(resolve));
    }
    return purged;
  }

  /**
   * Moves the dead letters among the first `limit` messages of queue `name` back to their
   * `original-destination` queue, without the dead-letter headers and with a fresh delivery count;
   * each old and new copy change places in one store transaction. Left in place: messages without
   * an original queue, those whose original is a topic, and those a full (`reject`) queue refuses.
   * Resolves once the moved messages are on disk; undefined: no such queue.
   */
  retry(name: string, limit: number): Promise<RetryResult> | undefined {
    const dlq = this.core.destinations.existing(name);
    if (!dlq) return undefined;
    const taken = dlq.take(limit);
    const moves: Move[] = [];
    const kept: HeldMessage[] = [];
    const adding = new Map<Queue, { count: number; bytes: number }>();
    for (const held of taken) {
      const move = this.moveOf(held, adding);
      if (move) moves.push(move);
      else kept.push(held);
    }
    for (let i = kept.length - 1; i >= 0; i--) dlq.place(kept[i], true); // newest first: each goes back to the head
    this.core.refill(dlq); // what the queue keeps on disk comes into memory for the next call
    const result = this.apply(name, moves);
    const answer = (): RetryResult => ({
      moved: moves.length, skipped: kept.length, remaining: this.core.destinations.existing(name)?.depth ?? 0,
      to: countBy(moves.map((m) => m.queue.name)),
    });
    return result.then(answer);
  }

  /** The copy of dead letter `held` for its original queue, or null when it stays. */
  private moveOf(held: HeldMessage, adding: Map<Queue, { count: number; bytes: number }>): Move | null {
    const dest = held.wire.headers[HEADER_ORIGINAL_DESTINATION];
    if (!dest || isTopic(dest) || dest === held.queue) return null;
    const queue = this.core.destinations.queueFor(dest);
    const headers: Headers = { ...held.wire.headers };
    for (const name of DEAD_LETTER_HEADERS) delete headers[name];
    const moved = this.core.newMessage(queue, dest, headers, held.wire.body,
      { persistent: held.persistent, priority: held.priority, delayMs: 0, expiresAt: 0 }, 0);
    const sum = adding.get(queue) ?? { count: 0, bytes: 0 };
    if (queue.policy.overflow === 'reject' && queue.wouldOverflow(sum.count + 1, sum.bytes + moved.bytes)) return null;
    adding.set(queue, { count: sum.count + 1, bytes: sum.bytes + moved.bytes });
    return { from: held, queue, moved };
  }

  /**
   * Places the moved copies (after their store transaction) and releases the dead letters; if the
   * store refuses, the dead letters go back where they were.
   */
  private apply(dlqName: string, moves: Move[]): Promise<void> {
    const put = moves.filter((m) => m.moved.persistent).map((m) => toStored(m.moved));
    const remove = moves.filter((m) => m.from.persistent).map((m) => m.from.wire.id);
    const durable = put.length + remove.length > 0 ? this.core.store.write({ put, remove }) : undefined;
    for (const { from, queue, moved } of moves) {
      this.core.flow.release(from);
      this.core.enqueue(queue, moved, moved.persistent ? durable : undefined);
    }
    if (!durable) return Promise.resolve();
    return durable.catch((err: Error) => {
      const dlq = this.core.destinations.queueFor(dlqName);
      const undone = moves.filter((m) => m.moved.persistent); // the others were placed at once
      for (let i = undone.length - 1; i >= 0; i--) {
        this.core.flow.charge(undone[i].from);
        dlq.place(undone[i].from, true);
      }
      this.core.dispatch(dlq);
      throw err;
    });
  }

  private queueView(queue: Queue): DestinationView {
    const dlq = deadLetterQueue(queue.policy, queue.name);
    return {
      name: queue.name, kind: 'queue', depth: queue.depth, bytes: this.core.flow.queueBytes(queue.name),
      consumers: queue.consumers.length, inFlight: queue.inflight.size + queue.offered, enqueued: queue.enqueued,
      delivered: queue.granted, acked: queue.delivered, deadLettered: queue.deadLettered, expired: queue.expired,
      deadLetterQueue: dlq === queue.name || isDeadLetterQueue(queue.name) ? '' : dlq,
    };
  }

  private topicView(name: string): DestinationView | undefined {
    const stats = this.topics.statsOf(name);
    if (!stats) return undefined;
    return {
      name, kind: 'topic', depth: 0, bytes: 0, consumers: stats.subscribers, inFlight: 0, enqueued: stats.delivered,
      delivered: stats.delivered, acked: 0, deadLettered: 0, expired: 0, deadLetterQueue: '',
    };
  }
}

function countBy(names: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
