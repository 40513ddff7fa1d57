/**
 * Queue: a point-to-point destination. Holds ready messages in order, the messages in flight and the
 * consumers, and picks who is offered the next message (round robin among those with credit).
 */
import type { HeldMessage, HubSubscription } from './model.js';

/** One queue destination. */
export class Queue {
  /** Ready messages, oldest first; `head` skips consumed slots without shifting the array. */
  private ready: HeldMessage[] = [];
  private head = 0;
  readonly consumers: HubSubscription[] = [];
  private nextConsumer = 0;
  /** Messages granted to a consumer and not yet acknowledged, by message id. */
  readonly inflight = new Map<number, { held: HeldMessage; holder: HubSubscription }>();
  /** Messages offered and not yet claimed. */
  offered = 0;
  enqueued = 0;
  delivered = 0;

  constructor(readonly name: string) {}

  /** Ready messages. */
  get depth(): number {
    return this.ready.length - this.head;
  }

  /** Appends a new message at the tail. */
  push(held: HeldMessage): void {
    this.ready.push(held);
    this.enqueued++;
  }

  /** Takes the oldest ready message. */
  shift(): HeldMessage | undefined {
    if (this.head >= this.ready.length) return undefined;
    const held = this.ready[this.head];
    this.ready[this.head++] = undefined as unknown as HeldMessage;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return held;
  }

  /**
   * Puts a message back at its place (by id: ids grow with arrival), so a message that was offered
   * and not taken, or returned unacknowledged, comes before everything that arrived after it.
   */
  restore(held: HeldMessage): void {
    const id = held.wire.id;
    let lo = this.head;
    let hi = this.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ready[mid].wire.id < id) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.head && this.head > 0) this.ready[--this.head] = held;
    else this.ready.splice(lo, 0, held);
  }

  /** Removes and returns every ready message (queue deleted or purged). */
  drain(): HeldMessage[] {
    const all = this.ready.slice(this.head);
    this.ready = [];
    this.head = 0;
    return all;
  }

  addConsumer(sub: HubSubscription): void {
    this.consumers.push(sub);
  }

  removeConsumer(sub: HubSubscription): void {
    const i = this.consumers.indexOf(sub);
    if (i >= 0) this.consumers.splice(i, 1);
  }

  /**
   * Up to `fanout` consumers with credit, starting after the last one chosen, so consecutive
   * messages rotate among consumers (fair round robin, as RabbitMQ and ActiveMQ do).
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
}
