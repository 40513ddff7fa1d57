/** ReadyList: ready messages by priority lane (higher first), FIFO by id within a lane. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadyList } from '../../src/hub/ready-list.js';
import type { HeldMessage } from '../../src/hub/model.js';

function held(id: number, priority = 4): HeldMessage {
  return {
    wire: { id, dest: '/queue/q', headers: {}, body: Buffer.from(String(id)), redeliveries: 0 },
    queue: '/queue/q', bytes: 10, priority, deliverAt: 0, expiresAt: 0, persistent: false, failures: [], marked: false, producer: 0,
  };
}

function shiftAll(list: ReadyList): number[] {
  const ids: number[] = [];
  for (let h = list.shift(); h; h = list.shift()) ids.push(h.wire.id);
  return ids;
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ReadyList', () => {
  // An empty list has length 0 and shifts nothing.
  test('empty list', () => {
    const l = new ReadyList();
    assert.equal(l.length, 0);
    assert.equal(l.shift(), undefined);
    assert.equal(l.shiftOldest(), undefined);
    assert.deepEqual(l.drain(), []);
  });

  // Higher priority comes out first, regardless of arrival order.
  test('priority order: higher first', () => {
    const l = new ReadyList();
    l.push(held(1, 0));
    l.push(held(2, 9));
    l.push(held(3, 4));
    l.push(held(4, 7));
    assert.equal(l.length, 4);
    assert.deepEqual(shiftAll(l), [2, 4, 3, 1]);
    assert.equal(l.length, 0);
  });

  // Within one priority, messages leave in arrival (FIFO) order.
  test('FIFO within a priority', () => {
    const l = new ReadyList();
    for (const [id, p] of [[1, 4], [2, 5], [3, 4], [4, 5], [5, 4]] as const) l.push(held(id, p));
    assert.deepEqual(shiftAll(l), [2, 4, 1, 3, 5]);
  });

  // restore() puts a message back where its id places it, i.e. before later arrivals, not at the tail.
  test('restore puts a message back at its id place', () => {
    const l = new ReadyList();
    for (let id = 1; id <= 5; id++) l.push(held(id));
    const a = l.shift()!;
    const b = l.shift()!;
    assert.deepEqual([a.wire.id, b.wire.id], [1, 2]);
    l.restore(b); // goes back to the head
    l.restore(a); // goes before b
    assert.equal(l.length, 5);
    assert.deepEqual(shiftAll(l), [1, 2, 3, 4, 5]);
  });

  // restore() into the middle of a lane (an older id among newer ones) keeps id order.
  test('restore into the middle keeps id order', () => {
    const l = new ReadyList();
    l.push(held(1));
    l.push(held(3));
    l.push(held(5));
    l.restore(held(4));
    l.restore(held(2));
    l.restore(held(6));
    assert.deepEqual(shiftAll(l), [1, 2, 3, 4, 5, 6]);
  });

  // restore() respects priority lanes: a restored high-priority message goes before lower lanes.
  test('restore respects priority', () => {
    const l = new ReadyList();
    l.push(held(2, 4));
    l.push(held(3, 4));
    l.restore(held(1, 8));
    l.restore(held(0, 1));
    assert.deepEqual(shiftAll(l), [1, 2, 3, 0]);
  });

  // shiftOldest takes the oldest message of the lowest priority present (drop-head victim).
  test('shiftOldest takes the lowest priority, oldest first', () => {
    const l = new ReadyList();
    l.push(held(1, 9));
    l.push(held(2, 3));
    l.push(held(3, 5));
    l.push(held(4, 3));
    assert.equal(l.shiftOldest()?.wire.id, 2);
    assert.equal(l.shiftOldest()?.wire.id, 4);
    assert.equal(l.shiftOldest()?.wire.id, 3);
    assert.equal(l.length, 1);
    assert.equal(l.shift()?.wire.id, 1);
    assert.equal(l.length, 0);
  });

  // drain() returns everything in id order across lanes and empties the list.
  test('drain returns id order and empties the list', () => {
    const l = new ReadyList();
    l.push(held(1, 6));
    l.push(held(2, 9));
    l.push(held(3, 2));
    l.push(held(4, 6));
    l.push(held(5, 0));
    l.shift(); // 2
    assert.deepEqual(l.drain().map((h) => h.wire.id), [1, 3, 4, 5]);
    assert.equal(l.length, 0);
    assert.equal(l.shift(), undefined);
    // usable again after a drain
    l.push(held(10));
    assert.deepEqual(shiftAll(l), [10]);
  });

  // Past 2048 items the lane compacts its head; order and length survive compaction.
  test('many push/shift cycles through compaction keep FIFO order', () => {
    const l = new ReadyList();
    let nextId = 1;
    let expected = 1;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3000; i++) l.push(held(nextId++));
      for (let i = 0; i < 2500; i++) assert.equal(l.shift()?.wire.id, expected++);
      assert.equal(l.length, nextId - expected);
    }
    // a restore right after compaction lands at the head
    const h = l.shift()!;
    l.restore(h);
    assert.equal(l.shift()?.wire.id, h.wire.id);
    expected++;
    while (l.length > 0) assert.equal(l.shift()?.wire.id, expected++);
    assert.equal(expected, nextId);
  });

  // Random push/shift/restore/shiftOldest against a reference model (sorted by priority desc, id asc).
  test('random operations match a reference model', () => {
    const rand = rng(42);
    const l = new ReadyList();
    const model: HeldMessage[] = [];
    const out: HeldMessage[] = [];
    const order = (a: HeldMessage, b: HeldMessage) => b.priority - a.priority || a.wire.id - b.wire.id;
    let nextId = 1;
    for (let step = 0; step < 20000; step++) {
      const r = rand();
      if (r < 0.45) {
        const h = held(nextId++, Math.floor(rand() * 3) * 4); // priorities 0, 4, 8
        l.push(h);
        model.push(h);
      } else if (r < 0.8) {
        model.sort(order);
        const want = model.shift();
        const got = l.shift();
        assert.equal(got?.wire.id, want?.wire.id, `step ${step}`);
        if (got) out.push(got);
      } else if (r < 0.95) {
        if (out.length === 0) continue;
        const h = out.splice(Math.floor(rand() * out.length), 1)[0];
        l.restore(h);
        model.push(h);
      } else {
        const lowest = Math.min(...model.map((h) => h.priority));
        const candidates = model.filter((h) => h.priority === lowest).sort(order);
        const want = candidates[0];
        const got = l.shiftOldest();
        assert.equal(got?.wire.id, want?.wire.id, `step ${step}`);
        if (got) model.splice(model.indexOf(got), 1);
      }
      assert.equal(l.length, model.length, `length at step ${step}`);
    }
    model.sort(order);
    assert.deepEqual(shiftAll(l), model.map((h) => h.wire.id));
  });
});
