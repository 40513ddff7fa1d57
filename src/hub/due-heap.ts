/**
 * DueHeap: delayed messages by due time (then id), as a binary min-heap. A sorted array cost O(n) per
 * message that falls due before the others (and per message taken off its front); a client sending
 * ever shorter delays made the hub's work quadratic.
 */
import type { HeldMessage } from './model.js';

function before(a: HeldMessage, b: HeldMessage): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.wire.id < b.wire.id);
}

export class DueHeap {
  private items: HeldMessage[] = [];

  get length(): number {
    return this.items.length;
  }

  /** The message due first, left in place. */
  peek(): HeldMessage | undefined {
    return this.items[0];
  }

  push(held: HeldMessage): void {
    const { items } = this;
    items.push(held);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  /** Takes the message due first. */
  pop(): HeldMessage | undefined {
    const { items } = this;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < items.length && before(items[l], items[least])) least = l;
        if (r < items.length && before(items[r], items[least])) least = r;
        if (least === i) break;
        [items[i], items[least]] = [items[least], items[i]];
        i = least;
      }
    }
    return top;
  }

  /** Takes up to `n` messages, the first due first. */
  take(n: number): HeldMessage[] {
    const out: HeldMessage[] = [];
    while (out.length < n && this.items.length > 0) out.push(this.pop()!);
    return out;
  }

  /** Up to `n` messages by due time, left in place (for browsing: costs a copy of the heap). */
  upcoming(n: number): HeldMessage[] {
    if (n <= 0) return [];
    const copy = new DueHeap();
    copy.items = this.items.slice();
    return copy.take(n);
  }

  /** Takes every message, in no particular order. */
  drain(): HeldMessage[] {
    const all = this.items;
    this.items = [];
    return all;
  }
}
