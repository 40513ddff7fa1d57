/** DueHeap: delayed messages come out by due time, then id, whatever order they went in. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DueHeap } from '../../src/hub/due-heap.js';
import type { HeldMessage } from '../../src/hub/model.js';

function held(id: number, deliverAt: number): HeldMessage {
  return { wire: { id }, deliverAt } as unknown as HeldMessage;
}

const key = (h: HeldMessage) => `${h.deliverAt}:${h.wire.id}`;

describe('DueHeap', () => {
  test('pop, take and upcoming give due-time order (ties by id), for any insertion order', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), fc.nat(20), (dues, n) => {
      const heap = new DueHeap();
      const all = dues.map((d, i) => held(i + 1, d));
      for (const h of all) heap.push(h);
      const sorted = [...all].sort((a, b) => a.deliverAt - b.deliverAt || a.wire.id - b.wire.id).map(key);
      assert.deepEqual(heap.upcoming(n).map(key), sorted.slice(0, n));
      assert.equal(heap.length, all.length, 'upcoming leaves everything in place');
      assert.equal(heap.peek() && key(heap.peek()!), sorted[0]);
      const out = heap.take(n).map(key);
      while (heap.length > 0) out.push(key(heap.pop()!));
      assert.deepEqual(out, sorted);
    }));
  });

  test('drain empties it', () => {
    const heap = new DueHeap();
    heap.push(held(1, 5));
    heap.push(held(2, 1));
    assert.equal(heap.drain().length, 2);
    assert.equal(heap.length, 0);
    assert.equal(heap.pop(), undefined);
  });
});
