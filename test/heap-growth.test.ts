/** The V8 heap growth a broker process asks for, from its live heap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growingPercentFor } from '../src/heap-growth.js';

const MB = 1024 * 1024;

test('a small heap gets ~64 MB of room, at most 400 %', () => {
  assert.equal(growingPercentFor(16 * MB), 400);
  assert.equal(growingPercentFor(1), 400);
  assert.equal(growingPercentFor(32 * MB), 200);
  assert.equal(growingPercentFor(64 * MB), 100);
});

test('the percentage moves in steps of 25 and never below 50', () => {
  for (let live = 1 * MB; live < 128 * MB; live += 3 * MB) {
    const p = growingPercentFor(live);
    assert.equal(p % 25, 0, `${live}: ${p}`);
    assert.ok(p >= 50 && p <= 400, `${live}: ${p}`);
    assert.ok((live * p) / 100 >= 64 * MB || p === 400, `${live}: ${p} leaves less than 64 MB`);
  }
});

test('past 128 MB live V8 chooses (0)', () => {
  assert.equal(growingPercentFor(128 * MB), 0);
  assert.equal(growingPercentFor(2048 * MB), 0);
});
