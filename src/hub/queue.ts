/**
 * Queue: a point-to-point destination. Holds ready messages (by priority, then arrival), delayed
 * messages until they are due, the messages in flight and the consumers, and picks who is offered
 * the next message (round robin among consumers with credit).
 */
import { DueHeap } from './due-heap.js';
import type { HeldMessage, HubSubscription } from './model.js';
import type { DestinationPolicy } from './policy.js';
import { ReadyList } from './ready-list.js';

/** The longest delay a Node timer keeps: a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A message granted to a consumer and not yet acknowledged. */
export interface InFlight {
  held: HeldMessage;
  holder: HubSubscription;
  /** Ack-timeout timer, when one applies. */
  timer: NodeJS.Timeout | null;
}

/** One queue destination. */
export class Queue {
  readonly ready = new ReadyList();
  /** Messages waiting for their `deliverAt`, soonest first. */
  private readonly delayed = new DueHeap();
  /** Messages no consumer's selector selects: set aside (not blocking the rest) until the consumers change. */
  private parked: HeldMessage[] = [];
  private delayTimer: NodeJS.Timeout | null = null;
  readonly consumers: HubSubscription[] = [];
  private nextConsumer = 0;
  readonly inflight = new Map<number, InFlight>();
  /** Bytes of ready and delayed messages (for maxBytes). */
  storedBytes = 0;
  /** Messages accepted but still being written to the store (they count against the bounds). */
  committing = 0;
  /** Resolves when every store write that must precede new arrivals is done (keeps FIFO). */
  barrier: Promise<void> | null = null;
  offered = 0;
  enqueued = 0;
  /** Messages consumed: acknowledged, or handed to an auto-ack consumer (`status` calls them delivered). */
  delivered = 0;
  /** Messages handed to a consumer, redeliveries included (the management API's "delivered"). */
  granted = 0;
  expired = 0;
  deadLettered = 0;

  /** `policy` changes when the configuration is reloaded (Destinations.reconfigure). */
  constructor(readonly name: string, public policy: DestinationPolicy, private readonly onDue: (q: Queue) => void) {}

  /** Ready (in memory and paged out to disk) plus delayed messages: what the queue holds that nobody has been given. */
  get depth(): number {
    return this.ready.length + this.ready.pagedCount + this.delayed.length + this.parked.length + this.committing;
  }

  /** Nothing refers to this queue: no message held, offered or in flight, no consumer, no pending write. */
  get isIdle(): boolean {
    return this.depth === 0 && this.inflight.size === 0 && this.offered === 0 && this.consumers.length === 0
      && this.barrier === null;
  }

  /** Adds a message: ready now, or delayed until its `deliverAt`. */
  place(held: HeldMessage, restoring: boolean): void {
    this.storedBytes += held.bytes;
    if (held.deliverAt > Date.now()) {
      this.schedule(held);
    } else if (restoring) {
      this.ready.restore(held);
    } else {
      this.ready.push(held);
    }
  }

  /** Sets aside a message no current consumer selects, so the messages behind it can be offered. */
  park(held: HeldMessage): void {
    this.parked.push(held);
    this.storedBytes += held.bytes;
  }

  /** The consumers changed: parked messages go back to their places, to be offered afresh. */
  unpark(): void {
    for (const held of this.parked) {
      held.refusedBy = undefined;
      this.storedBytes -= held.bytes;
      this.place(held, true);
    }
    this.parked = [];
  }

  /** Takes the next ready message. */
  shift(): HeldMessage | undefined {
    const held = this.ready.shift();
    if (held) this.storedBytes -= held.bytes;
    return held;
  }

  /** Takes the message an overflowing "drop-head" queue drops. */
  shiftOldest(): HeldMessage | undefined {
    const held = this.ready.shiftOldest();
    if (held) this.storedBytes -= held.bytes;
    return held;
  }

  /** Up to `n` of the messages not ready now, left in place: those set aside, then delayed ones by due time. */
  upcomingAside(n: number): HeldMessage[] {
    return this.parked.slice(0, n).concat(this.delayed.upcoming(n - this.parked.length));
  }

  /**
   * Takes up to `max` messages in memory, ready ones in offer order, then those set aside, then
   * delayed ones (a purge or a move, a chunk at a time; what a lane keeps on disk comes into memory
   * as it drains).
   */
  take(max: number): HeldMessage[] {
    const out: HeldMessage[] = [];
    while (out.length < max) {
      const held = this.shift();
      if (!held) break;
      out.push(held);
    }
    const aside = this.parked.splice(0, max - out.length);
    const delayed = this.delayed.take(max - out.length - aside.length);
    for (const held of [...aside, ...delayed]) {
      this.storedBytes -= held.bytes;
      out.push(held);
    }
    if (delayed.length > 0) this.armTimer();
    return out;
  }

  /** Whether `count` more messages of `bytes` in all would exceed the queue's bounds. */
  wouldOverflow(count: number, bytes: number): boolean {
    const { maxLength, maxBytes } = this.policy;
    return (maxLength > 0 && this.depth + count > maxLength)
      || (maxBytes > 0 && this.storedBytes + this.ready.pagedBytes + bytes > maxBytes);
  }

  /** Removes every ready and delayed message (a durable subscription ended). */
  drain(): HeldMessage[] {
    const all = this.ready.drain().concat(this.delayed.drain(), this.parked.splice(0));
    this.storedBytes = 0;
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    return all;
  }

  addConsumer(sub: HubSubscription): void {
    this.consumers.push(sub);
    this.unpark();
  }

  removeConsumer(sub: HubSubscription): void {
    const i = this.consumers.indexOf(sub);
    if (i >= 0) this.consumers.splice(i, 1);
    this.unpark();
  }

  /**
   * Up to `fanout` consumers with credit (of different sessions), starting after the last one
   * chosen, so consecutive messages rotate among consumers (round robin, as RabbitMQ and ActiveMQ).
   */
  pickConsumers(fanout: number, credit: (sub: HubSubscription) => number): HubSubscription[] {
    const chosen: HubSubscription[] = [];
    const n = this.consumers.length;
    for (let i = 0; i < n && chosen.length < fanout; i++) {
      const sub = this.consumers[(this.nextConsumer + i) % n];
      if (credit(sub) > 0 && !chosen.some((c) => c.session === sub.session)) chosen.push(sub);
    }
    if (chosen.length > 0) this.nextConsumer = (this.consumers.indexOf(chosen[0]) + 1) % n;
    return chosen;
  }

  /** Stops the delay timer (broker stopping). */
  close(): void {
    if (this.delayTimer) clearTimeout(this.delayTimer);
    for (const f of this.inflight.values()) if (f.timer) clearTimeout(f.timer);
  }

  private schedule(held: HeldMessage): void {
    this.delayed.push(held);
    if (this.delayed.peek() === held) this.armTimer();
  }

  private armTimer(): void {
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    if (this.delayed.length === 0) return;
    const wait = Math.max(0, this.delayed.peek()!.deliverAt - Date.now());
    this.delayTimer = setTimeout(() => this.due(), Math.min(wait, MAX_TIMER_MS));
    this.delayTimer.unref();
  }

  private due(): void {
    const now = Date.now();
    while (this.delayed.length > 0 && this.delayed.peek()!.deliverAt <= now) {
      this.ready.restore(this.delayed.pop()!);
    }
    this.armTimer();
    this.onDue(this);
  }
}
