/**
 * ReadyList: the ready messages of one queue, highest priority first and, within a priority, in
 * arrival order (message ids grow with arrival). One FIFO lane per priority 0–9.
 */
import { MAX_PRIORITY } from '../protocol/frame.js';
import type { HeldMessage } from './model.js';

/**
 * The part of a lane kept on disk only (a deep queue): messages newer than every message the lane has
 * held in memory, read back a page at a time as the lane drains.
 */
export interface PagedTail {
  /** Messages on disk only. */
  count: number;
  /** Their bytes (estimated for what recovery left on disk). */
  bytes: number;
  /** The highest id the lane has held in memory: the disk part holds ids above it. */
  after: number;
  /**
   * The highest id counted into the disk part. The store may already hold newer messages of the lane
   * whose writes have not been answered yet (they are placed, in memory or here, once answered): a page
   * read stops at this id, or it would read them and they would then be placed a second time.
   */
  last: number;
  /** Writes in progress that will add to the disk part (pages are not read meanwhile, to keep the order). */
  writing: number;
}

/** A FIFO with a moving head and ordered re-insertion by message id, and its part on disk. */
class Lane {
  private items: HeldMessage[] = [];
  private head = 0;
  readonly paged: PagedTail = { count: 0, bytes: 0, after: 0, last: 0, writing: 0 };

  get length(): number {
    return this.items.length - this.head;
  }

  push(held: HeldMessage): void {
    this.items.push(held);
    if (held.wire.id > this.paged.after) this.paged.after = held.wire.id;
  }

  peek(): HeldMessage | undefined {
    return this.items[this.head];
  }

  /** Up to `n` messages from the head, without taking them. */
  upcoming(n: number): HeldMessage[] {
    return this.items.slice(this.head, this.head + n);
  }

  shift(): HeldMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const held = this.items[this.head];
    this.items[this.head++] = undefined as unknown as HeldMessage;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return held;
  }

  /** Re-inserts at the place its id gives it: before everything that arrived after it. */
  restore(held: HeldMessage): void {
    const id = held.wire.id;
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].wire.id < id) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.head && this.head > 0) this.items[--this.head] = held;
    else this.items.splice(lo, 0, held);
  }

  drain(): HeldMessage[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.paged.count = 0;
    this.paged.bytes = 0;
    return all;
  }
}

/** Ready messages by priority lane. */
export class ReadyList {
  private readonly lanes = Array.from({ length: MAX_PRIORITY + 1 }, () => new Lane());
  private size = 0;

  /** Messages in memory (what can be offered now). */
  get length(): number {
    return this.size;
  }

  /** Messages in memory at priority `p`. */
  laneLength(p: number): number {
    return this.lanes[p].length;
  }

  /** The part of lane `p` on disk only. */
  paged(p: number): PagedTail {
    return this.lanes[p].paged;
  }

  /** Messages on disk only, in every lane. */
  get pagedCount(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.paged.count;
    return n;
  }

  /** Bytes of the messages on disk only. */
  get pagedBytes(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.paged.bytes;
    return n;
  }

  /** `held` (already on disk) joins its lane's disk part instead of memory. */
  pageOut(held: HeldMessage): void {
    const { paged } = this.lanes[held.priority];
    paged.count++;
    paged.bytes += held.bytes;
    if (held.wire.id > paged.last) paged.last = held.wire.id;
  }

  push(held: HeldMessage): void {
    this.lanes[held.priority].push(held);
    this.size++;
  }

  restore(held: HeldMessage): void {
    this.lanes[held.priority].restore(held);
    this.size++;
  }

  /** Up to `n` of the next messages in memory at priority `p`, in order, without taking them. */
  laneUpcoming(p: number, n: number): HeldMessage[] {
    return this.lanes[p].upcoming(n);
  }

  /** Up to `n` of the next messages to offer, in the order shift() gives them, without taking them. */
  upcoming(n: number): HeldMessage[] {
    const out: HeldMessage[] = [];
    for (let p = MAX_PRIORITY; p >= 0 && out.length < n; p--) out.push(...this.lanes[p].upcoming(n - out.length));
    return out;
  }

  /** The next message to offer, without taking it. */
  peek(): HeldMessage | undefined {
    for (let p = MAX_PRIORITY; p >= 0; p--) {
      const held = this.lanes[p].peek();
      if (held) return held;
    }
    return undefined;
  }

  /** The next message to offer: highest priority, oldest first. */
  shift(): HeldMessage | undefined {
    for (let p = MAX_PRIORITY; p >= 0; p--) {
      const held = this.lanes[p].shift();
      if (held) {
        this.size--;
        return held;
      }
    }
    return undefined;
  }

  /** The oldest message of the lowest priority present (what "drop-head" overflow drops first). */
  shiftOldest(): HeldMessage | undefined {
    for (let p = 0; p <= MAX_PRIORITY; p++) {
      if (this.lanes[p].length === 0) continue;
      this.size--;
      return this.lanes[p].shift();
    }
    return undefined;
  }

  drain(): HeldMessage[] {
    this.size = 0;
    return this.lanes.flatMap((lane) => lane.drain()).sort((a, b) => a.wire.id - b.wire.id);
  }
}
