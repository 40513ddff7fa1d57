/**
 * ReadyList: the ready messages of one queue, highest priority first and, within a priority, in
 * arrival order (message ids grow with arrival). One FIFO lane per priority 0–9.
 */
import { MAX_PRIORITY } from '../protocol/frame.js';
import type { HeldMessage } from './model.js';

/** A FIFO with a moving head and ordered re-insertion by message id. */
class Lane {
  private items: HeldMessage[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(held: HeldMessage): void {
    this.items.push(held);
  }

  peek(): HeldMessage | undefined {
    return this.items[this.head];
  }

  /** Appends up to `limit - out.length` messages from the head to `out`, leaving them in place. */
  peekInto(out: HeldMessage[], limit: number): void {
    for (let i = this.head; i < this.items.length && out.length < limit; i++) out.push(this.items[i]);
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
    return all;
  }
}

/** Ready messages by priority lane. */
export class ReadyList {
  private readonly lanes = Array.from({ length: MAX_PRIORITY + 1 }, () => new Lane());
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(held: HeldMessage): void {
    this.lanes[held.priority].push(held);
    this.size++;
  }

  restore(held: HeldMessage): void {
    this.lanes[held.priority].restore(held);
    this.size++;
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

  /** Up to `limit` messages in the order `shift` would take them, left in place: O(limit). */
  peek(limit: number): HeldMessage[] {
    const out: HeldMessage[] = [];
    for (let p = MAX_PRIORITY; p >= 0 && out.length < limit; p--) this.lanes[p].peekInto(out, limit);
    return out;
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
