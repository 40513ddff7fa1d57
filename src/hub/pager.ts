/**
 * Pager: a queue's backlog is bounded by disk, not memory. Each priority lane of a queue keeps at most
 * LANE_WINDOW messages in memory; a persistent message arriving in a full lane stays on disk only (the
 * lane's paged tail counts it), and the lane reads its tail back a page at a time through the store's
 * order index as it drains. Order is kept: the tail holds only messages newer than everything the lane
 * has held in memory, and a non-persistent message that arrives while its lane has a tail is written to
 * disk too (as transient: dropped at the next start) and joins the tail, so it cannot overtake it.
 * Recovery loads only the first page of every lane. Only with a store on disk (lmdb).
 */
import { MAX_PRIORITY } from '../protocol/frame.js';
import type { HeldMessage } from './model.js';
import type { Queue } from './queue.js';
import type { RouterCore } from './router-core.js';
import { fromStored, toStored } from './stored.js';

/** Messages a lane keeps in memory before new persistent arrivals stay on disk. */
export const LANE_WINDOW = 2000;
/** A lane with a tail on disk reads the next page once fewer than this are left in memory. */
const LOW_WATER = 1000;
/** Messages read back per page. */
const PAGE = 1000;

/** Decides where a message waits (memory or disk) and reads paged tails back. */
export class Pager {
  /** Queues with a page read scheduled. */
  private readonly due = new Set<Queue>();

  constructor(private readonly core: RouterCore, readonly enabled: boolean) {}

  /**
   * Takes `held` onto disk when its lane is full or already has a tail (true), or leaves it to the
   * caller to place in memory (false).
   */
  takes(queue: Queue, held: HeldMessage): boolean {
    if (!this.enabled || held.deliverAt > Date.now()) return false;
    const tail = queue.ready.paged(held.priority);
    const pagingLane = tail.count > 0 || tail.writing > 0;
    if (!pagingLane && queue.ready.laneLength(held.priority) < LANE_WINDOW) return false;
    if (!pagingLane && !held.persistent) return false; // memory holds it; flow control bounds it
    if (held.persistent) {
      queue.ready.pageOut(held);
      return true;
    }
    this.storeTransient(queue, held);
    return true;
  }

  /** After messages left `queue`'s memory: reads the next page of every lane that runs low (soon, not now). */
  refill(queue: Queue): void {
    if (!this.enabled || this.due.has(queue) || queue.ready.pagedCount === 0) return;
    this.due.add(queue);
    setImmediate(() => {
      this.due.delete(queue);
      if (this.readPages(queue)) this.core.dispatch(queue);
    });
  }

  /** Loads the first page of every lane the store holds, leaving the rest on disk; returns messages recovered. */
  recover(): number {
    let count = 0;
    const newest = this.core.store.maxId(); // nothing is being written yet: every stored message counts
    for (const share of this.core.store.shares()) {
      const queue = this.core.destinations.queueFor(share.queue);
      const first = this.core.store.page(share.queue, share.priority, 0, newest, this.enabled ? LANE_WINDOW : Number.MAX_SAFE_INTEGER);
      const helds = first.map(fromStored);
      for (const held of helds) this.admit(queue, held);
      const tail = queue.ready.paged(share.priority);
      const rest = share.count - helds.length;
      if (rest > 0) {
        tail.count += rest;
        tail.bytes += rest * Math.round(helds.reduce((sum, h) => sum + h.bytes, 0) / Math.max(1, helds.length));
        tail.after = Math.max(tail.after, helds.length > 0 ? helds[helds.length - 1].wire.id : 0);
        tail.last = Math.max(tail.last, newest);
      }
      queue.enqueued += share.count;
      count += share.count;
    }
    return count;
  }

  /** A message read back from disk enters memory: charged, placed ready (or delayed) in its queue. */
  private admit(queue: Queue, held: HeldMessage): void {
    this.core.flow.charge(held);
    queue.place(held, false);
  }

  /** Reads a page into every lane of `queue` that runs low; whether anything came in. */
  private readPages(queue: Queue): boolean {
    let any = false;
    for (let p = 0; p <= MAX_PRIORITY; p++) {
      const tail = queue.ready.paged(p);
      if (tail.count === 0 || tail.writing > 0 || queue.ready.laneLength(p) >= LOW_WATER) continue;
      const page = this.core.store.page(queue.name, p, tail.after, tail.last, PAGE).map(fromStored);
      if (page.length === 0) {
        this.core.log.warn(`${queue.name}: ${tail.count} messages of priority ${p} expected on disk are not there`);
        tail.count = 0;
        tail.bytes = 0;
        continue;
      }
      tail.count = Math.max(0, tail.count - page.length);
      tail.bytes = tail.count === 0 ? 0 : Math.max(0, tail.bytes - page.reduce((sum, h) => sum + h.bytes, 0));
      for (const held of page) this.admit(queue, held);
      tail.after = Math.max(tail.after, page[page.length - 1].wire.id);
      any = true;
    }
    return any;
  }

  /**
   * A non-persistent message in a lane with a tail on disk is written there too, so it keeps its place;
   * the lane reads no page until the write is done. Lost only if the store refuses it (logged).
   */
  private storeTransient(queue: Queue, held: HeldMessage): void {
    const tail = queue.ready.paged(held.priority);
    tail.writing++;
    held.persistent = true;
    held.transient = true;
    this.core.store.write({ put: [toStored(held)] }).then(() => {
      tail.writing--;
      queue.ready.pageOut(held);
      this.refill(queue);
    }, (err: Error) => {
      tail.writing--;
      this.core.log.error(`store: paging a non-persistent message of ${queue.name} out failed: ${err.message}`);
    });
  }
}
