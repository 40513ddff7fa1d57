/**
 * What the router's parts (delivery, settlement, durable subscriptions) share: the destinations, the
 * store, flow control, and the router's own entry points for placing and offering messages. The
 * Router implements it and hands itself to each part, so the parts never import each other.
 */
import type { Headers } from '../protocol/frame.js';
import type { MessageProps } from '../protocol/headers.js';
import type { Logger } from '../log.js';
import type { QueueStore, StoreBatch } from '../store/store.js';
import type { Destinations } from './destinations.js';
import type { FlowControl } from './flow-control.js';
import type { HeldMessage } from './model.js';
import type { Queue } from './queue.js';

/** A request the router refuses (queue full, store failure); the session turns it into ERROR. */
export class Refusal extends Error {
  constructor(message: string, readonly detail: string) {
    super(message);
  }
}

/** The router as its parts see it. */
export interface RouterCore {
  readonly store: QueueStore;
  readonly flow: FlowControl;
  readonly destinations: Destinations;
  readonly log: Logger;
  /**
   * A new message (with a new id) for `queue`, carrying `dest` as its MESSAGE destination, charged to
   * client `producer` (HubSession.serial, 0 = nobody).
   */
  newMessage(queue: Queue, dest: string, headers: Headers, body: Buffer, props: MessageProps, producer: number): HeldMessage;
  /** Makes `held` ready in `queue` (a drop-head queue makes room first) and offers what it can. */
  place(queue: Queue, held: HeldMessage): void;
  /** Places `held` once `durable` (its store write) resolves, behind earlier writes to the queue. */
  enqueue(queue: Queue, held: HeldMessage, durable: Promise<void> | undefined): void;
  /** Offers ready messages of `queue` while some consumer has credit. */
  dispatch(queue: Queue): void;
  /** Messages left `queue`'s memory: a lane with messages on disk may read its next page. */
  refill(queue: Queue): void;
  /** A store write nobody waits for: a failure is logged, and failed removals are retried. */
  background(batch: StoreBatch): void;
}
